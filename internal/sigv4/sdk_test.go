package sigv4

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sdkCase describes a request to sign with aws-sdk-go-v2.
type sdkCase struct {
	name    string
	method  string
	url     string
	headers [][2]string
	body    string
	akid    string
	secret  string
	token   string
	region  string
	service string
	presign bool
	// payloadHash overrides sha256(body) (e.g. UNSIGNED-PAYLOAD) and is
	// also sent as x-amz-content-sha256.
	payloadHash string
	signTime    time.Time
}

// signSDK signs c with the real aws-sdk-go-v2 signer and returns the request
// as a server would see it plus its body.
func signSDK(t testing.TB, c sdkCase) (*http.Request, []byte) {
	t.Helper()
	if c.akid == "" {
		c.akid, c.secret = akidLong, secretLong
	}
	if c.region == "" {
		c.region = "us-east-1"
	}
	if c.service == "" {
		c.service = "kafka"
	}
	if c.method == "" {
		c.method = http.MethodGet
	}
	if c.signTime.IsZero() {
		c.signTime = t0
	}
	body := []byte(c.body)
	var rd *bytes.Reader
	if c.body != "" {
		rd = bytes.NewReader(body)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequest(c.method, c.url, rd)
	} else {
		req, err = http.NewRequest(c.method, c.url, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range c.headers {
		req.Header.Add(h[0], h[1])
	}
	ph := hashHex(body)
	if c.payloadHash != "" {
		ph = c.payloadHash
		req.Header.Set("X-Amz-Content-Sha256", ph)
	}
	creds := aws.Credentials{AccessKeyID: c.akid, SecretAccessKey: c.secret, SessionToken: c.token}
	signer := v4.NewSigner()
	if !c.presign {
		if err := signer.SignHTTP(context.Background(), creds, req, ph, c.service, c.region, c.signTime); err != nil {
			t.Fatalf("SignHTTP: %v", err)
		}
		return req, body
	}
	u, hdr, err := signer.PresignHTTP(context.Background(), creds, req, ph, c.service, c.region, c.signTime)
	if err != nil {
		t.Fatalf("PresignHTTP: %v", err)
	}
	out, err := http.NewRequest(c.method, u, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		if strings.EqualFold(k, "host") {
			continue
		}
		for _, v := range vs {
			out.Header.Add(k, v)
		}
	}
	return out, body
}

var sdkValid = []sdkCase{
	{name: "get query", url: "https://kafka.us-east-1.amazonaws.com/v1/clusters?maxResults=10&clusterNameFilter=demo%20one&b=2&a=1&a=0&tilde=~x&plus=x+y&empty=&novalue"},
	{name: "odd path dot segments and space", url: "https://kafka.us-east-1.amazonaws.com/a%20b/../c"},
	{name: "encoded slash", url: "https://kafka.us-east-1.amazonaws.com/v1/clusters/arn%3Aaws%3Akafka%3Aus-east-1%3A123456789012%3Acluster%2Fdemo%2Fabc-1/nodes"},
	{name: "double slash", url: "https://kafka.us-east-1.amazonaws.com//v1//clusters/"},
	{name: "unicode path", url: "https://kafka.us-east-1.amazonaws.com/v1/tags/caf%C3%A9"},
	{name: "repeated and spaced headers", url: "https://kafka.us-east-1.amazonaws.com/v1/clusters",
		headers: [][2]string{{"X-Custom", "a"}, {"X-Custom", "  b   c  "}, {"X-Other", "one  two   three"}}},
	{name: "session token", url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15",
		akid: akidTemp, secret: secretTemp, token: tokenTemp, service: "sts"},
	{name: "post form sts", method: http.MethodPost, url: "https://sts.amazonaws.com/", service: "sts",
		headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}},
		body:    "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=s1"},
	{name: "post json with content sha256", method: http.MethodPost, url: "https://kafka.us-east-1.amazonaws.com/api/v2/clusters",
		headers: [][2]string{{"Content-Type", "application/json"}}, body: `{"clusterName":"demo"}`,
		payloadHash: hashHex([]byte(`{"clusterName":"demo"}`))},
	{name: "unsigned payload", method: http.MethodPut, url: "https://kafka.us-east-1.amazonaws.com/v1/x",
		body: "anything", payloadHash: "UNSIGNED-PAYLOAD"},
	{name: "other region", url: "https://ec2.eu-west-1.amazonaws.com/?Action=DescribeVpcs&Version=2016-11-15", region: "eu-west-1", service: "ec2"},
	{name: "presign get", presign: true, url: "https://kafka.us-east-1.amazonaws.com/v1/clusters?X-Amz-Expires=300&maxResults=5"},
	{name: "presign session token", presign: true, akid: akidTemp, secret: secretTemp, token: tokenTemp, service: "sts",
		url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=900"},
	{name: "presign odd path", presign: true, url: "https://kafka.us-east-1.amazonaws.com/a%20b/../c%2Fd?X-Amz-Expires=60&q=1+2"},
	{name: "presign max expiry", presign: true, url: "https://kafka.us-east-1.amazonaws.com/?X-Amz-Expires=604800"},
}

func TestSDKSignedRequestsVerify(t *testing.T) {
	for _, c := range sdkValid {
		t.Run(c.name, func(t *testing.T) {
			req, body := signSDK(t, c)
			v := fixedVerifier(t0.Add(30 * time.Second))
			res, err := v.VerifyRequest(context.Background(), req, body)
			wantCode(t, err, "")
			wantAKID := c.akid
			if wantAKID == "" {
				wantAKID = akidLong
			}
			if res.AccessKeyID != wantAKID {
				t.Errorf("got AccessKeyID %q; want %q", res.AccessKeyID, wantAKID)
			}
			if !res.SignedAt.Equal(t0) {
				t.Errorf("got SignedAt %v; want %v", res.SignedAt, t0)
			}
			if res.SessionToken != c.token {
				t.Errorf("got SessionToken %q; want %q", res.SessionToken, c.token)
			}
			if c.presign && !res.Expires.After(t0) {
				t.Errorf("got Expires %v; want after %v", res.Expires, t0)
			}
			if !c.presign && !res.Expires.IsZero() {
				t.Errorf("got Expires %v; want zero for header auth", res.Expires)
			}
		})
	}
}

func TestSDKResultScope(t *testing.T) {
	req, body := signSDK(t, sdkCase{url: "https://ec2.eu-west-1.amazonaws.com/?Action=DescribeVpcs", region: "eu-west-1", service: "ec2"})
	res, err := fixedVerifier(t0).VerifyRequest(context.Background(), req, body)
	wantCode(t, err, "")
	if res.Region != "eu-west-1" || res.Service != "ec2" {
		t.Errorf("got region %q service %q; want eu-west-1 ec2", res.Region, res.Service)
	}
}

// mutation changes a signed request before verification.
type mutation struct {
	name   string
	sign   sdkCase // zero fields take the base case's
	mutate func(r *http.Request, body *[]byte)
	setup  func(v *Verifier)
	want   string
}

func setHeader(k, v string) func(*http.Request, *[]byte) {
	return func(r *http.Request, _ *[]byte) { r.Header.Set(k, v) }
}

func replaceAuth(old, new string) func(*http.Request, *[]byte) {
	return func(r *http.Request, _ *[]byte) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
	}
}

func setQuery(old, new string) func(*http.Request, *[]byte) {
	return func(r *http.Request, _ *[]byte) {
		r.URL.RawQuery = strings.Replace(r.URL.RawQuery, old, new, 1)
	}
}

func TestSDKMutationsRejected(t *testing.T) {
	base := sdkCase{
		method:  http.MethodPost,
		url:     "https://kafka.us-east-1.amazonaws.com/v1/clusters?maxResults=10",
		headers: [][2]string{{"Content-Type", "application/json"}, {"X-Custom", "abc"}},
		body:    `{"clusterName":"demo"}`,
	}
	flipSig := func(r *http.Request, _ *[]byte) {
		a := r.Header.Get("Authorization")
		i := strings.Index(a, "Signature=") + len("Signature=")
		c := byte('0')
		if a[i] == '0' {
			c = '1'
		}
		r.Header.Set("Authorization", a[:i]+string(c)+a[i+1:])
	}
	cases := []mutation{
		{name: "unchanged", want: ""},
		{name: "body byte", mutate: func(_ *http.Request, b *[]byte) { (*b)[3] ^= 1 }, want: CodeSignatureDoesNotMatch},
		{name: "body appended", mutate: func(_ *http.Request, b *[]byte) { *b = append(*b, ' ') }, want: CodeSignatureDoesNotMatch},
		{name: "signed header value", mutate: setHeader("X-Custom", "abd"), want: CodeSignatureDoesNotMatch},
		{name: "signed header removed", mutate: func(r *http.Request, _ *[]byte) { r.Header.Del("X-Custom") }, want: CodeSignatureDoesNotMatch},
		{name: "signed header repeated", mutate: func(r *http.Request, _ *[]byte) { r.Header.Add("X-Custom", "abc") }, want: CodeSignatureDoesNotMatch},
		{name: "host", mutate: func(r *http.Request, _ *[]byte) { r.Host = "kafka.us-west-2.amazonaws.com" }, want: CodeSignatureDoesNotMatch},
		{name: "method", mutate: func(r *http.Request, _ *[]byte) { r.Method = http.MethodPut }, want: CodeSignatureDoesNotMatch},
		{name: "path", mutate: func(r *http.Request, _ *[]byte) { r.URL.Path = "/v1/clusterz" }, want: CodeSignatureDoesNotMatch},
		{name: "query value", mutate: setQuery("maxResults=10", "maxResults=11"), want: CodeSignatureDoesNotMatch},
		{name: "query added", mutate: setQuery("maxResults=10", "maxResults=10&x=1"), want: CodeSignatureDoesNotMatch},
		{name: "date one second", mutate: setHeader("X-Amz-Date", "20250314T150927Z"), want: CodeSignatureDoesNotMatch},
		{name: "date other day than scope", mutate: setHeader("X-Amz-Date", "20250315T150926Z"), setup: func(v *Verifier) { v.Now = func() time.Time { return t0.Add(24 * time.Hour) } }, want: CodeSignatureDoesNotMatch},
		{name: "date malformed", mutate: setHeader("X-Amz-Date", "2025-03-14T15:09:26Z"), want: CodeIncompleteSignature},
		{name: "scope region edited", mutate: replaceAuth("/us-east-1/", "/us-west-2/"), want: CodeSignatureDoesNotMatch},
		{name: "scope service edited", mutate: replaceAuth("/kafka/", "/ec2/"), want: CodeSignatureDoesNotMatch},
		{name: "scope key edited", mutate: replaceAuth(akidLong, akidUnknown), want: CodeInvalidClientTokenID},
		{name: "signature flipped", mutate: flipSig, want: CodeSignatureDoesNotMatch},
		{name: "signature short", mutate: func(r *http.Request, _ *[]byte) {
			r.Header.Set("Authorization", r.Header.Get("Authorization")[:len(r.Header.Get("Authorization"))-2])
		}, want: CodeIncompleteSignature},
		{name: "host not signed", mutate: replaceAuth("SignedHeaders=content-length;content-type;host;", "SignedHeaders=content-length;content-type;"), want: CodeIncompleteSignature},
		{name: "algorithm", mutate: replaceAuth("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256"), want: CodeIncompleteSignature},
		{name: "no authorization", mutate: func(r *http.Request, _ *[]byte) { r.Header.Del("Authorization") }, want: CodeMissingAuthenticationToken},
		{name: "two authorizations", mutate: func(r *http.Request, _ *[]byte) { r.Header.Add("Authorization", r.Header.Get("Authorization")) }, want: CodeIncompleteSignature},
		{name: "header and query auth", mutate: setQuery("maxResults=10", "maxResults=10&X-Amz-Algorithm=AWS4-HMAC-SHA256"), want: CodeIncompleteSignature},
		{name: "content sha256 mismatch", mutate: setHeader("X-Amz-Content-Sha256", hashHex([]byte("other"))), want: CodeSignatureDoesNotMatch},
		{name: "wrong region expected", setup: func(v *Verifier) { v.Region = "us-west-2" }, want: CodeSignatureDoesNotMatch},
		{name: "wrong service expected", setup: func(v *Verifier) { v.Services = []string{"sts", "iam"} }, want: CodeSignatureDoesNotMatch},
		{name: "right service expected", setup: func(v *Verifier) { v.Services = []string{"sts", "kafka"}; v.Region = "us-east-1" }, want: ""},
		{name: "signed in other region", sign: sdkCase{region: "eu-west-1"}, setup: func(v *Verifier) { v.Region = "us-east-1" }, want: CodeSignatureDoesNotMatch},
		{name: "wrong secret", sign: sdkCase{akid: akidLong, secret: secretTemp}, want: CodeSignatureDoesNotMatch},
		{name: "unknown key", sign: sdkCase{akid: akidUnknown, secret: secretLong}, want: CodeInvalidClientTokenID},
		{name: "skew past", sign: sdkCase{signTime: t0.Add(-5*time.Minute - time.Second)}, want: CodeRequestExpired},
		{name: "skew future", sign: sdkCase{signTime: t0.Add(5*time.Minute + time.Second)}, want: CodeRequestExpired},
		{name: "skew within", sign: sdkCase{signTime: t0.Add(-4 * time.Minute)}, want: ""},
		{name: "custom max skew", sign: sdkCase{signTime: t0.Add(-4 * time.Minute)}, setup: func(v *Verifier) { v.MaxSkew = time.Minute }, want: CodeRequestExpired},
		{name: "temp key without token", sign: sdkCase{akid: akidTemp, secret: secretTemp}, want: CodeInvalidClientTokenID},
		{name: "temp key wrong token", sign: sdkCase{akid: akidTemp, secret: secretTemp, token: tokenTemp + "x"}, want: CodeInvalidClientTokenID},
		{name: "temp key token edited", sign: sdkCase{akid: akidTemp, secret: secretTemp, token: tokenTemp}, mutate: setHeader("X-Amz-Security-Token", "other"), want: CodeSignatureDoesNotMatch},
		{name: "long-term key with token", sign: sdkCase{token: "unexpected"}, want: CodeInvalidClientTokenID},
		{name: "expired temporary credential", sign: sdkCase{akid: akidExpired, secret: secretExp, token: tokenExp}, want: CodeExpiredToken},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := base
			if c.sign.akid != "" {
				sc.akid, sc.secret = c.sign.akid, c.sign.secret
			}
			sc.token, sc.region, sc.signTime = c.sign.token, c.sign.region, c.sign.signTime
			if c.name == "content sha256 mismatch" {
				sc.payloadHash = hashHex([]byte(base.body))
			}
			req, body := signSDK(t, sc)
			if c.mutate != nil {
				c.mutate(req, &body)
			}
			v := fixedVerifier(t0)
			if c.setup != nil {
				c.setup(v)
			}
			_, err := v.VerifyRequest(context.Background(), req, body)
			wantCode(t, err, c.want)
			if err != nil && strings.Contains(err.Error(), secretLong) {
				t.Errorf("error %q leaks the secret", err)
			}
		})
	}
}

func TestSDKPresignMutationsRejected(t *testing.T) {
	base := sdkCase{presign: true, url: "https://kafka.us-east-1.amazonaws.com/v1/clusters?X-Amz-Expires=300&maxResults=10"}
	cases := []struct {
		name   string
		sign   sdkCase
		mutate func(*http.Request, *[]byte)
		now    time.Time
		want   string
	}{
		{name: "unchanged", now: t0.Add(299 * time.Second), want: ""},
		{name: "replayed after expiry", now: t0.Add(301 * time.Second), want: CodeRequestExpired},
		{name: "signed in the future", now: t0.Add(-6 * time.Minute), want: CodeRequestExpired},
		{name: "expires edited", mutate: setQuery("X-Amz-Expires=300", "X-Amz-Expires=3000"), want: CodeSignatureDoesNotMatch},
		{name: "expires zero", mutate: setQuery("X-Amz-Expires=300", "X-Amz-Expires=0"), want: CodeInvalidParameterValue},
		{name: "expires too long", mutate: setQuery("X-Amz-Expires=300", "X-Amz-Expires=604801"), want: CodeInvalidParameterValue},
		{name: "expires negative", mutate: setQuery("X-Amz-Expires=300", "X-Amz-Expires=-5"), want: CodeInvalidParameterValue},
		{name: "query edited", mutate: setQuery("maxResults=10", "maxResults=1"), want: CodeSignatureDoesNotMatch},
		{name: "credential region edited", mutate: setQuery("%2Fus-east-1%2F", "%2Fus-west-2%2F"), want: CodeSignatureDoesNotMatch},
		{name: "signature repeated", mutate: func(r *http.Request, _ *[]byte) { r.URL.RawQuery += "&X-Amz-Signature=" + strings.Repeat("0", 64) }, want: CodeIncompleteSignature},
		{name: "signature removed", mutate: func(r *http.Request, _ *[]byte) {
			q := r.URL.Query()
			q.Del("X-Amz-Signature")
			r.URL.RawQuery = q.Encode()
		}, want: CodeIncompleteSignature},
		{name: "algorithm", mutate: setQuery("X-Amz-Algorithm=AWS4-HMAC-SHA256", "X-Amz-Algorithm=AWS4-HMAC-SHA1"), want: CodeIncompleteSignature},
		{name: "temp token removed", sign: sdkCase{akid: akidTemp, secret: secretTemp, token: tokenTemp}, mutate: func(r *http.Request, _ *[]byte) {
			q := r.URL.Query()
			q.Del("X-Amz-Security-Token")
			r.URL.RawQuery = q.Encode()
		}, want: CodeSignatureDoesNotMatch},
		{name: "temp token", sign: sdkCase{akid: akidTemp, secret: secretTemp, token: tokenTemp}, want: ""},
		{name: "temp token missing at signing", sign: sdkCase{akid: akidTemp, secret: secretTemp}, want: CodeInvalidClientTokenID},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc := base
			if c.sign.akid != "" {
				sc.akid, sc.secret, sc.token = c.sign.akid, c.sign.secret, c.sign.token
			}
			req, body := signSDK(t, sc)
			if c.mutate != nil {
				c.mutate(req, &body)
			}
			now := c.now
			if now.IsZero() {
				now = t0.Add(10 * time.Second)
			}
			_, err := fixedVerifier(now).VerifyRequest(context.Background(), req, body)
			wantCode(t, err, c.want)
		})
	}
}

// TestServerSideRequest verifies a signed request after it has crossed a
// real HTTP connection, as the control plane will see it.
func TestServerSideRequest(t *testing.T) {
	v := realVerifier()
	type outcome struct {
		res Result
		err error
	}
	got := make(chan outcome, 1)
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		res, err := v.VerifyRequest(r.Context(), r, body)
		got <- outcome{res, err}
	})
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	for _, path := range []string{"/", "/a%20b/../c", "/x%2Fy", "//p//q/"} {
		req, err := http.NewRequest(http.MethodPost, srv+path+"?z=1&a=%7E", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Add("X-Multi", "1")
		req.Header.Add("X-Multi", " 2  3 ")
		err = v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: akidTemp, SecretAccessKey: secretTemp, SessionToken: tokenTemp},
			req, hashHex(body), "sts", "us-east-1", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		o := <-got
		if o.err != nil {
			t.Errorf("path %s: got %v; want success", path, o.err)
		} else if o.res.AccessKeyID != akidTemp || o.res.Service != "sts" {
			t.Errorf("path %s: got %+v; want %s sts", path, o.res, akidTemp)
		}
	}
}
