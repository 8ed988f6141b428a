package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	saslaws "github.com/twmb/franz-go/pkg/sasl/aws"
)

// The fuzz targets below feed real signers' output, mutated, to the
// verifier and check three properties:
//
//   - it never panics;
//   - every failure is an *Error with a known Code and a Reason that holds
//     no secret;
//   - every success means what the signer signed. For AWS_MSK_IAM payloads
//     and OAUTHBEARER tokens, the input decoded by the standard library
//     (encoding/json, encoding/base64, net/url) rather than the verifier's
//     own parsers names the same key, scope, time, token and host, and
//     aws-sdk-go-v2's signer, given that decoding, produces the input's
//     signature; the payload parser also agrees with encoding/json on every
//     input it accepts. For HTTP requests, the result is that of one of the
//     signed originals and net/url decodes the query to the same parameters.
//
// Run one with
//
//	go test -run '^$' -fuzz '^FuzzVerifyMSKIAM$' -fuzztime 60s ./internal/sigv4

var knownCodes = map[string]bool{
	CodeSignatureDoesNotMatch:      true,
	CodeIncompleteSignature:        true,
	CodeMissingAuthenticationToken: true,
	CodeInvalidClientTokenID:       true,
	CodeExpiredToken:               true,
	CodeRequestExpired:             true,
	CodeAccessDenied:               true,
	CodeInvalidParameterValue:      true,
	CodeInternalFailure:            true,
}

// checkFailure fails unless err is a well-formed verification failure.
func checkFailure(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %T %v; want *Error", err, err)
	}
	if !knownCodes[e.Code] {
		t.Fatalf("got code %q; want one of the Code constants", e.Code)
	}
	if e.Reason == "" {
		t.Fatalf("got empty Reason for code %s; want a reason", e.Code)
	}
	if s := e.StatusCode(); s < 400 || s > 599 {
		t.Fatalf("got status %d for code %s; want 4xx or 5xx", s, e.Code)
	}
	for _, secret := range []string{secretLong, secretTemp, secretExp} {
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("error %q leaks a secret", err)
		}
	}
}

// clockAt returns a verifier clock one second after an X-Amz-Date, or
// after t0 when the date does not parse, so that the fuzzer reaches the
// signature check with inputs signed at any time.
func clockAt(amzDate string) time.Time {
	d, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return t0.Add(time.Second)
	}
	return d.Add(time.Second)
}

// connectClaims is what a kafka-cluster:Connect presign claims, decoded
// with the standard library.
type connectClaims struct {
	host, action, credential, date, expires, signature string
	token                                              string
	hasToken                                           bool
}

// oracleSignature presigns the claims with aws-sdk-go-v2 using the secret
// the test key store holds, and returns the hex signature.
func oracleSignature(t *testing.T, c connectClaims) string {
	t.Helper()
	parts := strings.Split(c.credential, "/")
	if len(parts) != 5 {
		t.Fatalf("accepted credential %q; want 5 components", c.credential)
	}
	cred, err := testKeys.Lookup(context.Background(), parts[0])
	if err != nil {
		t.Fatalf("accepted unknown key %q", parts[0])
	}
	signedAt, err := time.Parse(amzDateLayout, c.date)
	if err != nil {
		t.Fatalf("accepted X-Amz-Date %q: %v", c.date, err)
	}
	q := url.Values{"Action": {c.action}, "X-Amz-Expires": {c.expires}}
	req, err := http.NewRequest(http.MethodGet, "https://"+c.host+"/?"+q.Encode(), nil)
	if err != nil {
		t.Fatalf("accepted host %q: %v", c.host, err)
	}
	creds := aws.Credentials{AccessKeyID: parts[0], SecretAccessKey: cred.SecretAccessKey}
	if c.hasToken {
		creds.SessionToken = c.token
	}
	signed, _, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, emptySHA256, parts[3], parts[2], signedAt)
	if err != nil {
		t.Fatalf("PresignHTTP: %v", err)
	}
	u, err := url.Parse(signed)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("X-Amz-Signature")
}

// checkConnectSuccess checks an accepted presign against its standard
// decoding and the oracle.
func checkConnectSuccess(t *testing.T, res Result, c connectClaims, wantHost string) {
	t.Helper()
	if wantHost != "" && !strings.EqualFold(c.host, wantHost) {
		t.Fatalf("got host %q accepted; want %q", c.host, wantHost)
	}
	if c.action != MSKConnectAction {
		t.Fatalf("got action %q accepted; want %s", c.action, MSKConnectAction)
	}
	parts := strings.Split(c.credential, "/")
	if len(parts) != 5 || res.AccessKeyID != parts[0] || res.Region != parts[2] || res.Service != parts[3] || parts[3] != MSKService {
		t.Fatalf("got result %s %s/%s; decoded credential %q", res.AccessKeyID, res.Region, res.Service, c.credential)
	}
	if got := res.SignedAt.Format(amzDateLayout); got != c.date {
		t.Fatalf("got SignedAt %s; decoded X-Amz-Date %q", got, c.date)
	}
	if res.SessionToken != c.token {
		t.Fatalf("got SessionToken %q; decoded %q", res.SessionToken, c.token)
	}
	if want := oracleSignature(t, c); strings.ToLower(c.signature) != want {
		t.Fatalf("got signature %s accepted; want %s, as aws-sdk-go-v2 signs the decoded claims", c.signature, want)
	}
}

// mskSeeds are AWS_MSK_IAM payloads made by franz-go, plus malformed ones.
func mskSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	valid := [][]byte{
		franzPayload(tb, saslaws.Auth{AccessKey: akidLong, SecretKey: secretLong}, brokerHost+":9098"),
		franzPayload(tb, saslaws.Auth{AccessKey: akidTemp, SecretKey: secretTemp, SessionToken: tokenTemp}, brokerHost+":9098"),
		franzPayload(tb, saslaws.Auth{AccessKey: akidLong, SecretKey: secretLong, UserAgent: "ua \u00e9\"\\"}, brokerHost+":9098"),
	}
	seeds := append([][]byte(nil), valid...)
	p := valid[1]
	seeds = append(seeds,
		[]byte(``), []byte(`{}`), []byte(`[]`), []byte(`null`), []byte(`"x"`),
		[]byte(`{"version":"2020_10_22"}`),
		[]byte(`{"version":"2020_10_22","version":"2020_10_22"}`),
		[]byte(`{"version":2020}`),
		[]byte(`{"a":{"b":"c"}}`),
		p[:len(p)/2],
		append(append([]byte(nil), p...), []byte(` {}`)...),
		bytes.Replace(p, []byte(`"host"`), []byte(`"ho\u0073t"`), 1),
		bytes.Replace(p, []byte(`,`), []byte(` , `), -1),
		bytes.Replace(p, []byte(`"x-amz-expires":"300"`), []byte(`"x-amz-expires":"0300"`), 1),
		[]byte(`{"a":"\ud83d\ude00\u00e9\n\/\"\\","b":"\ud83d","c":"\ude00x"}`),
		[]byte("{\"a\":\"\xff\"}"),
		[]byte(`{"a":"b",}`),
		[]byte(" \t{ \"a\" : \"b\" }\r\n"),
	)
	return seeds
}

// checkFlatJSON compares the payload parser with encoding/json: whatever it
// accepts, encoding/json decodes to the same members.
func checkFlatJSON(t *testing.T, payload []byte) {
	t.Helper()
	members, e := parseFlatJSON(payload)
	if e != nil {
		checkFailure(t, e)
		return
	}
	var m map[string]string
	if err := json.Unmarshal(payload, &m); err != nil {
		t.Fatalf("got %q parsed; want it rejected, as encoding/json does (%v)", payload, err)
	}
	if len(m) != len(members) {
		t.Fatalf("got %d members of %q; want %d, as encoding/json decodes", len(members), payload, len(m))
	}
	for _, mem := range members {
		if v, ok := m[mem.key]; !ok || v != mem.value {
			t.Fatalf("got %q=%q from %q; want %q (present %v), as encoding/json decodes", mem.key, mem.value, payload, v, ok)
		}
	}
}

func FuzzVerifyMSKIAM(f *testing.F) {
	for _, s := range mskSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		checkFlatJSON(t, payload)
		var loose map[string]any
		_ = json.Unmarshal(payload, &loose)
		date, _ := loose["x-amz-date"].(string)
		v := fixedVerifier(clockAt(date))
		res, err := v.VerifyMSKIAM(context.Background(), payload, brokerHost, "us-east-1")
		if err != nil {
			checkFailure(t, err)
			return
		}
		var m map[string]string
		if err := json.Unmarshal(payload, &m); err != nil {
			t.Fatalf("got payload accepted; want it rejected, as encoding/json does (%v)", err)
		}
		if m["version"] != MSKVersion || m["x-amz-algorithm"] != Algorithm || m["x-amz-signedheaders"] != "host" {
			t.Fatalf("accepted version %q algorithm %q signed headers %q", m["version"], m["x-amz-algorithm"], m["x-amz-signedheaders"])
		}
		tok, hasToken := m["x-amz-security-token"]
		checkConnectSuccess(t, res, connectClaims{
			host: m["host"], action: m["action"], credential: m["x-amz-credential"], date: m["x-amz-date"],
			expires: m["x-amz-expires"], signature: m["x-amz-signature"], token: tok, hasToken: hasToken,
		}, brokerHost)
	})
}

// bearerSeeds are OAUTHBEARER tokens made by aws-msk-iam-sasl-signer-go,
// plus malformed ones.
func bearerSeeds(tb testing.TB) []string {
	tb.Helper()
	long, _ := signerGoToken(tb, "us-east-1", akidLong, secretLong, "")
	temp, _ := signerGoToken(tb, "eu-west-1", akidTemp, secretTemp, tokenTemp)
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	dec := func(s string) string {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			tb.Fatal(err)
		}
		return string(b)
	}
	u := dec(long)
	return []string{
		long, temp, long + "==",
		"", "=", "!!!!", enc("https://kafka.us-east-1.amazonaws.com/"),
		enc("http://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect"),
		enc(u + "&Action=kafka-cluster%3AConnect"),
		enc(u + "#frag"),
		enc(strings.Replace(u, "https://kafka.us-east-1.amazonaws.com/", "https://user@kafka.us-east-1.amazonaws.com:443/x", 1)),
		enc(strings.Replace(u, "%2F", "/", -1)),
		enc(u[:len(u)/2]),
		base64.StdEncoding.EncodeToString([]byte(u)),
	}
}

func FuzzVerifyOAuthBearer(f *testing.F) {
	for _, s := range bearerSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		var date string
		raw, _ := base64.RawURLEncoding.DecodeString(strings.TrimRight(token, "="))
		u, perr := url.Parse(string(raw))
		if perr == nil {
			date = u.Query().Get("X-Amz-Date")
		}
		v := fixedVerifier(clockAt(date))
		res, err := v.VerifyOAuthBearer(context.Background(), token, "", nil)
		if err != nil {
			checkFailure(t, err)
			return
		}
		if perr != nil {
			t.Fatalf("got token accepted; want it rejected, as net/url does (%v)", perr)
		}
		if u.Scheme != "https" || u.Port() != "" || u.User != nil || (u.Path != "/" && u.Path != "") {
			t.Fatalf("accepted URL %q; want https://host/", raw)
		}
		q, qerr := url.ParseQuery(u.RawQuery)
		if qerr != nil {
			t.Fatalf("got query %q accepted; want it rejected, as net/url does (%v)", u.RawQuery, qerr)
		}
		for k, vs := range q {
			if len(vs) != 1 {
				t.Fatalf("accepted %d values of %s", len(vs), k)
			}
		}
		_, hasToken := q["X-Amz-Security-Token"]
		c := connectClaims{
			host: u.Host, action: q.Get("Action"), credential: q.Get("X-Amz-Credential"), date: q.Get("X-Amz-Date"),
			expires: q.Get("X-Amz-Expires"), signature: q.Get("X-Amz-Signature"), token: q.Get("X-Amz-Security-Token"), hasToken: hasToken,
		}
		if want := "kafka." + res.Region + ".amazonaws.com"; !strings.EqualFold(u.Host, want) {
			t.Fatalf("got host %q accepted; want %q", u.Host, want)
		}
		checkConnectSuccess(t, res, c, "")
	})
}

// fuzzBase is a request signed by aws-sdk-go-v2 for the request fuzzers.
type fuzzBase struct {
	req  *http.Request
	body []byte
	res  Result
}

// fuzzBases signs the fuzzed request with the long-term and the temporary
// test key (in that order), in the Authorization header or presigned.
func fuzzBases(tb testing.TB, presign bool) []fuzzBase {
	tb.Helper()
	var out []fuzzBase
	for _, k := range [][3]string{{akidLong, secretLong, ""}, {akidTemp, secretTemp, tokenTemp}} {
		c := sdkCase{
			method:  http.MethodPost,
			url:     "https://kafka.us-east-1.amazonaws.com/v1/clusters?maxResults=10&clusterNameFilter=demo%20one&a=2&a=1&semi=%3B",
			headers: [][2]string{{"Content-Type", "application/json"}},
			body:    `{"clusterName":"demo"}`,
			akid:    k[0], secret: k[1], token: k[2],
			presign: presign,
		}
		if presign {
			c.method, c.body, c.headers = http.MethodGet, "", nil
			c.url += "&X-Amz-Expires=300"
		}
		req, body := signSDK(tb, c)
		res, err := fixedVerifier(t0.Add(10*time.Second)).VerifyRequest(context.Background(), req, body)
		if err != nil {
			tb.Fatalf("base request does not verify: %v", err)
		}
		out = append(out, fuzzBase{req, body, res})
	}
	return out
}

// sortedQuery decodes a raw query with net/url, sorting repeated values
// (SigV4 signs them sorted, so their order is not covered), and drops
// X-Amz-Signature.
func sortedQuery(raw string) (url.Values, bool) {
	q, err := url.ParseQuery(raw)
	q.Del("X-Amz-Signature")
	for _, vs := range q {
		sort.Strings(vs)
	}
	return q, err == nil
}

// checkRequestSuccess checks an accepted request against the base requests:
// the same result as one of them, and the same query as net/url decodes it.
func checkRequestSuccess(t *testing.T, res Result, rawQuery string, bases []fuzzBase) {
	t.Helper()
	for _, b := range bases {
		if !reflect.DeepEqual(res, b.res) {
			continue
		}
		got, gotOK := sortedQuery(rawQuery)
		want, wantOK := sortedQuery(b.req.URL.RawQuery)
		if gotOK != wantOK || !reflect.DeepEqual(got, want) {
			t.Fatalf("got query %q accepted, which net/url decodes as %v (ok %v); want %v (ok %v), as signed", rawQuery, got, gotOK, want, wantOK)
		}
		return
	}
	t.Fatalf("got result %+v; want one of the signed requests' results", res)
}

// cloneRequest copies a base request for one fuzz run.
func cloneRequest(b fuzzBase) (*http.Request, []byte) {
	r := b.req.Clone(context.Background())
	u := *b.req.URL
	r.URL = &u
	return r, append([]byte(nil), b.body...)
}

func FuzzAuthorizationHeader(f *testing.F) {
	bases := fuzzBases(f, false)
	for i, b := range bases {
		temp := i == 1
		a := b.req.Header.Get("Authorization")
		f.Add(a, temp)
		f.Add(strings.ReplaceAll(a, ", ", ","), temp)
		f.Add(" "+strings.ReplaceAll(a, ", ", " ,  ")+" ", temp)
		f.Add(strings.Replace(a, "Signature=", "Signature="+strings.Repeat("0", 64)+",Signature=", 1), temp)
		f.Add(strings.ToUpper(a), temp)
		f.Add(a, !temp)
	}
	f.Add("", false)
	f.Add("AWS4-HMAC-SHA256", false)
	f.Add("AWS4-HMAC-SHA256 Credential=,SignedHeaders=,Signature=", false)
	f.Add("AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request, SignedHeaders=host, Signature=zz", true)
	f.Fuzz(func(t *testing.T, auth string, temp bool) {
		b := bases[0]
		if temp {
			b = bases[1]
		}
		r, body := cloneRequest(b)
		r.Header.Set("Authorization", auth)
		res, err := fixedVerifier(t0.Add(10*time.Second)).VerifyRequest(context.Background(), r, body)
		if err != nil {
			checkFailure(t, err)
			return
		}
		checkRequestSuccess(t, res, r.URL.RawQuery, bases)
	})
}

func FuzzVerifyRequest(f *testing.F) {
	header := fuzzBases(f, false)
	presigned := fuzzBases(f, true)
	for i, b := range presigned {
		q, temp := b.req.URL.RawQuery, i == 1
		f.Add(q, true, temp)
		f.Add(strings.Replace(q, "%3B", ";", 1), true, temp)
		f.Add(strings.Replace(q, "%20", "+", 1), true, temp)
		f.Add(q+"&X-Amz-Signature=00", true, temp)
		f.Add(strings.Replace(q, "X-Amz-Expires=300", "X-Amz-Expires=+300", 1), true, temp)
		f.Add(strings.ReplaceAll(q, "&", "&&"), true, temp)
	}
	for i, b := range header {
		q, temp := b.req.URL.RawQuery, i == 1
		f.Add(q, false, temp)
		f.Add(strings.Replace(q, "a=2&a=1", "a=1&a=2", 1), false, temp)
		f.Add(q+"&X-Amz-Algorithm=AWS4-HMAC-SHA256", false, temp)
	}
	f.Add("", true, false)
	f.Add("%", false, false)
	f.Add("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=a%2Fb&X-Amz-Date=x&X-Amz-Expires=1&X-Amz-SignedHeaders=host&X-Amz-Signature=00", true, false)
	// presign picks the presigned or the header-signed original, temp the
	// one signed with the temporary key; rawQuery replaces its query.
	f.Fuzz(func(t *testing.T, rawQuery string, presign, temp bool) {
		bases := header
		if presign {
			bases = presigned
		}
		b := bases[0]
		if temp {
			b = bases[1]
		}
		r, body := cloneRequest(b)
		r.URL.RawQuery = rawQuery
		res, err := fixedVerifier(t0.Add(10*time.Second)).VerifyRequest(context.Background(), r, body)
		if err != nil {
			checkFailure(t, err)
			return
		}
		checkRequestSuccess(t, res, rawQuery, bases)
	})
}
