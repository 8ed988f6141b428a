package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"slices"
	"strings"
)

// queryParam is one decoded query parameter, in request order.
type queryParam struct{ key, value string }

// parseQuery splits a raw query string into decoded parameters, keeping
// repeated keys and empty values ("a" and "a=" both mean a=""). Empty pairs
// ("a=1&&b=2") are skipped. '+' decodes to a space, as url.ParseQuery and
// the AWS SDKs treat it.
//
// A raw ';' makes the query malformed. Handlers read a verified request's
// parameters with url.ParseQuery, which drops any pair holding one: a
// parameter signed as "a=%3B" and sent as "a=;" would otherwise verify and
// yet be invisible to the handler. Signers always percent-encode ';'.
func parseQuery(raw string) ([]queryParam, bool) {
	if strings.IndexByte(raw, ';') >= 0 {
		return nil, false
	}
	var out []queryParam
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		dk, err := url.QueryUnescape(k)
		if err != nil {
			return nil, false
		}
		dv, err := url.QueryUnescape(val)
		if err != nil {
			return nil, false
		}
		out = append(out, queryParam{dk, dv})
	}
	return out, true
}

// canonicalQuery encodes keys and values with AWS's URI encoding, sorts by
// encoded key then encoded value and joins them, leaving out the parameter
// named skip (X-Amz-Signature for presigned requests).
func canonicalQuery(params []queryParam, skip ...string) string {
	enc := make([]queryParam, 0, len(params))
	size := 0
next:
	for _, p := range params {
		for _, s := range skip {
			if p.key == s {
				continue next
			}
		}
		q := queryParam{uriEncode(p.key, false), uriEncode(p.value, false)}
		size += len(q.key) + len(q.value) + 2
		enc = append(enc, q)
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	var b strings.Builder
	b.Grow(size)
	for i, p := range enc {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.key)
		b.WriteByte('=')
		b.WriteString(p.value)
	}
	return b.String()
}

// unreserved reports whether URI encoding leaves c as it is.
func unreserved(c byte, keepSlash bool) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || keepSlash && c == '/'
}

// uriEncode percent-encodes every byte except the unreserved characters
// A-Z a-z 0-9 - . _ ~ (and '/' when keepSlash), with upper-case hex, as the
// SigV4 specification's UriEncode. A string that needs no encoding is
// returned as it is.
func uriEncode(s string, keepSlash bool) string {
	const hexdig = "0123456789ABCDEF"
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i], keepSlash) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	b := make([]byte, 0, len(s)+2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c, keepSlash) {
			b = append(b, c)
		} else {
			b = append(b, '%', hexdig[c>>4], hexdig[c&15])
		}
	}
	return string(b)
}

// removeDotSegments applies RFC 3986 §5.2.4 and, as AWS services (and
// botocore) do, drops empty segments (consecutive slashes).
func removeDotSegments(path string) string {
	if path == "" {
		return "/"
	}
	var out []string
	for _, seg := range strings.Split(path, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	res := strings.Join(out, "/")
	if path[0] == '/' {
		res = "/" + res
	}
	if path[len(path)-1] == '/' && len(out) > 0 {
		res += "/"
	}
	return res
}

// canonicalURIs returns the canonical URI(s) of an escaped request path. For
// services other than S3, AWS normalizes the path and URI-encodes the
// already-encoded path again (double encoding); botocore normalizes,
// aws-sdk-go-v2 does not, so both forms are candidates. S3 signs the path as
// sent.
func canonicalURIs(escapedPath, service string) []string {
	if escapedPath == "" {
		escapedPath = "/"
	}
	if service == "s3" {
		return []string{escapedPath}
	}
	norm := uriEncode(removeDotSegments(escapedPath), true)
	raw := uriEncode(escapedPath, true)
	if norm == raw {
		return []string{norm}
	}
	return []string{norm, raw}
}

// canonicalHeaderValue trims a header value and collapses runs of spaces.
func canonicalHeaderValue(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// header is one signed header with its values.
type header struct {
	name   string
	values []string
}

// canonicalRequest assembles the SigV4 canonical request.
func canonicalRequest(method, uri, query string, headers []header, signedHeaders, payloadHash string) string {
	size := len(method) + len(uri) + len(query) + len(signedHeaders) + len(payloadHash) + 5
	for _, h := range headers {
		size += len(h.name) + 2
		for _, v := range h.values {
			size += len(v) + 1
		}
	}
	var b strings.Builder
	b.Grow(size)
	b.WriteString(method)
	b.WriteByte('\n')
	b.WriteString(uri)
	b.WriteByte('\n')
	b.WriteString(query)
	b.WriteByte('\n')
	for _, h := range headers {
		b.WriteString(h.name)
		b.WriteByte(':')
		for i, v := range h.values {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(canonicalHeaderValue(v))
		}
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(signedHeaders)
	b.WriteByte('\n')
	b.WriteString(payloadHash)
	return b.String()
}

// appendStringToSign appends the SigV4 string to sign of a canonical
// request to b.
func appendStringToSign(b []byte, amzDate string, s *signed, canonical string) []byte {
	sum := sha256.Sum256([]byte(canonical))
	b = append(b, Algorithm...)
	b = append(b, '\n')
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, s.scopeDate...)
	b = append(b, '/')
	b = append(b, s.region...)
	b = append(b, '/')
	b = append(b, s.service...)
	b = append(b, "/aws4_request\n"...)
	return hex.AppendEncode(b, sum[:])
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
