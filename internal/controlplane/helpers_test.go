package controlplane_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/prereq"
	"github.com/kafkalink/kafkalink/internal/store"
)

// cliFor returns the aws CLI driver for the front door at url, with a
// profile for each of accounts.
func cliFor(t *testing.T, svc *iam.Service, url, dir string, accounts map[string]iam.Credentials) *env {
	t.Helper()
	prereq.Tool(t, "aws")
	c := &env{t: t, iam: svc, url: url, dir: dir, accounts: accounts}
	for profile, creds := range accounts {
		c.profile(profile, creds)
	}
	return c
}

// createUser creates an IAM user of account with an inline identity
// policy and returns its credentials.
func createUser(tb testing.TB, svc *iam.Service, account, name, doc string) iam.Credentials {
	tb.Helper()
	ctx := context.Background()
	if _, err := svc.CreateUser(ctx, account, name, "/"); err != nil {
		tb.Fatal(err)
	}
	if err := svc.PutInlinePolicy(ctx, account, "user", name, "p", doc); err != nil {
		tb.Fatal(err)
	}
	creds, err := svc.CreateAccessKey(ctx, account, name)
	if err != nil {
		tb.Fatal(err)
	}
	return creds
}

// boto3Out is what a boto3 script of testdata prints: what it recorded
// and what the model check saw.
type boto3Out struct {
	Pages      map[string][]int    `json:"pages"`
	Listed     map[string][]string `json:"listed"`
	Errors     map[string]string   `json:"errors"`
	Messages   map[string]string   `json:"messages"`
	Values     map[string]any      `json:"values"`
	Calls      int                 `json:"calls"`
	Operations []string            `json:"operations"`
	Mismatches []string            `json:"mismatches"`
}

// execBoto3 runs a boto3 script of testdata against the front door at url
// with the fixture, accounts a's and b's keys and env, and returns what it
// printed.
func execBoto3(t *testing.T, script, url, dir string, accounts map[string]iam.Credentials, fixture map[string]any, env ...string) []byte {
	t.Helper()
	python := prereq.Tool(t, "python3")
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		prereq.Missing(t, "python3 cannot import boto3 (Debian: python3-boto3)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", script))
	cmd.Env = prereq.AWSEnv(append([]string{"ENDPOINT=" + url, "FIXTURE=" + string(mustJSON(fixture)),
		"A_KEY=" + accounts["a"].AccessKeyID, "A_SECRET=" + accounts["a"].SecretAccessKey,
		"B_KEY=" + accounts["b"].AccessKeyID, "B_SECRET=" + accounts["b"].SecretAccessKey,
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "none"), "AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "none")}, env...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	return b
}

// runBoto3 runs a boto3 script as execBoto3 does and returns what it
// printed, having checked that every response conformed to its model.
func runBoto3(t *testing.T, script, url, dir string, accounts map[string]iam.Credentials, fixture map[string]any, env ...string) boto3Out {
	t.Helper()
	var out boto3Out
	decodeBoto3(t, script, execBoto3(t, script, url, dir, accounts, fixture, env...), &out)
	out.conforms(t, script)
	return out
}

// decodeBoto3 reads what a script (what) printed into out.
func decodeBoto3(t *testing.T, what string, printed []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(printed, out); err != nil {
		t.Fatalf("%s output: %v\n%s", what, err, printed)
	}
}

// conforms fails t unless every response the script (what) saw conformed
// to its model.
func (o boto3Out) conforms(t *testing.T, what string) {
	t.Helper()
	if len(o.Mismatches) > 0 {
		t.Errorf("%s: responses that do not conform to the model (%d):\n  %s", what, len(o.Mismatches), strings.Join(o.Mismatches, "\n  "))
	}
	t.Logf("%s: %d responses checked against the models", what, o.Calls)
}

// sawOperations fails unless the model check saw a call of each of ops.
func (o boto3Out) sawOperations(t *testing.T, ops ...string) {
	t.Helper()
	for _, op := range ops {
		if !slices.Contains(o.Operations, op) {
			t.Errorf("the model check saw no %s call (saw %v)", op, o.Operations)
		}
	}
}

// check compares what a script recorded with what is wanted: error codes,
// values (as JSON), page sizes and listed ids.
func (o boto3Out) check(t *testing.T, errs map[string]string, values map[string]any, pages map[string][]int, listed map[string][]string) {
	t.Helper()
	for name, want := range errs {
		if got, ok := o.Errors[name]; !ok || got != want {
			t.Errorf("boto3 %s: got error %q (%s); want %s", name, got, o.Messages[name], want)
		}
	}
	for name, want := range values {
		g, _ := json.Marshal(o.Values[name])
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("boto3 %s: got %s; want %s", name, g, w)
		}
	}
	for name, want := range pages {
		if got := o.Pages[name]; !slices.Equal(got, want) {
			t.Errorf("boto3 %s: got pages of %v; want %v", name, got, want)
		}
	}
	for name, want := range listed {
		if got := o.Listed[name]; !slices.Equal(got, want) {
			t.Errorf("boto3 %s: listed %v; want %v", name, got, want)
		}
	}
}

// signV4 signs req (SigV4, us-east-1) for service with creds over body.
func signV4(tb testing.TB, creds iam.Credentials, service string, req *http.Request, body []byte) {
	tb.Helper()
	sum := sha256.Sum256(body)
	ac := aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: creds.SessionToken}
	if err := v4.NewSigner().SignHTTP(context.Background(), ac, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
		tb.Fatal(err)
	}
}

// fuzzedRequest is what an HTTP server would hand the front door for the
// request line "method path?query" (no "?" for an empty query), the
// header and body, signed for service with creds, and its request URI;
// ok is false if no server could read such a request line.
func fuzzedRequest(tb testing.TB, creds iam.Credentials, service, method, path, query string, header http.Header, body []byte) (req *http.Request, uri string, ok bool) {
	tb.Helper()
	uri = path
	if query != "" {
		uri += "?" + query
	}
	u, err := url.ParseRequestURI(uri)
	if err != nil || !strings.HasPrefix(path, "/") || strings.ContainsAny(uri, " \r\n\x00") {
		return nil, uri, false
	}
	req, err = http.NewRequest(method, "http://kafkalink.test/", bytes.NewReader(body))
	if err != nil {
		return nil, uri, false // not a method token
	}
	req.URL.Path, req.URL.RawPath, req.URL.RawQuery = u.Path, u.RawPath, u.RawQuery
	req.RequestURI = uri
	req.RemoteAddr = "127.0.0.1:40000"
	for k, v := range header {
		req.Header[k] = v
	}
	signV4(tb, creds, service, req, body)
	return req, uri, true
}

// serveHTTP sends a request through handler and returns the answer.
func serveHTTP(handler http.Handler, req *http.Request) (int, http.Header, []byte) {
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

// frontDoorAuthErrors are the SigV4 refusals the front door answers in the
// service's shape, with their statuses.
var frontDoorAuthErrors = map[string]int{"SignatureDoesNotMatch": http.StatusForbidden, "IncompleteSignature": http.StatusBadRequest}

// checkFuzzedAnswer fails t if the answer got (status, h) to a fuzzed
// request (where, with body; sent is all the request says) is a server
// error, or, unless the front door refused its signature before any
// operation (a request the SDK signs differently), if problem finds it
// malformed or it shows any of Go's words that sent does not.
func checkFuzzedAnswer(t *testing.T, where string, body, sent []byte, status int, h http.Header, got []byte, problem func(status int, h http.Header, body []byte) string, words []string) {
	t.Helper()
	if status >= 500 {
		t.Fatalf("%s %q: got %d %s %s; want no server error", where, body, status, h.Get("x-amzn-ErrorType"), got)
	}
	if code := h.Get("x-amzn-ErrorType"); frontDoorAuthErrors[code] != 0 && frontDoorAuthErrors[code] == status {
		return
	}
	if p := problem(status, h, got); p != "" {
		t.Fatalf("%s %q: %s (got %d %s)", where, body, p, status, got)
	}
	noGoWords(t, where, body, sent, got, words)
}

// noGoWords fails t if an answer got shows any of words (Go's) that the
// request, sent, did not.
func noGoWords(t *testing.T, where string, body, sent, got []byte, words []string) {
	t.Helper()
	for _, w := range words {
		if bytes.Contains(got, []byte(w)) && !bytes.Contains(sent, []byte(w)) {
			t.Fatalf("%s %q: a message in Go's words (%q): %s", where, body, w, got)
		}
	}
}

// jsonAnswerProblem says what is wrong with a JSON answer of service (""
// if nothing) as far as its protocol (contentType) and the rest-json one
// agree: a request id and a JSON object; a 200 without x-amzn-ErrorType;
// an error naming one of errs, with its status. For such an error it
// returns the body's object too, for the protocol's own checks.
func jsonAnswerProblem(service, contentType string, errs map[string]int, status int, h http.Header, body []byte) (string, map[string]any) {
	if h.Get("x-amzn-RequestId") == "" {
		return "no x-amzn-RequestId", nil
	}
	if ct := h.Get("Content-Type"); ct != contentType {
		return fmt.Sprintf("Content-Type %q; want %s", ct, contentType), nil
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Sprintf("body is not a JSON object: %v", err), nil
	}
	if status == http.StatusOK {
		if h.Get("x-amzn-ErrorType") != "" {
			return "a success with x-amzn-ErrorType", nil
		}
		return "", nil
	}
	code := h.Get("x-amzn-ErrorType")
	want, known := errs[code]
	switch {
	case !known:
		return fmt.Sprintf("x-amzn-ErrorType %q is not a %s error", code, service), nil
	case want != status:
		return fmt.Sprintf("%s with status %d; want %d", code, status, want), nil
	}
	return "", obj
}

// mustJSON is v in JSON (of maps, slices and strings, which always
// encode).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// caller is the caller that creds resolve to, as the domain sees it.
func (ts testServices) caller(creds iam.Credentials) iam.Caller {
	ts.tb.Helper()
	c, err := ts.iam.Resolve(context.Background(), creds.AccessKeyID)
	if err != nil {
		ts.tb.Fatal(err)
	}
	return c
}

// storeState is everything st holds under the prefixes, each key's value
// with its revision.
func storeState(tb testing.TB, st store.Store, prefixes ...string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, p := range prefixes {
		kvs, _, err := st.List(context.Background(), p)
		if err != nil {
			tb.Fatal(err)
		}
		for _, kv := range kvs {
			out[kv.Key] = fmt.Sprintf("%d %s", kv.ModRevision, kv.Value)
		}
	}
	return out
}

// requestSeed is a fuzz seed of a request: who signs it (0 for account a,
// 1 for b), its request line and its body.
type requestSeed struct {
	who                       uint8
	method, path, query, body string
}

// addRequestSeeds adds seeds to f's corpus.
func addRequestSeeds(f *testing.F, seeds []requestSeed) {
	for _, s := range seeds {
		f.Add(s.who, s.method, s.path, s.query, []byte(s.body))
	}
}
