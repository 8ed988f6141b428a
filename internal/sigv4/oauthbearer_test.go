package sigv4

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// signerGoToken makes an OAUTHBEARER token with the real
// aws-msk-iam-sasl-signer-go and returns it with the expiry (Unix ms) the
// signer reports.
func signerGoToken(tb testing.TB, region, akid, secret, token string) (string, int64) {
	tb.Helper()
	tok, expMs, err := signer.GenerateAuthTokenFromCredentialsProvider(context.Background(), region,
		credentials.NewStaticCredentialsProvider(akid, secret, token))
	if err != nil {
		tb.Fatalf("GenerateAuthTokenFromCredentialsProvider: %v", err)
	}
	return tok, expMs
}

// tokenURL decodes an OAUTHBEARER token into its presigned URL.
func tokenURL(tb testing.TB, token string) *url.URL {
	tb.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(token, "="))
	if err != nil {
		tb.Fatalf("token is not base64url: %v", err)
	}
	u, err := url.Parse(string(raw))
	if err != nil {
		tb.Fatalf("token is not a URL: %v", err)
	}
	return u
}

// tokenTime is the token's X-Amz-Date.
func tokenTime(tb testing.TB, token string) time.Time {
	tb.Helper()
	d, err := time.Parse(amzDateLayout, tokenURL(tb, token).Query().Get("X-Amz-Date"))
	if err != nil {
		tb.Fatalf("token X-Amz-Date: %v", err)
	}
	return d
}

// editToken decodes token, lets edit change the URL and encodes it again.
func editToken(tb testing.TB, token string, edit func(u *url.URL)) string {
	tb.Helper()
	u := tokenURL(tb, token)
	edit(u)
	return base64.RawURLEncoding.EncodeToString([]byte(u.String()))
}

// editQuery returns an edit that sets (or, with del, removes) a parameter.
func editQuery(key, value string, del bool) func(*url.URL) {
	return func(u *url.URL) {
		q := u.Query()
		if del {
			q.Del(key)
		} else {
			q.Set(key, value)
		}
		u.RawQuery = q.Encode()
	}
}

// bearerCase is an OAUTHBEARER verification against a real signer's token.
type bearerCase struct {
	name    string
	akid    string // empty: the long-term test key
	secret  string
	token   string
	signIn  string // signing region; us-east-1 when empty
	region  string // region passed to VerifyOAuthBearer
	hosts   []string
	at      time.Duration // verifier clock relative to the signing time
	edit    func(u *url.URL)
	padding string // appended to the token
	want    string
}

// bearerCases are the checks every real OAUTHBEARER signer goes through;
// expiry is the X-Amz-Expires the signer uses.
func bearerCases(expiry time.Duration) []bearerCase {
	return []bearerCase{
		{name: "long-term key", region: "us-east-1", want: ""},
		{name: "session token", akid: akidTemp, secret: secretTemp, token: tokenTemp, region: "us-east-1", want: ""},
		{name: "other region", signIn: "eu-west-1", region: "eu-west-1", want: ""},
		{name: "any region", signIn: "ap-northeast-1", region: "", want: ""},
		{name: "padding tolerated", region: "us-east-1", padding: "==", want: ""},
		{name: "user agent edited", region: "us-east-1", edit: editQuery("User-Agent", "other/1.0", false), want: ""},
		{name: "user agent removed", region: "us-east-1", edit: editQuery("User-Agent", "", true), want: ""},
		{name: "last valid second", region: "us-east-1", at: expiry, want: ""},
		{name: "within skew", region: "us-east-1", at: -5 * time.Minute, want: ""},
		{name: "wrong secret", akid: akidLong, secret: secretTemp, region: "us-east-1", want: CodeSignatureDoesNotMatch},
		{name: "wrong region", signIn: "eu-west-1", region: "us-east-1", want: CodeSignatureDoesNotMatch},
		{name: "wrong region with its host allowed", signIn: "eu-west-1", region: "us-east-1", hosts: []string{"kafka.eu-west-1.amazonaws.com"}, want: CodeSignatureDoesNotMatch},
		{name: "host edited", region: "us-east-1", hosts: []string{"kafka.us-east-1.kafkalink.example.net"},
			edit: func(u *url.URL) { u.Host = "kafka.us-east-1.kafkalink.example.net" }, want: CodeSignatureDoesNotMatch},
		{name: "host not allowed", region: "us-east-1", edit: func(u *url.URL) { u.Host = "kafka.us-east-1.example.org" }, want: CodeSignatureDoesNotMatch},
		{name: "expired", region: "us-east-1", at: expiry + time.Second, want: CodeRequestExpired},
		{name: "skewed into the future", region: "us-east-1", at: -5*time.Minute - time.Second, want: CodeRequestExpired},
		{name: "unknown key", akid: akidUnknown, secret: secretLong, region: "us-east-1", want: CodeInvalidClientTokenID},
		{name: "expired credential", akid: akidExpired, secret: secretExp, token: tokenExp, region: "us-east-1", want: CodeExpiredToken},
		{name: "temporary key without token", akid: akidTemp, secret: secretTemp, region: "us-east-1", want: CodeInvalidClientTokenID},
		{name: "token removed", akid: akidTemp, secret: secretTemp, token: tokenTemp, region: "us-east-1",
			edit: editQuery("X-Amz-Security-Token", "", true), want: CodeSignatureDoesNotMatch},
		{name: "expires edited", region: "us-east-1", edit: editQuery("X-Amz-Expires", "60", false), want: CodeSignatureDoesNotMatch},
		{name: "signature edited", region: "us-east-1", edit: func(u *url.URL) {
			q := u.Query()
			q.Set("X-Amz-Signature", flipHex(q.Get("X-Amz-Signature")))
			u.RawQuery = q.Encode()
		}, want: CodeSignatureDoesNotMatch},
		{name: "action edited", region: "us-east-1", edit: editQuery("Action", "kafka-cluster:AlterCluster", false), want: CodeInvalidParameterValue},
		{name: "parameter added", region: "us-east-1", edit: editQuery("X-Extra", "1", false), want: CodeInvalidParameterValue},
		{name: "scheme edited", region: "us-east-1", edit: func(u *url.URL) { u.Scheme = "http" }, want: CodeInvalidParameterValue},
	}
}

// runBearerCases verifies tokens from sign against cases.
func runBearerCases(t *testing.T, cases []bearerCase, sign func(t *testing.T, region, akid, secret, token string) string) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			akid, secret := c.akid, c.secret
			if akid == "" {
				akid, secret = akidLong, secretLong
			}
			signIn := c.signIn
			if signIn == "" {
				signIn = "us-east-1"
			}
			tok := sign(t, signIn, akid, secret, c.token)
			signedAt := tokenTime(t, tok)
			if c.edit != nil {
				tok = editToken(t, tok, c.edit)
			}
			tok += c.padding
			res, err := fixedVerifier(signedAt.Add(c.at)).VerifyOAuthBearer(context.Background(), tok, c.region, c.hosts)
			wantCode(t, err, c.want)
			if err != nil {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error %q leaks the secret", err)
				}
				return
			}
			if res.AccessKeyID != akid || res.Region != signIn || res.Service != MSKService {
				t.Errorf("got %s %s/%s; want %s %s/%s", res.AccessKeyID, res.Region, res.Service, akid, signIn, MSKService)
			}
			if !res.SignedAt.Equal(signedAt) {
				t.Errorf("got SignedAt %v; want %v", res.SignedAt, signedAt)
			}
			if res.SessionToken != c.token {
				t.Errorf("got SessionToken %q; want %q", res.SessionToken, c.token)
			}
		})
	}
}

func TestSignerGoTokens(t *testing.T) {
	runBearerCases(t, bearerCases(900*time.Second), func(t *testing.T, region, akid, secret, token string) string {
		tok, _ := signerGoToken(t, region, akid, secret, token)
		return tok
	})
}

// TestSignerGoExpiry checks that the expiry the signer hands the Kafka
// client is the one the verifier computes.
func TestSignerGoExpiry(t *testing.T) {
	tok, expMs := signerGoToken(t, "us-east-1", akidTemp, secretTemp, tokenTemp)
	res, err := fixedVerifier(tokenTime(t, tok)).VerifyOAuthBearer(context.Background(), tok, "us-east-1", nil)
	wantCode(t, err, "")
	if got := res.Expires.UnixMilli(); got != expMs {
		t.Errorf("got Expires %d ms; want %d ms as the signer reports", got, expMs)
	}
	if res.CredentialExpires.IsZero() {
		t.Errorf("got zero CredentialExpires; want the temporary credential's expiry")
	}
}

// jsSigner prepares testdata/js (npm ci when node_modules is missing) and
// returns the node binary.
func jsSigner(t *testing.T) string {
	t.Helper()
	node := requireTool(t, "node")
	dir := filepath.Join("testdata", "js")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "aws-msk-iam-sasl-signer-js", "package.json")); err != nil {
		npm := requireTool(t, "npm")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			missing(t, "npm ci in testdata/js failed: "+err.Error()+": "+string(out))
		}
	}
	return node
}

// jsToken runs testdata/js/sign.js, the real aws-msk-iam-sasl-signer-js.
// credTTL, when non-zero, makes the credentials expire that long after
// signing, which the signer folds into the token's lifetime.
func jsToken(t *testing.T, node, region, akid, secret, token string, credTTL time.Duration) (string, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "sign.js")
	cmd.Dir = filepath.Join("testdata", "js")
	cmd.Env = append(os.Environ(),
		"SIGV4_TEST_AKID="+akid, "SIGV4_TEST_SECRET="+secret, "SIGV4_TEST_TOKEN="+token, "SIGV4_TEST_REGION="+region)
	if credTTL > 0 {
		cmd.Env = append(cmd.Env, "SIGV4_TEST_CREDENTIAL_TTL_MS="+strconv.FormatInt(credTTL.Milliseconds(), 10))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node sign.js: %v: %s", err, stderr.String())
	}
	var res struct {
		Token      string `json:"token"`
		ExpiryTime int64  `json:"expiryTime"`
	}
	if err := json.Unmarshal(out, &res); err != nil || res.Token == "" {
		t.Fatalf("node sign.js printed %q: %v", out, err)
	}
	return res.Token, res.ExpiryTime
}

func TestSignerJSTokens(t *testing.T) {
	node := jsSigner(t)
	// One signing per distinct credential set: node start-up dominates.
	type signKey struct{ region, akid, secret, token string }
	tokens := map[signKey]string{}
	runBearerCases(t, bearerCases(900*time.Second), func(t *testing.T, region, akid, secret, token string) string {
		k := signKey{region, akid, secret, token}
		if tok, ok := tokens[k]; ok {
			return tok
		}
		tok, expMs := jsToken(t, node, region, akid, secret, token, 0)
		if want := tokenTime(t, tok).Add(900 * time.Second).UnixMilli(); expMs != want {
			t.Errorf("got signer expiry %d ms; want %d ms", expMs, want)
		}
		tokens[k] = tok
		return tok
	})
}

// TestSignerJSShortLivedCredentials: when the credentials expire within
// 15 minutes, aws-msk-iam-sasl-signer-js 1.0.3 signs X-Amz-Expires as the
// remaining lifetime in seconds, usually with a fraction ("600.497"). That is
// not a valid X-Amz-Expires and is refused, as MSK refuses it; a whole
// number of seconds verifies.
func TestSignerJSShortLivedCredentials(t *testing.T) {
	node := jsSigner(t)
	tok, _ := jsToken(t, node, "us-east-1", akidTemp, secretTemp, tokenTemp, 600500*time.Millisecond)
	exp := tokenURL(t, tok).Query().Get("X-Amz-Expires")
	want := CodeInvalidParameterValue
	if !strings.Contains(exp, ".") {
		want = ""
	}
	_, err := fixedVerifier(tokenTime(t, tok)).VerifyOAuthBearer(context.Background(), tok, "us-east-1", nil)
	wantCode(t, err, want)
}
