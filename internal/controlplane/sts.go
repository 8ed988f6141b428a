package controlplane

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/policy"
)

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// stsService answers sts (query protocol): GetCallerIdentity, AssumeRole,
// GetSessionToken.
type stsService struct {
	iam    *iam.Service
	region string
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

func credentialsOf(c iam.Credentials) stsCredentials {
	return stsCredentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: awsTime(c.Expires)}
}

func (s *stsService) fail(w http.ResponseWriter, c *Call, status int, code, message string) {
	writeQueryError(w, stsNamespace, status, code, message, c.RequestID)
}

func (s *stsService) serve(w http.ResponseWriter, c *Call) {
	p := c.Caller.Principal
	switch c.Action {
	case "GetCallerIdentity":
		// Needs no permission, as in AWS.
		writeQueryResult(w, stsNamespace, c.Action, c.RequestID, []field{{"UserId", p.UserID}, {"Account", p.Account}, {"Arn", p.ARN}})
	case "AssumeRole":
		d, ok := duration(w, c, s)
		if !ok {
			return
		}
		creds, role, err := s.iam.AssumeRole(c.Ctx, c.Caller, c.Form.Get("RoleArn"), c.Form.Get("RoleSessionName"), d)
		if err != nil {
			writeErr(w, c, s, err)
			return
		}
		writeQueryResult(w, stsNamespace, c.Action, c.RequestID, []field{
			{"Credentials", credentialsOf(creds)},
			{"AssumedRoleUser", struct {
				AssumedRoleID string `xml:"AssumedRoleId"`
				Arn           string `xml:"Arn"`
			}{role.ID, role.ARN}},
		})
	case "GetSessionToken":
		d, ok := duration(w, c, s)
		if !ok {
			return
		}
		// Allowed unless explicitly denied.
		dec, err := s.iam.Authorize(c.Ctx, c.Caller, "sts:GetSessionToken", "*", "", nil, nil)
		if err != nil {
			writeErr(w, c, s, err)
			return
		}
		if dec.Effect == policy.EffectExplicitDeny {
			writeErr(w, c, s, iam.AccessDenied(c.Caller, "sts:GetSessionToken", "*", dec))
			return
		}
		creds, err := s.iam.GetSessionToken(c.Ctx, c.Caller, d)
		if err != nil {
			writeErr(w, c, s, err)
			return
		}
		writeQueryResult(w, stsNamespace, c.Action, c.RequestID, []field{{"Credentials", credentialsOf(creds)}})
	default:
		s.fail(w, c, http.StatusBadRequest, "InvalidAction", "Could not find operation "+c.Action+" for version 2011-06-15")
	}
}

// duration reads DurationSeconds (0 when absent).
func duration(w http.ResponseWriter, c *Call, svc service) (time.Duration, bool) {
	v := c.Form.Get("DurationSeconds")
	if v == "" {
		return 0, true
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		svc.fail(w, c, http.StatusBadRequest, "ValidationError", "1 validation error detected: Value '"+v+"' at 'durationSeconds' failed to satisfy constraint: Member must be a number")
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}
