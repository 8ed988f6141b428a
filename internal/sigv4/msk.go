package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// maxSASLPayload bounds the AWS_MSK_IAM payload and OAUTHBEARER token sizes.
const maxSASLPayload = 64 << 10

// mskHeaders is the only SignedHeaders value MSK IAM accepts.
const mskSignedHeaders = "host"

// VerifyMSKIAM verifies an AWS_MSK_IAM SASL payload: a flat JSON object of
// strings with version 2020_10_22, host, user-agent, action
// kafka-cluster:Connect, x-amz-algorithm, x-amz-credential, x-amz-date,
// x-amz-security-token (temporary credentials only), x-amz-signedheaders
// "host", x-amz-expires (at most 900) and x-amz-signature.
//
// host is the broker host the client connected to, without port; the
// payload's host must equal it. region is the cluster's region; the
// credential scope must name it (any region when empty) and the service
// kafka-cluster. The signature is checked as a SigV4 query presign of
// GET /?Action=kafka-cluster%3AConnect&X-Amz-… with the single header
// host:<host> and the empty-body hash.
func (v *Verifier) VerifyMSKIAM(ctx context.Context, payload []byte, host, region string) (Result, error) {
	now := v.now()
	fields, e := parseFlatJSON(payload)
	if e != nil {
		return Result{}, e
	}
	for _, k := range []string{"version", "host", "action", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signedheaders", "x-amz-expires", "x-amz-signature"} {
		if _, ok := fields[k]; !ok {
			return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("AWS_MSK_IAM payload is missing %q", k))
		}
	}
	if fields["version"] != MSKVersion {
		return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("unsupported AWS_MSK_IAM payload version %q", fields["version"]))
	}
	if fields["action"] != MSKConnectAction {
		return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("AWS_MSK_IAM action must be %s", MSKConnectAction))
	}
	params := []queryParam{
		{"Action", MSKConnectAction},
		{"X-Amz-Algorithm", fields["x-amz-algorithm"]},
		{"X-Amz-Credential", fields["x-amz-credential"]},
		{"X-Amz-Date", fields["x-amz-date"]},
		{"X-Amz-Expires", fields["x-amz-expires"]},
		{"X-Amz-SignedHeaders", fields["x-amz-signedheaders"]},
		{"X-Amz-Signature", fields["x-amz-signature"]},
	}
	if tok, ok := fields["x-amz-security-token"]; ok {
		params = append(params, queryParam{"X-Amz-Security-Token", tok})
	}
	return v.verifyConnect(ctx, params, fields["host"], []string{host}, region, now, "AWS_MSK_IAM payload")
}

// VerifyOAuthBearer verifies an MSK signer OAUTHBEARER token: the base64url
// (unpadded; padding tolerated) encoding of the presigned URL
// https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect&…&User-Agent=….
// User-Agent and X-Amz-Signature are left out of the canonical query, which
// is recomputed over the URL's host. The host must be
// kafka.<region>.amazonaws.com or one of hosts (for deployments under
// another domain, e.g. kafka.<region>.example.net). region is checked
// against the credential scope (any region when empty, in which case the
// default host uses the scope's region).
func (v *Verifier) VerifyOAuthBearer(ctx context.Context, token string, region string, hosts []string) (Result, error) {
	now := v.now()
	if len(token) > maxSASLPayload {
		return Result{}, newError(CodeInvalidParameterValue, "OAUTHBEARER token is too large")
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(token, "="))
	if err != nil {
		return Result{}, newError(CodeInvalidParameterValue, "OAUTHBEARER token is not base64url")
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		return Result{}, newError(CodeInvalidParameterValue, "OAUTHBEARER token is not a URL")
	}
	if u.Scheme != "https" || u.Opaque != "" || u.User != nil || u.Fragment != "" || u.Port() != "" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return Result{}, newError(CodeInvalidParameterValue, "OAUTHBEARER token must be an https URL with path /")
	}
	all, ok := parseQuery(u.RawQuery)
	if !ok {
		return Result{}, newError(CodeInvalidParameterValue, "OAUTHBEARER token has a malformed query string")
	}
	seen := map[string]bool{}
	var params []queryParam
	for _, p := range all {
		if seen[p.key] {
			return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("OAUTHBEARER token repeats %s", p.key))
		}
		seen[p.key] = true
		if p.key == "User-Agent" {
			continue
		}
		params = append(params, p)
	}
	var action string
	for _, p := range params {
		if p.key == "Action" {
			action = p.value
		}
	}
	if !seen["Action"] || action != MSKConnectAction {
		return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("OAUTHBEARER token Action must be %s", MSKConnectAction))
	}
	allowed := append([]string(nil), hosts...)
	if region != "" {
		allowed = append(allowed, "kafka."+region+".amazonaws.com")
	} else if s, ok := queryValue(params, "X-Amz-Credential"); ok {
		if parts := strings.Split(s, "/"); len(parts) == 5 {
			allowed = append(allowed, "kafka."+parts[2]+".amazonaws.com")
		}
	}
	return v.verifyConnect(ctx, params, u.Host, allowed, region, now, "OAUTHBEARER token")
}

func queryValue(params []queryParam, key string) (string, bool) {
	for _, p := range params {
		if p.key == key {
			return p.value, true
		}
	}
	return "", false
}

// verifyConnect verifies a kafka-cluster:Connect presign whose parameters
// (Action and X-Amz-*, including X-Amz-Signature) are in params, signed over
// host, which must be one of allowed.
func (v *Verifier) verifyConnect(ctx context.Context, params []queryParam, host string, allowed []string, region string, now time.Time, what string) (Result, error) {
	got := map[string]string{}
	for _, p := range params {
		switch p.key {
		case "Action":
		case "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
			"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token":
			got[p.key] = p.value
		default:
			return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("%s has unexpected parameter %q", what, p.key))
		}
	}
	for _, k := range []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"} {
		if _, ok := got[k]; !ok {
			return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("%s is missing %s", what, k))
		}
	}
	if got["X-Amz-Algorithm"] != Algorithm {
		return Result{}, newError(CodeIncompleteSignature, "unsupported X-Amz-Algorithm; only AWS4-HMAC-SHA256 is accepted")
	}
	if got["X-Amz-SignedHeaders"] != mskSignedHeaders {
		return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("%s X-Amz-SignedHeaders must be %q", what, mskSignedHeaders))
	}
	s := &signed{}
	if e := parseCredential(s, got["X-Amz-Credential"]); e != nil {
		return Result{}, e
	}
	if e := parseAmzDate(s, got["X-Amz-Date"]); e != nil {
		return Result{}, e
	}
	if e := parseExpires(s, got["X-Amz-Expires"], MaxSASLExpires); e != nil {
		return Result{}, e
	}
	if e := parseSignedHeaders(s, got["X-Amz-SignedHeaders"]); e != nil {
		return Result{}, e
	}
	if e := parseSignature(s, got["X-Amz-Signature"]); e != nil {
		return Result{}, e
	}
	if tok, ok := got["X-Amz-Security-Token"]; ok {
		if tok == "" {
			return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("%s has an empty security token", what))
		}
		s.sessionToken, s.hasToken = tok, true
	}
	if host == "" || !hostAllowed(host, allowed) {
		return Result{}, newError(CodeSignatureDoesNotMatch, fmt.Sprintf("signed host %q does not match %s", host, strings.Join(allowed, " or ")))
	}
	if e := checkScope(s, region, []string{MSKService}); e != nil {
		return Result{}, e
	}
	if e := v.checkTime(s, now); e != nil {
		return Result{}, e
	}
	canonical := canonicalRequest("GET", "/", canonicalQuery(params, "X-Amz-Signature"),
		[]header{{"host", []string{host}}}, mskSignedHeaders, emptySHA256)
	return v.check(ctx, s, now, []string{canonical})
}

func hostAllowed(host string, allowed []string) bool {
	for _, a := range allowed {
		if a != "" && strings.EqualFold(host, a) {
			return true
		}
	}
	return false
}

// parseFlatJSON decodes a JSON object whose values are all strings,
// rejecting repeated keys and trailing data.
func parseFlatJSON(payload []byte) (map[string]string, *Error) {
	bad := func(why string) *Error {
		return newError(CodeInvalidParameterValue, "malformed AWS_MSK_IAM payload: "+why)
	}
	if len(payload) > maxSASLPayload {
		return nil, bad("too large")
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return nil, bad("not a JSON object")
	}
	out := map[string]string{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, bad("invalid JSON")
		}
		k, ok := kt.(string)
		if !ok {
			return nil, bad("invalid JSON")
		}
		vt, err := dec.Token()
		if err != nil {
			return nil, bad("invalid JSON")
		}
		val, ok := vt.(string)
		if !ok {
			return nil, bad(fmt.Sprintf("value of %q is not a string", k))
		}
		if _, dup := out[k]; dup {
			return nil, bad(fmt.Sprintf("key %q is repeated", k))
		}
		out[k] = val
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, bad("invalid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, bad("trailing data after the JSON object")
	}
	return out, nil
}
