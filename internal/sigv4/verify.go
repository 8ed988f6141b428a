package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

const amzDateLayout = "20060102T150405Z"

// signed is what a signature claims, gathered from a header, a query string,
// a SASL payload or a token.
type signed struct {
	accessKeyID                string
	scopeDate, region, service string
	amzDate                    string
	signedAt                   time.Time
	signature                  [sha256.Size]byte
	sessionToken               string
	hasToken                   bool
	presigned                  bool
	expires                    time.Duration
	signedHeaders              string // as signed, e.g. "host;x-amz-date"
	signedHeaderNames          []string
}

// parseCredential splits AKID/yyyymmdd/region/service/aws4_request.
func parseCredential(s *signed, cred string) *Error {
	var parts [5]string
	rest, ok := cred, true
	for i := 0; i < 4 && ok; i++ {
		parts[i], rest, ok = strings.Cut(rest, "/")
	}
	if parts[4] = rest; !ok || parts[4] != "aws4_request" {
		return newError(CodeIncompleteSignature, "credential must have the form <key>/<yyyymmdd>/<region>/<service>/aws4_request")
	}
	for _, p := range parts {
		if p == "" {
			return newError(CodeIncompleteSignature, "credential has an empty component")
		}
	}
	if len(parts[1]) != 8 {
		return newError(CodeIncompleteSignature, "credential scope date must be yyyymmdd")
	}
	s.accessKeyID, s.scopeDate, s.region, s.service = parts[0], parts[1], parts[2], parts[3]
	return nil
}

// parseAmzDate parses an ISO 8601 basic timestamp (yyyymmddThhmmssZ).
func parseAmzDate(s *signed, d string) *Error {
	t, err := time.Parse(amzDateLayout, d)
	if err != nil || len(d) != len(amzDateLayout) {
		return newError(CodeIncompleteSignature, "X-Amz-Date must have the form yyyymmddThhmmssZ")
	}
	s.amzDate, s.signedAt = d, t
	return nil
}

// parseSignature decodes the hex signature.
func parseSignature(s *signed, sig string) *Error {
	if len(sig) != 2*len(s.signature) {
		return newError(CodeIncompleteSignature, "signature must be 64 hex digits")
	}
	if _, err := hex.Decode(s.signature[:], []byte(sig)); err != nil {
		return newError(CodeIncompleteSignature, "signature must be 64 hex digits")
	}
	return nil
}

// parseSignedHeaders checks a SignedHeaders list: lower-case, no empty or
// repeated names, host included.
func parseSignedHeaders(s *signed, list string) *Error {
	if list == "" {
		return newError(CodeIncompleteSignature, "SignedHeaders is empty")
	}
	names := strings.Split(list, ";")
	var seen map[string]bool // for long lists; short ones are searched
	if len(names) > 16 {
		seen = make(map[string]bool, len(names))
	}
	host := false
	for i, n := range names {
		if n == "" || strings.ToLower(n) != n || strings.ContainsAny(n, " \t:") {
			return newError(CodeIncompleteSignature, fmt.Sprintf("invalid signed header name %q", n))
		}
		repeated := seen[n]
		if seen == nil {
			repeated = slices.Contains(names[:i], n)
		} else {
			seen[n] = true
		}
		if repeated {
			return newError(CodeIncompleteSignature, fmt.Sprintf("signed header %q is repeated", n))
		}
		host = host || n == "host"
	}
	if !host {
		return newError(CodeIncompleteSignature, "'host' must be a signed header")
	}
	s.signedHeaders, s.signedHeaderNames = list, names
	return nil
}

// parseExpires parses X-Amz-Expires (decimal seconds, 1..max).
func parseExpires(s *signed, e string, max int) *Error {
	n, err := strconv.Atoi(e)
	if err != nil || e == "" || e[0] < '0' || e[0] > '9' || n < 1 || n > max {
		return newError(CodeInvalidParameterValue, fmt.Sprintf("X-Amz-Expires must be an integer from 1 to %d", max))
	}
	s.presigned = true
	s.expires = time.Duration(n) * time.Second
	return nil
}

// checkScope compares the credential scope with the request date and with
// the region and services the caller expects (empty: any).
func checkScope(s *signed, wantRegion string, wantServices []string) *Error {
	if s.scopeDate != s.amzDate[:8] {
		return newError(CodeSignatureDoesNotMatch, fmt.Sprintf("credential scope date %s does not match X-Amz-Date date %s", s.scopeDate, s.amzDate[:8]))
	}
	if wantRegion != "" && s.region != wantRegion {
		return newError(CodeSignatureDoesNotMatch, fmt.Sprintf("credential scope region %s does not match %s", s.region, wantRegion))
	}
	if len(wantServices) > 0 {
		ok := false
		for _, w := range wantServices {
			ok = ok || s.service == w
		}
		if !ok {
			return newError(CodeSignatureDoesNotMatch, fmt.Sprintf("credential scope service %s does not match %s", s.service, strings.Join(wantServices, " or ")))
		}
	}
	return nil
}

// checkTime applies the clock-skew and presign-expiry rules.
func (v *Verifier) checkTime(s *signed, now time.Time) *Error {
	skew := v.maxSkew()
	if s.signedAt.After(now.Add(skew)) {
		return newError(CodeRequestExpired, fmt.Sprintf("request date %s is more than %s in the future", s.amzDate, skew))
	}
	if s.presigned {
		if now.After(s.signedAt.Add(s.expires)) {
			return newError(CodeRequestExpired, fmt.Sprintf("request signed at %s expired after %d seconds", s.amzDate, int64(s.expires/time.Second)))
		}
		return nil
	}
	if now.Sub(s.signedAt) > skew {
		return newError(CodeRequestExpired, fmt.Sprintf("request date %s is more than %s in the past", s.amzDate, skew))
	}
	return nil
}

// check looks the key up and compares the signature with the one computed
// over each candidate canonical request, then applies the session-token and
// credential-expiry rules.
func (v *Verifier) check(ctx context.Context, s *signed, now time.Time, canonicals []string) (Result, error) {
	if v.Keys == nil {
		return Result{}, newError(CodeInternalFailure, "no key store configured")
	}
	cred, err := v.Keys.Lookup(ctx, s.accessKeyID)
	if err != nil {
		if errors.Is(err, ErrUnknownKey) {
			return Result{}, &Error{Code: CodeInvalidClientTokenID, Reason: "the security token included in the request is invalid", cause: err}
		}
		return Result{}, &Error{Code: CodeInternalFailure, Reason: "access key lookup failed", cause: err}
	}
	if cred.SecretAccessKey == "" {
		return Result{}, newError(CodeInvalidClientTokenID, "the security token included in the request is invalid")
	}
	key := v.signingKey(cred.SecretAccessKey, s.scopeDate, s.region, s.service)
	mac := hmac.New(sha256.New, key)
	var buf [160]byte
	var sum [sha256.Size]byte
	match := 0
	for _, c := range canonicals {
		mac.Reset()
		mac.Write(appendStringToSign(buf[:0], s.amzDate, s, c))
		match |= subtle.ConstantTimeCompare(mac.Sum(sum[:0]), s.signature[:])
	}
	if match != 1 {
		return Result{}, newError(CodeSignatureDoesNotMatch, "the request signature we calculated does not match the signature you provided")
	}
	if cred.SessionToken != "" {
		if !s.hasToken || subtle.ConstantTimeCompare([]byte(cred.SessionToken), []byte(s.sessionToken)) != 1 {
			return Result{}, newError(CodeInvalidClientTokenID, "the security token included in the request is invalid")
		}
	} else if s.hasToken {
		return Result{}, newError(CodeInvalidClientTokenID, "the security token included in the request is invalid: the access key takes no session token")
	}
	if !cred.Expires.IsZero() && !now.Before(cred.Expires) {
		return Result{}, newError(CodeExpiredToken, "the security token included in the request is expired")
	}
	res := Result{
		AccessKeyID:       s.accessKeyID,
		Region:            s.region,
		Service:           s.service,
		SignedAt:          s.signedAt,
		CredentialExpires: cred.Expires,
		SessionToken:      s.sessionToken,
		Signature:         s.signature,
	}
	if s.presigned {
		res.Expires = s.signedAt.Add(s.expires)
	}
	return res, nil
}

// VerifyRequest verifies an HTTP request signed in the Authorization header
// (AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…) or presigned
// in the query (X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date,
// X-Amz-Expires, X-Amz-SignedHeaders, X-Amz-Signature and, for temporary
// credentials, X-Amz-Security-Token). body is the request body, already
// read. The payload hash is x-amz-content-sha256 when present (it must match
// the body unless it is UNSIGNED-PAYLOAD), else SHA-256 of body. The
// credential scope region and service are checked against v.Region and
// v.Services when those are set; otherwise the caller routes on
// Result.Region and Result.Service.
func (v *Verifier) VerifyRequest(ctx context.Context, r *http.Request, body []byte) (Result, error) {
	now := v.now()
	params, ok := parseQuery(r.URL.RawQuery)
	if !ok {
		return Result{}, newError(CodeIncompleteSignature, "malformed query string")
	}
	auth := r.Header.Values("Authorization")
	presigned := false
	for _, p := range params {
		if p.key == "X-Amz-Algorithm" {
			presigned = true
		}
	}
	switch {
	case len(auth) == 0 && !presigned:
		return Result{}, newError(CodeMissingAuthenticationToken, "request is missing authentication token")
	case len(auth) > 0 && presigned:
		return Result{}, newError(CodeIncompleteSignature, "only one authentication mechanism allowed: Authorization header or X-Amz-Algorithm query parameter")
	case len(auth) > 1:
		return Result{}, newError(CodeIncompleteSignature, "more than one Authorization header")
	}

	s := &signed{}
	var e *Error
	if presigned {
		e = parsePresignedQuery(s, params)
	} else {
		e = parseAuthorizationHeader(s, auth[0])
		if e == nil {
			e = headerDateAndToken(s, r)
		}
	}
	if e != nil {
		return Result{}, e
	}
	if e := checkScope(s, v.Region, v.Services); e != nil {
		return Result{}, e
	}
	if e := v.checkTime(s, now); e != nil {
		return Result{}, e
	}

	payloadHash, e := payloadHash(r, body, presigned && s.service == "s3")
	if e != nil {
		return Result{}, e
	}
	headers, e := requestHeaders(r, s.signedHeaderNames)
	if e != nil {
		return Result{}, e
	}
	query := canonicalQuery(params)
	if presigned {
		query = canonicalQuery(params, "X-Amz-Signature")
	}
	var canonicals []string
	for _, uri := range canonicalURIs(r.URL.EscapedPath(), s.service) {
		canonicals = append(canonicals, canonicalRequest(r.Method, uri, query, headers, s.signedHeaders, payloadHash))
	}
	return v.check(ctx, s, now, canonicals)
}

// parseAuthorizationHeader parses
// "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…".
func parseAuthorizationHeader(s *signed, h string) *Error {
	alg, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if alg != Algorithm {
		return newError(CodeIncompleteSignature, "unsupported authorization algorithm; only AWS4-HMAC-SHA256 is accepted")
	}
	fields := map[string]string{}
	for _, f := range strings.Split(rest, ",") {
		f = strings.TrimSpace(f)
		k, val, ok := strings.Cut(f, "=")
		if !ok {
			return newError(CodeIncompleteSignature, "malformed Authorization header")
		}
		switch k {
		case "Credential", "SignedHeaders", "Signature":
		default:
			return newError(CodeIncompleteSignature, fmt.Sprintf("unexpected Authorization header field %q", k))
		}
		if _, dup := fields[k]; dup {
			return newError(CodeIncompleteSignature, fmt.Sprintf("Authorization header field %s is repeated", k))
		}
		fields[k] = val
	}
	for _, k := range []string{"Credential", "SignedHeaders", "Signature"} {
		if _, ok := fields[k]; !ok {
			return newError(CodeIncompleteSignature, fmt.Sprintf("Authorization header requires a %s field", k))
		}
	}
	if e := parseCredential(s, fields["Credential"]); e != nil {
		return e
	}
	if e := parseSignedHeaders(s, fields["SignedHeaders"]); e != nil {
		return e
	}
	return parseSignature(s, fields["Signature"])
}

// headerDateAndToken reads X-Amz-Date (or Date) and X-Amz-Security-Token of
// a header-signed request.
func headerDateAndToken(s *signed, r *http.Request) *Error {
	if d := r.Header.Values("X-Amz-Date"); len(d) > 0 {
		if len(d) > 1 {
			return newError(CodeIncompleteSignature, "more than one X-Amz-Date header")
		}
		if e := parseAmzDate(s, d[0]); e != nil {
			return e
		}
	} else if d := r.Header.Values("Date"); len(d) == 1 {
		t, err := http.ParseTime(d[0])
		if err != nil {
			return newError(CodeIncompleteSignature, "malformed Date header")
		}
		s.signedAt = t.UTC()
		s.amzDate = s.signedAt.Format(amzDateLayout)
	} else {
		return newError(CodeIncompleteSignature, "request must contain one X-Amz-Date or Date header")
	}
	if tok := r.Header.Values("X-Amz-Security-Token"); len(tok) > 0 {
		if len(tok) > 1 {
			return newError(CodeIncompleteSignature, "more than one X-Amz-Security-Token header")
		}
		s.sessionToken, s.hasToken = tok[0], true
	}
	return nil
}

// Indexes of the X-Amz-* parameters of a presigned request in
// presignValues.
const (
	pAlgorithm = iota
	pCredential
	pDate
	pExpires
	pSignedHeaders
	pSignature
	pSecurityToken // optional
	numPresignParams
)

// presignParamName is the name of parameter i.
func presignParamName(i int) string {
	return [numPresignParams]string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
		"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}[i]
}

// presignParam is the index of the parameter named key, or -1.
func presignParam(key string) int {
	switch key {
	case "X-Amz-Algorithm":
		return pAlgorithm
	case "X-Amz-Credential":
		return pCredential
	case "X-Amz-Date":
		return pDate
	case "X-Amz-Expires":
		return pExpires
	case "X-Amz-SignedHeaders":
		return pSignedHeaders
	case "X-Amz-Signature":
		return pSignature
	case "X-Amz-Security-Token":
		return pSecurityToken
	}
	return -1
}

// presignValues holds the X-Amz-* parameters of a presigned request.
type presignValues struct {
	v       [numPresignParams]string
	present uint8
}

// set records key=value if key is an X-Amz-* presign parameter; dup
// reports that it was already set.
func (pv *presignValues) set(key, value string) (known, dup bool) {
	i := presignParam(key)
	if i < 0 {
		return false, false
	}
	if pv.present&(1<<i) != 0 {
		return true, true
	}
	pv.v[i], pv.present = value, pv.present|1<<i
	return true, false
}

func (pv *presignValues) get(i int) (string, bool) {
	return pv.v[i], pv.present&(1<<i) != 0
}

// missing returns the first required parameter that is not set.
func (pv *presignValues) missing() (string, bool) {
	for i := 0; i < pSecurityToken; i++ {
		if pv.present&(1<<i) == 0 {
			return presignParamName(i), true
		}
	}
	return "", false
}

// parsePresignedQuery reads the X-Amz-* parameters of a presigned request.
func parsePresignedQuery(s *signed, params []queryParam) *Error {
	var pv presignValues
	for _, p := range params {
		if _, dup := pv.set(p.key, p.value); dup {
			return newError(CodeIncompleteSignature, fmt.Sprintf("query parameter %s is repeated", p.key))
		}
	}
	if k, ok := pv.missing(); ok {
		return newError(CodeIncompleteSignature, fmt.Sprintf("presigned request requires the %s query parameter", k))
	}
	if pv.v[pAlgorithm] != Algorithm {
		return newError(CodeIncompleteSignature, "unsupported X-Amz-Algorithm; only AWS4-HMAC-SHA256 is accepted")
	}
	if e := parseCredential(s, pv.v[pCredential]); e != nil {
		return e
	}
	if e := parseAmzDate(s, pv.v[pDate]); e != nil {
		return e
	}
	if e := parseExpires(s, pv.v[pExpires], MaxPresignExpires); e != nil {
		return e
	}
	if e := parseSignedHeaders(s, pv.v[pSignedHeaders]); e != nil {
		return e
	}
	if tok, ok := pv.get(pSecurityToken); ok {
		s.sessionToken, s.hasToken = tok, true
	}
	return parseSignature(s, pv.v[pSignature])
}

// payloadHash returns the payload hash to put in the canonical request.
func payloadHash(r *http.Request, body []byte, s3Presign bool) (string, *Error) {
	h := r.Header.Values("X-Amz-Content-Sha256")
	switch {
	case len(h) > 1:
		return "", newError(CodeIncompleteSignature, "more than one x-amz-content-sha256 header")
	case len(h) == 1:
		if h[0] == unsignedPayload {
			return h[0], nil
		}
		if strings.HasPrefix(h[0], "STREAMING-") {
			return "", newError(CodeIncompleteSignature, "streaming payload signing is not supported")
		}
		if subtle.ConstantTimeCompare([]byte(strings.ToLower(h[0])), []byte(sha256Hex(body))) != 1 {
			return "", newError(CodeSignatureDoesNotMatch, "x-amz-content-sha256 does not match the request body")
		}
		return h[0], nil
	case s3Presign:
		return unsignedPayload, nil
	}
	return sha256Hex(body), nil
}

// requestHeaders collects the values of the signed headers, in signed order.
func requestHeaders(r *http.Request, names []string) ([]header, *Error) {
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]header, 0, len(names))
	for _, n := range names {
		var vals []string
		switch n {
		case "host":
			host := r.Host
			if host == "" {
				host = r.URL.Host
			}
			if host != "" {
				vals = []string{host}
			}
		default:
			for _, k := range keys {
				if strings.EqualFold(k, n) {
					vals = append(vals, r.Header[k]...)
				}
			}
			if len(vals) == 0 && n == "content-length" && r.ContentLength >= 0 {
				vals = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		}
		if len(vals) == 0 {
			return nil, newError(CodeSignatureDoesNotMatch, fmt.Sprintf("signed header %s is missing from the request", n))
		}
		out = append(out, header{n, vals})
	}
	return out, nil
}
