package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// botoRequest is a request for testdata/botocore_sign.py to sign.
type botoRequest struct {
	Name    string      `json:"name"`
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Params  [][2]string `json:"params,omitempty"`
	Headers [][2]string `json:"headers,omitempty"`
	Body    string      `json:"body,omitempty"`
	AKID    string      `json:"akid"`
	Secret  string      `json:"secret"`
	Token   string      `json:"token,omitempty"`
	Region  string      `json:"region"`
	Service string      `json:"service"`
	Time    string      `json:"time"`
	// Presign is X-Amz-Expires for a presigned request; 0 signs the
	// Authorization header.
	Presign int `json:"presign,omitempty"`
	// Send makes botocore also send the signed request over HTTP.
	Send bool `json:"send,omitempty"`
}

// botoSigned is a request as botocore signed (and possibly sent) it.
type botoSigned struct {
	Name     string      `json:"name"`
	Method   string      `json:"method"`
	URL      string      `json:"url"`
	Headers  [][2]string `json:"headers"`
	Body     string      `json:"body"`
	Status   int         `json:"status"`
	Response string      `json:"response"`
}

// requireBotocore returns the python3 that can import botocore, or skips
// (fails under CI=true).
func requireBotocore(t *testing.T) string {
	t.Helper()
	py := requireTool(t, "python3")
	if out, err := exec.Command(py, "-c", "import botocore.auth").CombinedOutput(); err != nil {
		missing(t, fmt.Sprintf("python3 cannot import botocore: %v: %s", err, bytes.TrimSpace(out)))
	}
	return py
}

// botoSign signs reqs with the real botocore signers, filling in the
// defaults (long-term key, us-east-1, kafka, t0), and returns the results by
// name.
func botoSign(t *testing.T, reqs []botoRequest) map[string]botoSigned {
	t.Helper()
	py := requireBotocore(t)
	for i := range reqs {
		r := &reqs[i]
		if r.AKID == "" {
			r.AKID, r.Secret = akidLong, secretLong
		}
		if r.Region == "" {
			r.Region = "us-east-1"
		}
		if r.Service == "" {
			r.Service = "kafka"
		}
		if r.Method == "" {
			r.Method = http.MethodGet
		}
		if r.Time == "" {
			r.Time = t0.Format(amzDateLayout)
		}
	}
	in, err := json.Marshal(reqs)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, py, "testdata/botocore_sign.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("botocore_sign.py: %v: %s", err, stderr.String())
	}
	var signed []botoSigned
	if err := json.Unmarshal(out, &signed); err != nil {
		t.Fatalf("botocore_sign.py output: %v: %s", err, out)
	}
	if len(signed) != len(reqs) {
		t.Fatalf("got %d signed requests; want %d", len(signed), len(reqs))
	}
	byName := make(map[string]botoSigned, len(signed))
	for _, s := range signed {
		byName[s.Name] = s
	}
	return byName
}

// httpRequest rebuilds the signed request as a server receives it.
func (s botoSigned) httpRequest(t *testing.T) (*http.Request, []byte) {
	t.Helper()
	body := []byte(s.Body)
	r, err := http.NewRequest(s.Method, s.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", s.Name, err)
	}
	for _, h := range s.Headers {
		r.Header.Add(h[0], h[1])
	}
	return r, body
}

const stsForm = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdemo&RoleSessionName=s1"

// botoValid are requests as the AWS CLI and boto3 sign them, one per
// protocol and signing form.
var botoValid = []botoRequest{
	{Name: "get with query params", URL: "https://kafka.us-east-1.amazonaws.com/v1/clusters",
		Params: [][2]string{{"maxResults", "10"}, {"clusterNameFilter", "demo one"}, {"nextToken", "a/b+c=~d"}}},
	{Name: "get with query in url", URL: "https://kafka.us-east-1.amazonaws.com/v1/clusters?maxResults=10&empty=&tilde=~x"},
	{Name: "get encoded arn path", URL: "https://kafka.us-east-1.amazonaws.com/v1/clusters/arn%3Aaws%3Akafka%3Aus-east-1%3A123456789012%3Acluster%2Fdemo%2Fabc-1/nodes"},
	{Name: "get dot segments", URL: "https://kafka.us-east-1.amazonaws.com/v1/a%20b/../clusters/./x"},
	{Name: "post form sts", Method: http.MethodPost, URL: "https://sts.amazonaws.com/", Service: "sts",
		Headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, Body: stsForm},
	{Name: "post form ec2 other region", Method: http.MethodPost, URL: "https://ec2.eu-west-1.amazonaws.com/", Service: "ec2", Region: "eu-west-1",
		Headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, Body: "Action=DescribeVpcs&Version=2016-11-15"},
	{Name: "post json with session token", Method: http.MethodPost, URL: "https://kafka.us-east-1.amazonaws.com/api/v2/clusters",
		AKID: akidTemp, Secret: secretTemp, Token: tokenTemp,
		Headers: [][2]string{{"Content-Type", "application/json"}, {"X-Custom", "  spaced   value "}}, Body: `{"clusterName":"demo","tags":{"a":"b"}}`},
	{Name: "post json 1.1 target", Method: http.MethodPost, URL: "https://kafka.us-east-1.amazonaws.com/",
		Headers: [][2]string{{"Content-Type", "application/x-amz-json-1.1"}, {"X-Amz-Target", "Kafka.ListClustersV2"}}, Body: `{}`},
	{Name: "post json with content sha256", Method: http.MethodPost, URL: "https://kafka.us-east-1.amazonaws.com/api/v2/clusters",
		Headers: [][2]string{{"Content-Type", "application/json"}, {"X-Amz-Content-SHA256", hashHex([]byte(`{"clusterName":"demo"}`))}}, Body: `{"clusterName":"demo"}`},
	{Name: "presigned get", URL: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", Service: "sts", Presign: 300},
	{Name: "presigned with session token", URL: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", Service: "sts", Presign: 900,
		AKID: akidTemp, Secret: secretTemp, Token: tokenTemp},
	{Name: "presigned with params and path", URL: "https://kafka.us-east-1.amazonaws.com/v1/clusters/a%20b", Presign: 3600,
		Params: [][2]string{{"maxResults", "5"}, {"filter", "x y/z"}}},
	{Name: "presigned max expiry", URL: "https://kafka.us-east-1.amazonaws.com/v1/clusters", Presign: MaxPresignExpires},
}

func TestBotocoreSignedRequestsVerify(t *testing.T) {
	signed := botoSign(t, append([]botoRequest(nil), botoValid...))
	for _, c := range botoValid {
		t.Run(c.Name, func(t *testing.T) {
			s := signed[c.Name]
			r, body := s.httpRequest(t)
			res, err := fixedVerifier(t0.Add(30*time.Second)).VerifyRequest(context.Background(), r, body)
			wantCode(t, err, "")
			wantAKID, wantRegion, wantService := c.AKID, c.Region, c.Service
			if wantAKID == "" {
				wantAKID = akidLong
			}
			if wantRegion == "" {
				wantRegion = "us-east-1"
			}
			if wantService == "" {
				wantService = "kafka"
			}
			if res.AccessKeyID != wantAKID || res.Region != wantRegion || res.Service != wantService {
				t.Errorf("got %s %s %s; want %s %s %s", res.AccessKeyID, res.Region, res.Service, wantAKID, wantRegion, wantService)
			}
			if !res.SignedAt.Equal(t0) {
				t.Errorf("got SignedAt %v; want %v", res.SignedAt, t0)
			}
			if res.SessionToken != c.Token {
				t.Errorf("got SessionToken %q; want %q", res.SessionToken, c.Token)
			}
			var wantExpires time.Time
			if c.Presign > 0 {
				wantExpires = t0.Add(time.Duration(c.Presign) * time.Second)
			}
			if !res.Expires.Equal(wantExpires) {
				t.Errorf("got Expires %v; want %v", res.Expires, wantExpires)
			}
		})
	}
}

func TestBotocoreRejected(t *testing.T) {
	form := botoRequest{Method: http.MethodPost, URL: "https://sts.amazonaws.com/", Service: "sts",
		Headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, Body: stsForm}
	presign := botoRequest{URL: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15", Service: "sts", Presign: 300}
	with := func(r botoRequest, edit func(*botoRequest)) botoRequest {
		edit(&r)
		return r
	}
	late := t0.Add(5*time.Minute + time.Second).Format(amzDateLayout)
	early := t0.Add(-5*time.Minute - time.Second).Format(amzDateLayout)
	cases := []struct {
		req    botoRequest
		now    time.Time
		setup  func(*Verifier)
		mutate func(r *http.Request, body *[]byte)
		want   string
	}{
		{req: with(form, func(r *botoRequest) { r.Name, r.AKID, r.Secret = "wrong secret", akidLong, secretTemp }), want: CodeSignatureDoesNotMatch},
		{req: with(presign, func(r *botoRequest) { r.Name, r.AKID, r.Secret = "presigned wrong secret", akidLong, secretTemp }), want: CodeSignatureDoesNotMatch},
		{req: with(form, func(r *botoRequest) { r.Name = "wrong region"; r.Region = "eu-west-1" }), setup: func(v *Verifier) { v.Region = "us-east-1" }, want: CodeSignatureDoesNotMatch},
		{req: with(presign, func(r *botoRequest) { r.Name = "presigned wrong region"; r.Region = "eu-west-1" }), setup: func(v *Verifier) { v.Region = "us-east-1" }, want: CodeSignatureDoesNotMatch},
		{req: with(form, func(r *botoRequest) { r.Name = "wrong service" }), setup: func(v *Verifier) { v.Services = []string{"iam"} }, want: CodeSignatureDoesNotMatch},
		{req: with(form, func(r *botoRequest) { r.Name = "skew future"; r.Time = late }), want: CodeRequestExpired},
		{req: with(form, func(r *botoRequest) { r.Name = "skew past"; r.Time = early }), want: CodeRequestExpired},
		{req: with(presign, func(r *botoRequest) { r.Name = "presigned skew future"; r.Time = late }), want: CodeRequestExpired},
		{req: with(presign, func(r *botoRequest) { r.Name = "presigned expired" }), now: t0.Add(301 * time.Second), want: CodeRequestExpired},
		{req: with(presign, func(r *botoRequest) { r.Name = "presigned just valid" }), now: t0.Add(300 * time.Second), want: ""},
		{req: with(form, func(r *botoRequest) { r.Name = "unknown key"; r.AKID = akidUnknown }), want: CodeInvalidClientTokenID},
		{req: with(form, func(r *botoRequest) {
			r.Name, r.AKID, r.Secret, r.Token = "expired credential", akidExpired, secretExp, tokenExp
		}), want: CodeExpiredToken},
		{req: with(form, func(r *botoRequest) { r.Name = "body edited" }), mutate: func(_ *http.Request, b *[]byte) { *b = bytes.Replace(*b, []byte("s1"), []byte("s2"), 1) }, want: CodeSignatureDoesNotMatch},
		{req: with(form, func(r *botoRequest) { r.Name = "signed header edited" }), mutate: func(r *http.Request, _ *[]byte) { r.Header.Set("Content-Type", "text/plain") }, want: CodeSignatureDoesNotMatch},
		{req: with(presign, func(r *botoRequest) { r.Name = "presigned query edited" }), mutate: func(r *http.Request, _ *[]byte) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "GetCallerIdentity", "GetSessionToken", 1)
		}, want: CodeSignatureDoesNotMatch},
		{req: with(presign, func(r *botoRequest) {
			r.Name = "presigned token added"
			r.AKID, r.Secret, r.Token = akidTemp, secretTemp, tokenTemp
		}), mutate: func(r *http.Request, _ *[]byte) {
			r.URL.RawQuery = strings.Replace(r.URL.RawQuery, "X-Amz-Security-Token=", "X-Amz-Security-Token=x", 1)
		}, want: CodeSignatureDoesNotMatch},
	}
	reqs := make([]botoRequest, len(cases))
	for i, c := range cases {
		reqs[i] = c.req
	}
	signed := botoSign(t, reqs)
	for _, c := range cases {
		t.Run(c.req.Name, func(t *testing.T) {
			r, body := signed[c.req.Name].httpRequest(t)
			if c.mutate != nil {
				c.mutate(r, &body)
			}
			now := c.now
			if now.IsZero() {
				now = t0
			}
			v := fixedVerifier(now)
			if c.setup != nil {
				c.setup(v)
			}
			_, err := v.VerifyRequest(context.Background(), r, body)
			wantCode(t, err, c.want)
		})
	}
}

// TestBotocoreOverHTTP has botocore sign and send requests to a server that
// verifies them, so the verifier sees them as they cross the wire (Host with
// port, path and query as urllib3 sends them).
func TestBotocoreOverHTTP(t *testing.T) {
	requireBotocore(t)
	v := fixedVerifier(t0.Add(10 * time.Second))
	srv := newTestServer(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		res, err := v.VerifyRequest(r.Context(), r, body)
		if err != nil {
			e := err.(*Error)
			http.Error(w, e.Code, e.StatusCode())
			return
		}
		fmt.Fprintf(w, "%s %s %s", res.AccessKeyID, res.Region, res.Service)
	})
	cases := []struct {
		req        botoRequest
		wantStatus int
		wantBody   string
	}{
		{botoRequest{Name: "post form", Method: http.MethodPost, URL: srv + "/", Service: "sts",
			Headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, Body: stsForm},
			http.StatusOK, akidLong + " us-east-1 sts"},
		{botoRequest{Name: "get params odd path", URL: srv + "/v1/clusters/a%20b/../caf%C3%A9", Params: [][2]string{{"q", "x y"}, {"z", "~/+"}},
			AKID: akidTemp, Secret: secretTemp, Token: tokenTemp, Region: "eu-central-1"},
			http.StatusOK, akidTemp + " eu-central-1 kafka"},
		{botoRequest{Name: "post json", Method: http.MethodPost, URL: srv + "/api/v2/clusters",
			Headers: [][2]string{{"Content-Type", "application/json"}}, Body: `{"clusterName":"demo"}`},
			http.StatusOK, akidLong + " us-east-1 kafka"},
		{botoRequest{Name: "presigned", URL: srv + "/?Action=GetCallerIdentity&Version=2011-06-15", Service: "sts", Presign: 60},
			http.StatusOK, akidLong + " us-east-1 sts"},
		{botoRequest{Name: "wrong secret", Method: http.MethodPost, URL: srv + "/", Service: "sts", Secret: secretTemp, AKID: akidLong,
			Headers: [][2]string{{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}}, Body: stsForm},
			http.StatusForbidden, CodeSignatureDoesNotMatch},
		{botoRequest{Name: "expired presign", URL: srv + "/?Action=GetCallerIdentity", Service: "sts", Presign: 5},
			http.StatusBadRequest, CodeRequestExpired},
	}
	reqs := make([]botoRequest, len(cases))
	for i, c := range cases {
		reqs[i] = c.req
		reqs[i].Send = true
	}
	signed := botoSign(t, reqs)
	for _, c := range cases {
		s := signed[c.req.Name]
		if s.Status != c.wantStatus || strings.TrimSpace(s.Response) != c.wantBody {
			t.Errorf("%s: got %d %q; want %d %q", c.req.Name, s.Status, strings.TrimSpace(s.Response), c.wantStatus, c.wantBody)
		}
	}
}

// TestBotocoreOAuthBearer builds an OAUTHBEARER token the way
// aws-msk-iam-sasl-signer-python does: a botocore SigV4QueryAuth presign of
// GET https://kafka.<region>.amazonaws.com/?Action=kafka-cluster:Connect,
// with User-Agent appended, base64url without padding.
func TestBotocoreOAuthBearer(t *testing.T) {
	connect := [][2]string{{"Action", MSKConnectAction}}
	reqs := []botoRequest{
		{Name: "long-term", URL: "https://kafka.us-east-1.amazonaws.com/", Params: connect, Service: MSKService, Presign: 900},
		{Name: "session token", URL: "https://kafka.ap-southeast-2.amazonaws.com/", Params: connect, Service: MSKService, Presign: 900,
			Region: "ap-southeast-2", AKID: akidTemp, Secret: secretTemp, Token: tokenTemp},
		{Name: "wrong secret", URL: "https://kafka.us-east-1.amazonaws.com/", Params: connect, Service: MSKService, Presign: 900, Secret: secretTemp, AKID: akidLong},
	}
	signed := botoSign(t, reqs)
	token := func(name string) string {
		return base64.RawURLEncoding.EncodeToString([]byte(signed[name].URL + "&User-Agent=aws-msk-iam-sasl-signer-python%2F1.0.2"))
	}
	cases := []struct {
		name, token, region string
		now                 time.Time
		want                string
	}{
		{"long-term", token("long-term"), "us-east-1", t0, ""},
		{"long-term any region", token("long-term"), "", t0, ""},
		{"session token", token("session token"), "ap-southeast-2", t0, ""},
		{"wrong region", token("long-term"), "eu-west-1", t0, CodeSignatureDoesNotMatch},
		{"wrong secret", token("wrong secret"), "us-east-1", t0, CodeSignatureDoesNotMatch},
		{"expired", token("long-term"), "us-east-1", t0.Add(901 * time.Second), CodeRequestExpired},
		{"skewed", token("long-term"), "us-east-1", t0.Add(-5*time.Minute - time.Second), CodeRequestExpired},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := fixedVerifier(c.now).VerifyOAuthBearer(context.Background(), c.token, c.region, nil)
			wantCode(t, err, c.want)
		})
	}
}
