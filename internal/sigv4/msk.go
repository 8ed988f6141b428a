package sigv4

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"
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
	members, e := parseFlatJSON(payload)
	if e != nil {
		return Result{}, e
	}
	for _, k := range [...]string{"version", "host", "action", "x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signedheaders", "x-amz-expires", "x-amz-signature"} {
		if _, ok := member(members, k); !ok {
			return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("AWS_MSK_IAM payload is missing %q", k))
		}
	}
	val := func(k string) string {
		s, _ := member(members, k)
		return s
	}
	if ver := val("version"); ver != MSKVersion {
		return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("unsupported AWS_MSK_IAM payload version %q", ver))
	}
	if val("action") != MSKConnectAction {
		return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("AWS_MSK_IAM action must be %s", MSKConnectAction))
	}
	params := make([]queryParam, 0, 8)
	params = append(params,
		queryParam{"Action", MSKConnectAction},
		queryParam{"X-Amz-Algorithm", val("x-amz-algorithm")},
		queryParam{"X-Amz-Credential", val("x-amz-credential")},
		queryParam{"X-Amz-Date", val("x-amz-date")},
		queryParam{"X-Amz-Expires", val("x-amz-expires")},
		queryParam{"X-Amz-SignedHeaders", val("x-amz-signedheaders")},
		queryParam{"X-Amz-Signature", val("x-amz-signature")},
	)
	if tok, ok := member(members, "x-amz-security-token"); ok {
		params = append(params, queryParam{"X-Amz-Security-Token", tok})
	}
	return v.verifyConnect(ctx, params, val("host"), []string{host}, region, now, "AWS_MSK_IAM payload")
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
	var pv presignValues
	for _, p := range params {
		if p.key == "Action" {
			continue
		}
		if known, _ := pv.set(p.key, p.value); !known {
			return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("%s has unexpected parameter %q", what, p.key))
		}
	}
	if k, ok := pv.missing(); ok {
		return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("%s is missing %s", what, k))
	}
	if pv.v[pAlgorithm] != Algorithm {
		return Result{}, newError(CodeIncompleteSignature, "unsupported X-Amz-Algorithm; only AWS4-HMAC-SHA256 is accepted")
	}
	if pv.v[pSignedHeaders] != mskSignedHeaders {
		return Result{}, newError(CodeInvalidParameterValue, fmt.Sprintf("%s X-Amz-SignedHeaders must be %q", what, mskSignedHeaders))
	}
	s := &signed{}
	if e := parseCredential(s, pv.v[pCredential]); e != nil {
		return Result{}, e
	}
	if e := parseAmzDate(s, pv.v[pDate]); e != nil {
		return Result{}, e
	}
	if e := parseExpires(s, pv.v[pExpires], MaxSASLExpires); e != nil {
		return Result{}, e
	}
	if e := parseSignedHeaders(s, pv.v[pSignedHeaders]); e != nil {
		return Result{}, e
	}
	if e := parseSignature(s, pv.v[pSignature]); e != nil {
		return Result{}, e
	}
	if tok, ok := pv.get(pSecurityToken); ok {
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

// maxPayloadKeys bounds the members of an AWS_MSK_IAM payload (a real one
// has a dozen), which keeps the repeated-key check cheap.
const maxPayloadKeys = 64

// jsonMember is one key and value of a flat JSON object, both decoded.
type jsonMember struct{ key, value string }

// parseFlatJSON decodes a JSON object (RFC 8259) whose values are all
// strings, rejecting repeated keys and trailing data. It is stricter than
// encoding/json, never looser: invalid UTF-8 and unpaired surrogate escapes
// are rejected rather than replaced with U+FFFD. Unescaped keys and values
// share one copy of the payload.
func parseFlatJSON(payload []byte) ([]jsonMember, *Error) {
	bad := func(why string) *Error {
		return newError(CodeInvalidParameterValue, "malformed AWS_MSK_IAM payload: "+why)
	}
	if len(payload) > maxSASLPayload {
		return nil, bad("too large")
	}
	p := flatParser{src: string(payload)}
	p.space()
	if !p.consume('{') {
		return nil, bad("not a JSON object")
	}
	out := make([]jsonMember, 0, 16)
	p.space()
	if p.consume('}') {
		return out, p.end(bad)
	}
	for {
		p.space()
		k, ok := p.str()
		if !ok {
			return nil, bad("invalid JSON")
		}
		p.space()
		if !p.consume(':') {
			return nil, bad("invalid JSON")
		}
		p.space()
		if p.i < len(p.src) && p.src[p.i] != '"' {
			return nil, bad(fmt.Sprintf("value of %q is not a string", k))
		}
		val, ok := p.str()
		if !ok {
			return nil, bad("invalid JSON")
		}
		for _, m := range out {
			if m.key == k {
				return nil, bad(fmt.Sprintf("key %q is repeated", k))
			}
		}
		if len(out) == maxPayloadKeys {
			return nil, bad("too many keys")
		}
		out = append(out, jsonMember{k, val})
		p.space()
		if p.consume(',') {
			continue
		}
		if p.consume('}') {
			return out, p.end(bad)
		}
		return nil, bad("invalid JSON")
	}
}

// member returns the value of key k.
func member(ms []jsonMember, k string) (string, bool) {
	for _, m := range ms {
		if m.key == k {
			return m.value, true
		}
	}
	return "", false
}

// flatParser reads JSON tokens from src.
type flatParser struct {
	src string
	i   int
}

func (p *flatParser) space() {
	for p.i < len(p.src) {
		switch p.src[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *flatParser) consume(c byte) bool {
	if p.i < len(p.src) && p.src[p.i] == c {
		p.i++
		return true
	}
	return false
}

// end accepts only whitespace after the object.
func (p *flatParser) end(bad func(string) *Error) *Error {
	p.space()
	if p.i != len(p.src) {
		return bad("trailing data after the JSON object")
	}
	return nil
}

// str reads a JSON string. Without escapes it returns a substring of src.
func (p *flatParser) str() (string, bool) {
	if !p.consume('"') {
		return "", false
	}
	start := p.i
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == '"':
			s := p.src[start:p.i]
			p.i++
			return s, utf8.ValidString(s)
		case c == '\\':
			return p.escapedStr(start)
		case c < 0x20:
			return "", false
		}
		p.i++
	}
	return "", false
}

// escapedStr finishes reading a string that holds escapes, from start (just
// after the opening quote); p.i is at the first backslash.
func (p *flatParser) escapedStr(start int) (string, bool) {
	b := make([]byte, 0, p.i-start+32)
	b = append(b, p.src[start:p.i]...)
	for p.i < len(p.src) {
		c := p.src[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), utf8.Valid(b)
		case c < 0x20:
			return "", false
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.src) {
			return "", false
		}
		e := p.src[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", false
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 || !strings.HasPrefix(p.src[p.i:], "\\u") {
					return "", false
				}
				p.i += 2
				lo, ok := p.hex4()
				if !ok {
					return "", false
				}
				r = utf16.DecodeRune(r, lo)
				if r == utf8.RuneError {
					return "", false
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", false
		}
	}
	return "", false
}

// hex4 reads the four hex digits of a \u escape.
func (p *flatParser) hex4() (rune, bool) {
	if p.i+4 > len(p.src) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.src[p.i : p.i+4]) {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.i += 4
	return r, true
}
