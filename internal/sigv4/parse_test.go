package sigv4

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseFlatJSON(t *testing.T) {
	many := func(n int) string {
		var b strings.Builder
		b.WriteByte('{')
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `"k%d":"v"`, i)
		}
		b.WriteByte('}')
		return b.String()
	}
	cases := []struct {
		in   string
		want []jsonMember // nil: rejected
	}{
		{`{}`, []jsonMember{}},
		{" \t\r\n{ \"a\" : \"b\" , \"c\":\"\" }\n", []jsonMember{{"a", "b"}, {"c", ""}}},
		{`{"a":"\"\\\/\b\f\n\r\t"}`, []jsonMember{{"a", "\"\\/\b\f\n\r\t"}}},
		{`{"a":"caf\u00e9 \ud83d\ude00 \u0041"}`, []jsonMember{{"a", "café 😀 A"}}},
		{`{"h\u006fst":"x"}`, []jsonMember{{"host", "x"}}},
		{`{"a":"é"}`, []jsonMember{{"a", "é"}}},
		{many(maxPayloadKeys), nil}, // checked below for length only
		{many(maxPayloadKeys + 1), nil},
		{``, nil},
		{`[]`, nil},
		{`"a"`, nil},
		{`{"a":"b"`, nil},
		{`{"a":"b",}`, nil},
		{`{,"a":"b"}`, nil},
		{`{"a" "b"}`, nil},
		{`{"a":"b" "c":"d"}`, nil},
		{`{"a":1}`, nil},
		{`{"a":null}`, nil},
		{`{"a":{"b":"c"}}`, nil},
		{`{"a":["b"]}`, nil},
		{`{a:"b"}`, nil},
		{`{'a':'b'}`, nil},
		{`{"a":"b"}x`, nil},
		{`{"a":"b"}{}`, nil},
		{`{"a":"b","a":"c"}`, nil},
		{`{"a":"b","\u0061":"c"}`, nil},
		{"{\"a\":\"\x01\"}", nil},
		{"{\"a\":\"\xff\"}", nil},
		{"{\"a\":\"\\\xff\"}", nil},
		{`{"a":"\x41"}`, nil},
		{`{"a":"\u00G1"}`, nil},
		{`{"a":"\u12"}`, nil},
		{`{"a":"\ud83d"}`, nil},
		{`{"a":"\ude00"}`, nil},
		{`{"a":"\ud83d\u0041"}`, nil},
		{`{"a":"b\`, nil},
		{"\xef\xbb\xbf{}", nil},
	}
	for _, c := range cases {
		got, e := parseFlatJSON([]byte(c.in))
		if c.in == many(maxPayloadKeys) {
			if e != nil || len(got) != maxPayloadKeys {
				t.Errorf("%d keys: got %d members, error %v; want %d members", maxPayloadKeys, len(got), e, maxPayloadKeys)
			}
			continue
		}
		if c.want == nil {
			if e == nil {
				t.Errorf("parseFlatJSON(%q): got %q; want an error", c.in, got)
			} else if e.Code != CodeInvalidParameterValue {
				t.Errorf("parseFlatJSON(%q): got code %s; want %s", c.in, e.Code, CodeInvalidParameterValue)
			}
			continue
		}
		if e != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("parseFlatJSON(%q): got %q, %v; want %q", c.in, got, e, c.want)
		}
	}
}

func TestParseCredential(t *testing.T) {
	cases := []struct {
		in   string
		want [4]string // key, date, region, service; zero: rejected
	}{
		{"AKID/20250314/us-east-1/kafka-cluster/aws4_request", [4]string{"AKID", "20250314", "us-east-1", "kafka-cluster"}},
		{"AKID/20250314/us-east-1/kafka-cluster/aws4_request/", [4]string{}},
		{"AKID/20250314/us-east-1/kafka-cluster/aws4_request/x", [4]string{}},
		{"AKID/20250314/us-east-1/kafka-cluster", [4]string{}},
		{"AKID/20250314/us-east-1/kafka-cluster/aws4_requesT", [4]string{}},
		{"AKID/2025031/us-east-1/kafka-cluster/aws4_request", [4]string{}},
		{"/20250314/us-east-1/kafka-cluster/aws4_request", [4]string{}},
		{"AKID/20250314//kafka-cluster/aws4_request", [4]string{}},
		{"////aws4_request", [4]string{}},
		{"", [4]string{}},
	}
	for _, c := range cases {
		var s signed
		e := parseCredential(&s, c.in)
		got := [4]string{s.accessKeyID, s.scopeDate, s.region, s.service}
		if c.want == ([4]string{}) {
			if e == nil {
				t.Errorf("parseCredential(%q): got %q; want an error", c.in, got)
			}
			continue
		}
		if e != nil || got != c.want {
			t.Errorf("parseCredential(%q): got %q, %v; want %q", c.in, got, e, c.want)
		}
	}
}

func TestParseSignedHeaders(t *testing.T) {
	long := make([]string, 40)
	for i := range long {
		long[i] = fmt.Sprintf("x-h%02d", i)
	}
	long[0] = "host"
	cases := []struct {
		in string
		ok bool
	}{
		{"host", true},
		{"content-type;host;x-amz-date", true},
		{strings.Join(long, ";"), true},
		{strings.Join(append(long, "x-h07"), ";"), false},
		{"host;host", false},
		{"content-type;x-amz-date", false},
		{"", false},
		{"host;", false},
		{"Host", false},
		{"host;x y", false},
	}
	for _, c := range cases {
		var s signed
		e := parseSignedHeaders(&s, c.in)
		if (e == nil) != c.ok {
			t.Errorf("parseSignedHeaders(%q): got error %v; want ok %v", c.in, e, c.ok)
		}
	}
}

// TestQuerySemicolon: net/url drops a query pair holding a raw ';', so a
// parameter signed percent-encoded must not verify once its ';' is sent
// raw; the handler would not see the parameter at all.
func TestQuerySemicolon(t *testing.T) {
	const signedURL = "https://kafka.us-east-1.amazonaws.com/v1/clusters?filter=a%3Bb&maxResults=10"
	cases := []struct {
		name    string
		presign bool
		raw     bool
		want    string
	}{
		{"header signed", false, false, ""},
		{"header signed, raw semicolon", false, true, CodeIncompleteSignature},
		{"presigned", true, false, ""},
		{"presigned, raw semicolon", true, true, CodeIncompleteSignature},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := signedURL
			if c.presign {
				u += "&X-Amz-Expires=60"
			}
			r, body := signSDK(t, sdkCase{url: u, presign: c.presign})
			if c.raw {
				r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "%3B", ";", 1)
			}
			_, err := fixedVerifier(t0.Add(time.Second)).VerifyRequest(context.Background(), r, body)
			wantCode(t, err, c.want)
		})
	}
}

// TestOAuthBearerSemicolon is TestQuerySemicolon for OAUTHBEARER tokens.
func TestOAuthBearerSemicolon(t *testing.T) {
	tok, _ := signerGoToken(t, "us-east-1", akidLong, secretLong, "")
	raw := tokenURL(t, tok).String()
	for _, edit := range []struct{ old, new string }{
		{"User-Agent=", "User-Agent=a;b"},
		{"%2Fus-east-1%2F", "%2Fus-east-1;%2F"},
	} {
		bad := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(raw, edit.old, edit.new, 1)))
		_, err := fixedVerifier(tokenTime(t, tok)).VerifyOAuthBearer(context.Background(), bad, "us-east-1", nil)
		wantCode(t, err, CodeInvalidParameterValue)
	}
}
