package sigv4

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"sort"
	"strings"
)

// queryParam is one decoded query parameter, in request order.
type queryParam struct{ key, value string }

// parseQuery splits a raw query string into decoded parameters, keeping
// repeated keys and empty values ("a" and "a=" both mean a=""). Empty pairs
// ("a=1&&b=2") are skipped. '+' decodes to a space, as url.ParseQuery and
// the AWS SDKs treat it.
func parseQuery(raw string) ([]queryParam, bool) {
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
next:
	for _, p := range params {
		for _, s := range skip {
			if p.key == s {
				continue next
			}
		}
		enc = append(enc, queryParam{uriEncode(p.key, false), uriEncode(p.value, false)})
	}
	sort.Slice(enc, func(i, j int) bool {
		if enc[i].key != enc[j].key {
			return enc[i].key < enc[j].key
		}
		return enc[i].value < enc[j].value
	})
	var b strings.Builder
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

// uriEncode percent-encodes every byte except the unreserved characters
// A-Z a-z 0-9 - . _ ~ (and '/' when keepSlash), with upper-case hex, as the
// SigV4 specification's UriEncode.
func uriEncode(s string, keepSlash bool) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9',
			c == '-', c == '.', c == '_', c == '~', keepSlash && c == '/':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hexdig[c>>4])
			b.WriteByte(hexdig[c&15])
		}
	}
	return b.String()
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
	var b strings.Builder
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

// stringToSign builds the SigV4 string to sign.
func stringToSign(amzDate, scope, canonical string) string {
	sum := sha256.Sum256([]byte(canonical))
	return Algorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
