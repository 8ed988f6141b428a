package sigv4

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	saslaws "github.com/twmb/franz-go/pkg/sasl/aws"
)

// brokerHost is an MSK-style broker host; franz-go takes the region from
// it.
const brokerHost = "b-1.demo.abc123.c2.kafka.us-east-1.amazonaws.com"

// franzPayload runs franz-go's AWS_MSK_IAM mechanism for a connection to
// hostport and returns its client-first message, the AWS_MSK_IAM payload.
func franzPayload(tb testing.TB, auth saslaws.Auth, hostport string) []byte {
	tb.Helper()
	mech := saslaws.ManagedStreamingIAM(func(context.Context) (saslaws.Auth, error) { return auth, nil })
	if mech.Name() != "AWS_MSK_IAM" {
		tb.Fatalf("got mechanism %s; want AWS_MSK_IAM", mech.Name())
	}
	sess, msg, err := mech.Authenticate(context.Background(), hostport)
	if err != nil {
		tb.Fatalf("franz-go Authenticate: %v", err)
	}
	if sess == nil || len(msg) == 0 {
		tb.Fatalf("got session %v and %d bytes; want a session and a payload", sess, len(msg))
	}
	return msg
}

// payloadFields decodes an AWS_MSK_IAM payload.
func payloadFields(tb testing.TB, payload []byte) map[string]string {
	tb.Helper()
	var m map[string]string
	if err := json.Unmarshal(payload, &m); err != nil {
		tb.Fatalf("payload %s: %v", payload, err)
	}
	return m
}

// payloadTime is the payload's x-amz-date.
func payloadTime(tb testing.TB, payload []byte) time.Time {
	tb.Helper()
	d, err := time.Parse(amzDateLayout, payloadFields(tb, payload)["x-amz-date"])
	if err != nil {
		tb.Fatalf("payload x-amz-date: %v", err)
	}
	return d
}

// editPayload decodes payload, lets edit change the fields and encodes it
// again.
func editPayload(tb testing.TB, payload []byte, edit func(map[string]string)) []byte {
	tb.Helper()
	m := payloadFields(tb, payload)
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

func TestFranzMSKIAMPayloadVerifies(t *testing.T) {
	cases := []struct {
		name       string
		auth       saslaws.Auth
		hostport   string
		env        string // AWS_REGION, for hosts franz-go takes no region from
		host       string
		region     string
		wantRegion string
		wantToken  string
	}{
		{name: "long-term key", auth: saslaws.Auth{AccessKey: akidLong, SecretKey: secretLong},
			hostport: brokerHost + ":9098", host: brokerHost, region: "us-east-1", wantRegion: "us-east-1"},
		{name: "session token", auth: saslaws.Auth{AccessKey: akidTemp, SecretKey: secretTemp, SessionToken: tokenTemp},
			hostport: brokerHost + ":9098", host: brokerHost, region: "us-east-1", wantRegion: "us-east-1", wantToken: tokenTemp},
		{name: "any region", auth: saslaws.Auth{AccessKey: akidLong, SecretKey: secretLong},
			hostport: brokerHost + ":9098", host: brokerHost, wantRegion: "us-east-1"},
		{name: "custom user agent", auth: saslaws.Auth{AccessKey: akidLong, SecretKey: secretLong, UserAgent: "kafkalink-test/1.0 (x; y)"},
			hostport: "b-3.demo.abc123.c2.kafka.eu-west-1.amazonaws.com:9098", host: "b-3.demo.abc123.c2.kafka.eu-west-1.amazonaws.com",
			region: "eu-west-1", wantRegion: "eu-west-1"},
		{name: "kafkalink host, region from environment", auth: saslaws.Auth{AccessKey: akidTemp, SecretKey: secretTemp, SessionToken: tokenTemp},
			hostport: "b-2.orders.kafkalink.example.net:9094", env: "ap-south-1", host: "b-2.orders.kafkalink.example.net",
			region: "ap-south-1", wantRegion: "ap-south-1", wantToken: tokenTemp},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.env != "" {
				t.Setenv("AWS_REGION", c.env)
			}
			payload := franzPayload(t, c.auth, c.hostport)
			signedAt := payloadTime(t, payload)
			res, err := fixedVerifier(signedAt.Add(10*time.Second)).VerifyMSKIAM(context.Background(), payload, c.host, c.region)
			wantCode(t, err, "")
			if res.AccessKeyID != c.auth.AccessKey {
				t.Errorf("got AccessKeyID %q; want %q", res.AccessKeyID, c.auth.AccessKey)
			}
			if res.Region != c.wantRegion || res.Service != MSKService {
				t.Errorf("got scope %s/%s; want %s/%s", res.Region, res.Service, c.wantRegion, MSKService)
			}
			if !res.SignedAt.Equal(signedAt) {
				t.Errorf("got SignedAt %v; want %v", res.SignedAt, signedAt)
			}
			if want := signedAt.Add(300 * time.Second); !res.Expires.Equal(want) {
				t.Errorf("got Expires %v; want %v (franz-go signs for 300 s)", res.Expires, want)
			}
			if res.SessionToken != c.wantToken {
				t.Errorf("got SessionToken %q; want %q", res.SessionToken, c.wantToken)
			}
			if (c.wantToken != "") == res.CredentialExpires.IsZero() {
				t.Errorf("got CredentialExpires %v; want it set exactly for temporary credentials", res.CredentialExpires)
			}
		})
	}
}

func TestFranzMSKIAMRejected(t *testing.T) {
	long := saslaws.Auth{AccessKey: akidLong, SecretKey: secretLong}
	hostport := brokerHost + ":9098"
	cases := []struct {
		name   string
		auth   saslaws.Auth
		edit   func(map[string]string)
		host   string
		region string
		at     time.Duration // verifier clock relative to the signing time
		want   string
	}{
		{name: "valid", want: ""},
		{name: "wrong secret", auth: saslaws.Auth{AccessKey: akidLong, SecretKey: secretTemp}, want: CodeSignatureDoesNotMatch},
		{name: "wrong region", region: "eu-west-1", want: CodeSignatureDoesNotMatch},
		{name: "wrong host", host: "b-2.demo.abc123.c2.kafka.us-east-1.amazonaws.com", want: CodeSignatureDoesNotMatch},
		{name: "host in payload edited to match", host: "b-2.demo.abc123.c2.kafka.us-east-1.amazonaws.com",
			edit: func(m map[string]string) { m["host"] = "b-2.demo.abc123.c2.kafka.us-east-1.amazonaws.com" }, want: CodeSignatureDoesNotMatch},
		{name: "expired", at: 301 * time.Second, want: CodeRequestExpired},
		{name: "last valid second", at: 300 * time.Second, want: ""},
		{name: "skewed into the future", at: -5*time.Minute - time.Second, want: CodeRequestExpired},
		{name: "within skew", at: -5 * time.Minute, want: ""},
		{name: "unknown key", auth: saslaws.Auth{AccessKey: akidUnknown, SecretKey: secretLong}, want: CodeInvalidClientTokenID},
		{name: "expired credential", auth: saslaws.Auth{AccessKey: akidExpired, SecretKey: secretExp, SessionToken: tokenExp}, want: CodeExpiredToken},
		{name: "temporary key without token", auth: saslaws.Auth{AccessKey: akidTemp, SecretKey: secretTemp}, want: CodeInvalidClientTokenID},
		{name: "token removed", auth: saslaws.Auth{AccessKey: akidTemp, SecretKey: secretTemp, SessionToken: tokenTemp},
			edit: func(m map[string]string) { delete(m, "x-amz-security-token") }, want: CodeSignatureDoesNotMatch},
		{name: "token edited", auth: saslaws.Auth{AccessKey: akidTemp, SecretKey: secretTemp, SessionToken: tokenTemp},
			edit: func(m map[string]string) { m["x-amz-security-token"] += "x" }, want: CodeSignatureDoesNotMatch},
		{name: "expires edited", edit: func(m map[string]string) { m["x-amz-expires"] = "900" }, want: CodeSignatureDoesNotMatch},
		{name: "expires too long", edit: func(m map[string]string) { m["x-amz-expires"] = "901" }, want: CodeInvalidParameterValue},
		{name: "date malformed", edit: func(m map[string]string) { m["x-amz-date"] = strings.Replace(m["x-amz-date"], "T", "t", 1) }, want: CodeIncompleteSignature},
		{name: "date one second later", edit: func(m map[string]string) {
			d, _ := time.Parse(amzDateLayout, m["x-amz-date"])
			m["x-amz-date"] = d.Add(time.Second).Format(amzDateLayout)
		}, want: CodeSignatureDoesNotMatch},
		{name: "signature edited", edit: func(m map[string]string) { m["x-amz-signature"] = flipHex(m["x-amz-signature"]) }, want: CodeSignatureDoesNotMatch},
		{name: "action edited", edit: func(m map[string]string) { m["action"] = "kafka-cluster:AlterCluster" }, want: CodeInvalidParameterValue},
		{name: "version edited", edit: func(m map[string]string) { m["version"] = "2020_10_23" }, want: CodeInvalidParameterValue},
		{name: "user agent edited", edit: func(m map[string]string) { m["user-agent"] = "other/2.0" }, want: ""},
		{name: "signed headers edited", edit: func(m map[string]string) { m["x-amz-signedheaders"] = "host;x-amz-date" }, want: CodeInvalidParameterValue},
		{name: "credential service edited", edit: func(m map[string]string) {
			m["x-amz-credential"] = strings.Replace(m["x-amz-credential"], "/kafka-cluster/", "/kafka/", 1)
		}, want: CodeSignatureDoesNotMatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			auth := c.auth
			if auth.AccessKey == "" {
				auth = long
			}
			payload := franzPayload(t, auth, hostport)
			signedAt := payloadTime(t, payload)
			if c.edit != nil {
				payload = editPayload(t, payload, c.edit)
			}
			host, region := c.host, c.region
			if host == "" {
				host = brokerHost
			}
			if region == "" {
				region = "us-east-1"
			}
			_, err := fixedVerifier(signedAt.Add(c.at)).VerifyMSKIAM(context.Background(), payload, host, region)
			wantCode(t, err, c.want)
			if err != nil && (strings.Contains(err.Error(), auth.SecretKey) || strings.Contains(err.Error(), secretLong)) {
				t.Errorf("error %q leaks a secret", err)
			}
		})
	}
}
