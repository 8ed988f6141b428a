package controlplane

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/policy"
)

const iamNamespace = "https://iam.amazonaws.com/doc/2010-05-08/"

// iamService answers iam (query protocol): users, access keys, roles,
// inline and managed policies and their attachments, in the caller's
// account, each call authorized as iam:<Action> on the entity's ARN.
type iamService struct{ iam *iam.Service }

func (s *iamService) fail(w http.ResponseWriter, c *Call, status int, code, message string) {
	writeQueryError(w, iamNamespace, status, code, message, c.RequestID)
}

type xmlUser struct {
	Path       string `xml:"Path"`
	UserName   string `xml:"UserName"`
	UserID     string `xml:"UserId"`
	Arn        string `xml:"Arn"`
	CreateDate string `xml:"CreateDate"`
}

func userXML(u iam.User) xmlUser {
	return xmlUser{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN, CreateDate: awsTime(u.Created)}
}

type xmlRole struct {
	Path                     string `xml:"Path"`
	RoleName                 string `xml:"RoleName"`
	RoleID                   string `xml:"RoleId"`
	Arn                      string `xml:"Arn"`
	CreateDate               string `xml:"CreateDate"`
	AssumeRolePolicyDocument string `xml:"AssumeRolePolicyDocument"`
	Description              string `xml:"Description,omitempty"`
	MaxSessionDuration       int    `xml:"MaxSessionDuration"`
}

func roleXML(r iam.Role) xmlRole {
	return xmlRole{Path: r.Path, RoleName: r.Name, RoleID: r.ID, Arn: r.ARN, CreateDate: awsTime(r.Created),
		AssumeRolePolicyDocument: url.QueryEscape(r.TrustPolicy), Description: r.Description, MaxSessionDuration: r.MaxSessionDuration}
}

type xmlPolicy struct {
	PolicyName       string `xml:"PolicyName"`
	PolicyID         string `xml:"PolicyId"`
	Arn              string `xml:"Arn"`
	Path             string `xml:"Path"`
	DefaultVersionID string `xml:"DefaultVersionId"`
	AttachmentCount  int    `xml:"AttachmentCount"`
	IsAttachable     bool   `xml:"IsAttachable"`
	Description      string `xml:"Description,omitempty"`
	CreateDate       string `xml:"CreateDate"`
	UpdateDate       string `xml:"UpdateDate"`
}

type xmlAccessKey struct {
	UserName        string `xml:"UserName,omitempty"`
	AccessKeyID     string `xml:"AccessKeyId"`
	Status          string `xml:"Status"`
	SecretAccessKey string `xml:"SecretAccessKey,omitempty"`
	CreateDate      string `xml:"CreateDate"`
}

type xmlAttached struct {
	PolicyName string `xml:"PolicyName"`
	PolicyArn  string `xml:"PolicyArn"`
}

// validated parses a policy document as kind, answering
// MalformedPolicyDocument as IAM does.
func validated(doc string, kind policy.Kind) error {
	if _, err := policy.Parse(doc, kind); err != nil {
		var pe *policy.Error
		if errors.As(err, &pe) {
			return &iam.Error{Code: "MalformedPolicyDocument", Message: pe.Message, Status: http.StatusBadRequest}
		}
		return &iam.Error{Code: "MalformedPolicyDocument", Message: "Syntax errors in policy.", Status: http.StatusBadRequest}
	}
	return nil
}

func (s *iamService) serve(w http.ResponseWriter, c *Call) {
	acct := c.Caller.Principal.Account
	f := c.Form.Get
	arnOf := func(kind, name string) string { return fmt.Sprintf("arn:aws:iam::%s:%s/%s", acct, kind, name) }
	// The user a key call is about: the named one, else the caller's own
	// user ("" for an account root).
	keyUser := f("UserName")
	if keyUser == "" {
		keyUser = c.Caller.UserName
	}
	var resource string
	switch c.Action {
	case "CreateUser", "GetUser", "DeleteUser", "PutUserPolicy", "GetUserPolicy", "ListUserPolicies", "DeleteUserPolicy",
		"AttachUserPolicy", "DetachUserPolicy", "ListAttachedUserPolicies":
		name := f("UserName")
		if name == "" {
			name = c.Caller.UserName
		}
		resource = arnOf("user", name)
	case "CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey":
		resource = arnOf("user", keyUser)
		if keyUser == "" {
			resource = "arn:aws:iam::" + acct + ":root"
		}
	case "ListUsers":
		resource = arnOf("user", "*")
	case "ListRoles":
		resource = arnOf("role", "*")
	case "CreateRole", "GetRole", "DeleteRole", "UpdateAssumeRolePolicy", "PutRolePolicy", "GetRolePolicy", "ListRolePolicies",
		"DeleteRolePolicy", "AttachRolePolicy", "DetachRolePolicy", "ListAttachedRolePolicies":
		resource = arnOf("role", f("RoleName"))
	case "CreatePolicy":
		resource = arnOf("policy", f("PolicyName"))
	case "GetPolicy", "DeletePolicy":
		resource = f("PolicyArn")
	default:
		s.fail(w, c, http.StatusBadRequest, "InvalidAction", "Could not find operation "+c.Action+" for version 2010-05-08")
		return
	}
	action := "iam:" + c.Action
	d, err := s.iam.Authorize(c.Ctx, c.Caller, action, resource, acct, nil, nil)
	if err != nil {
		writeErr(w, c, s, err)
		return
	}
	if !d.Allowed {
		writeErr(w, c, s, iam.AccessDenied(c.Caller, action, resource, d))
		return
	}
	fields, err := s.do(c, acct, keyUser)
	if err != nil {
		writeErr(w, c, s, err)
		return
	}
	writeQueryResult(w, iamNamespace, c.Action, c.RequestID, fields)
}

// do carries out an authorized call; nil fields (and nil error) is an
// operation without output.
func (s *iamService) do(c *Call, acct, keyUser string) ([]field, error) {
	ctx, f := c.Ctx, c.Form.Get
	noOutput := func(err error) ([]field, error) { return nil, err }
	switch c.Action {
	case "CreateUser":
		u, err := s.iam.CreateUser(ctx, acct, f("UserName"), f("Path"))
		return []field{{"User", userXML(u)}}, err
	case "GetUser":
		name := f("UserName")
		if name == "" {
			name = c.Caller.UserName
		}
		if name == "" {
			return nil, &iam.Error{Code: "ValidationError", Message: "Must specify userName when calling with non-User credentials", Status: 400}
		}
		u, err := s.iam.User(ctx, acct, name)
		return []field{{"User", userXML(u)}}, err
	case "ListUsers":
		us, err := s.iam.Users(ctx, acct, f("PathPrefix"))
		var out []xmlUser
		for _, u := range us {
			out = append(out, userXML(u))
		}
		return []field{{"Users", list(out)}, {"IsTruncated", false}}, err
	case "DeleteUser":
		return noOutput(s.iam.DeleteUser(ctx, acct, f("UserName")))
	case "CreateAccessKey":
		k, err := s.iam.CreateAccessKey(ctx, acct, keyUser)
		return []field{{"AccessKey", xmlAccessKey{UserName: k.UserName, AccessKeyID: k.AccessKeyID, Status: k.Status, SecretAccessKey: k.SecretAccessKey, CreateDate: awsTime(k.Created)}}}, err
	case "ListAccessKeys":
		ks, err := s.iam.AccessKeys(ctx, acct, keyUser)
		var out []xmlAccessKey
		for _, k := range ks {
			out = append(out, xmlAccessKey{UserName: k.User, AccessKeyID: k.ID, Status: k.Status, CreateDate: awsTime(k.Created)})
		}
		return []field{{"AccessKeyMetadata", list(out)}, {"IsTruncated", false}}, err
	case "UpdateAccessKey":
		return noOutput(s.iam.UpdateAccessKey(ctx, acct, keyUser, f("AccessKeyId"), f("Status")))
	case "DeleteAccessKey":
		return noOutput(s.iam.DeleteAccessKey(ctx, acct, keyUser, f("AccessKeyId")))
	case "CreateRole":
		if err := validated(f("AssumeRolePolicyDocument"), policy.Trust); err != nil {
			return nil, err
		}
		max := 0
		if v := f("MaxSessionDuration"); v != "" {
			fmt.Sscan(v, &max)
		}
		r, err := s.iam.CreateRole(ctx, iam.Role{Account: acct, Name: f("RoleName"), Path: f("Path"), Description: f("Description"), TrustPolicy: f("AssumeRolePolicyDocument"), MaxSessionDuration: max})
		return []field{{"Role", roleXML(r)}}, err
	case "GetRole":
		r, err := s.iam.Role(ctx, acct, f("RoleName"))
		return []field{{"Role", roleXML(r)}}, err
	case "ListRoles":
		rs, err := s.iam.Roles(ctx, acct, f("PathPrefix"))
		var out []xmlRole
		for _, r := range rs {
			out = append(out, roleXML(r))
		}
		return []field{{"Roles", list(out)}, {"IsTruncated", false}}, err
	case "DeleteRole":
		return noOutput(s.iam.DeleteRole(ctx, acct, f("RoleName")))
	case "UpdateAssumeRolePolicy":
		if err := validated(f("PolicyDocument"), policy.Trust); err != nil {
			return nil, err
		}
		return noOutput(s.iam.UpdateTrustPolicy(ctx, acct, f("RoleName"), f("PolicyDocument")))
	case "PutUserPolicy", "PutRolePolicy":
		if err := validated(f("PolicyDocument"), policy.Identity); err != nil {
			return nil, err
		}
		kind, owner := ownerOf(c)
		return noOutput(s.iam.PutInlinePolicy(ctx, acct, kind, owner, f("PolicyName"), f("PolicyDocument")))
	case "GetUserPolicy", "GetRolePolicy":
		kind, owner := ownerOf(c)
		doc, err := s.iam.InlinePolicy(ctx, acct, kind, owner, f("PolicyName"))
		ownerField := "UserName"
		if kind == "role" {
			ownerField = "RoleName"
		}
		return []field{{ownerField, owner}, {"PolicyName", f("PolicyName")}, {"PolicyDocument", url.QueryEscape(doc)}}, err
	case "ListUserPolicies", "ListRolePolicies":
		kind, owner := ownerOf(c)
		if err := s.ownerExists(c, acct, kind, owner); err != nil {
			return nil, err
		}
		names, err := s.iam.InlinePolicyNames(ctx, acct, kind, owner)
		return []field{{"PolicyNames", list(names)}, {"IsTruncated", false}}, err
	case "DeleteUserPolicy", "DeleteRolePolicy":
		kind, owner := ownerOf(c)
		return noOutput(s.iam.DeleteInlinePolicy(ctx, acct, kind, owner, f("PolicyName")))
	case "CreatePolicy":
		if err := validated(f("PolicyDocument"), policy.Identity); err != nil {
			return nil, err
		}
		p, err := s.iam.CreatePolicy(ctx, iam.ManagedPolicy{Account: acct, Name: f("PolicyName"), Path: f("Path"), Description: f("Description"), Document: f("PolicyDocument")})
		return []field{{"Policy", policyXML(p, 0)}}, err
	case "GetPolicy":
		p, err := s.iam.Policy(ctx, f("PolicyArn"))
		return []field{{"Policy", policyXML(p, 0)}}, err
	case "DeletePolicy":
		return noOutput(s.iam.DeletePolicy(ctx, acct, f("PolicyArn")))
	case "AttachUserPolicy", "AttachRolePolicy":
		kind, owner := ownerOf(c)
		return noOutput(s.iam.Attach(ctx, acct, kind, owner, f("PolicyArn")))
	case "DetachUserPolicy", "DetachRolePolicy":
		kind, owner := ownerOf(c)
		return noOutput(s.iam.Detach(ctx, acct, kind, owner, f("PolicyArn")))
	case "ListAttachedUserPolicies", "ListAttachedRolePolicies":
		kind, owner := ownerOf(c)
		if err := s.ownerExists(c, acct, kind, owner); err != nil {
			return nil, err
		}
		as, err := s.iam.Attached(ctx, acct, kind, owner)
		var out []xmlAttached
		for _, a := range as {
			out = append(out, xmlAttached{PolicyName: a.Name, PolicyArn: a.ARN})
		}
		return []field{{"AttachedPolicies", list(out)}, {"IsTruncated", false}}, err
	}
	return nil, fmt.Errorf("unrouted action %s", c.Action)
}

func (s *iamService) ownerExists(c *Call, acct, kind, owner string) error {
	if kind == "user" {
		_, err := s.iam.User(c.Ctx, acct, owner)
		return err
	}
	_, err := s.iam.Role(c.Ctx, acct, owner)
	return err
}

// ownerOf tells whose inline or attached policies a call is about.
func ownerOf(c *Call) (kind, owner string) {
	if r := c.Form.Get("RoleName"); r != "" {
		return "role", r
	}
	return "user", c.Form.Get("UserName")
}

func policyXML(p iam.ManagedPolicy, attachments int) xmlPolicy {
	return xmlPolicy{PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN, Path: p.Path, DefaultVersionID: "v1", AttachmentCount: attachments,
		IsAttachable: true, Description: p.Description, CreateDate: awsTime(p.Created), UpdateDate: awsTime(p.Created)}
}
