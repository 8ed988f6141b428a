package sigv4

import (
	"context"
	"net/http"
	"testing"
	"time"

	saslaws "github.com/twmb/franz-go/pkg/sasl/aws"
)

// The SASL handshake of every Kafka connection runs one verification; the
// target is at least 50,000 AWS_MSK_IAM verifications per second on one
// core with the signing key cached:
//
//	go test -run '^$' -bench . -benchmem -cpu 1 ./internal/sigv4

// reportRate adds verifications per second to a benchmark's output.
func reportRate(b *testing.B, n int) {
	b.Helper()
	if s := b.Elapsed().Seconds(); s > 0 {
		b.ReportMetric(float64(n)/s, "verifications/s")
	}
}

// benchVerifier returns a Verifier whose clock reads now, with the given
// signing-key cache size (0: default, negative: none).
func benchVerifier(now time.Time, cacheSize int) *Verifier {
	return &Verifier{Keys: testKeys, Now: func() time.Time { return now }, CacheSize: cacheSize}
}

func benchMSKIAM(b *testing.B, cacheSize int) {
	payload := franzPayload(b, saslaws.Auth{AccessKey: akidTemp, SecretKey: secretTemp, SessionToken: tokenTemp}, brokerHost+":9098")
	v := benchVerifier(payloadTime(b, payload).Add(time.Second), cacheSize)
	ctx := context.Background()
	if _, err := v.VerifyMSKIAM(ctx, payload, brokerHost, "us-east-1"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := v.VerifyMSKIAM(ctx, payload, brokerHost, "us-east-1"); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRate(b, n)
}

// BenchmarkVerifyMSKIAM verifies a franz-go AWS_MSK_IAM payload (temporary
// credentials) with the signing key cached, as on reconnects and
// re-authentication within a day.
func BenchmarkVerifyMSKIAM(b *testing.B) { benchMSKIAM(b, 0) }

// BenchmarkVerifyMSKIAMUncached derives the signing key every time.
func BenchmarkVerifyMSKIAMUncached(b *testing.B) { benchMSKIAM(b, -1) }

func benchOAuthBearer(b *testing.B, cacheSize int) {
	tok, _ := signerGoToken(b, "us-east-1", akidTemp, secretTemp, tokenTemp)
	v := benchVerifier(tokenTime(b, tok).Add(time.Second), cacheSize)
	ctx := context.Background()
	if _, err := v.VerifyOAuthBearer(ctx, tok, "us-east-1", nil); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := v.VerifyOAuthBearer(ctx, tok, "us-east-1", nil); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportRate(b, n)
}

// BenchmarkVerifyOAuthBearer verifies an aws-msk-iam-sasl-signer-go token.
func BenchmarkVerifyOAuthBearer(b *testing.B) { benchOAuthBearer(b, 0) }

// BenchmarkVerifyOAuthBearerUncached derives the signing key every time.
func BenchmarkVerifyOAuthBearerUncached(b *testing.B) { benchOAuthBearer(b, -1) }

// BenchmarkVerifyRequest verifies control-plane requests signed by
// aws-sdk-go-v2: a JSON POST in the Authorization header and a presigned
// GET.
func BenchmarkVerifyRequest(b *testing.B) {
	cases := []struct {
		name      string
		c         sdkCase
		cacheSize int
	}{
		{"header", sdkCase{method: http.MethodPost, url: "https://kafka.us-east-1.amazonaws.com/api/v2/clusters?maxResults=10",
			headers: [][2]string{{"Content-Type", "application/json"}}, body: `{"clusterName":"demo","kafkaVersion":"3.9.x"}`,
			akid: akidTemp, secret: secretTemp, token: tokenTemp}, 0},
		{"header uncached", sdkCase{method: http.MethodPost, url: "https://kafka.us-east-1.amazonaws.com/api/v2/clusters?maxResults=10",
			headers: [][2]string{{"Content-Type", "application/json"}}, body: `{"clusterName":"demo","kafkaVersion":"3.9.x"}`,
			akid: akidTemp, secret: secretTemp, token: tokenTemp}, -1},
		{"presigned", sdkCase{presign: true, url: "https://sts.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=900",
			service: "sts", akid: akidTemp, secret: secretTemp, token: tokenTemp}, 0},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			req, body := signSDK(b, c.c)
			v := benchVerifier(t0.Add(time.Second), c.cacheSize)
			ctx := context.Background()
			if _, err := v.VerifyRequest(ctx, req, body); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if _, err := v.VerifyRequest(ctx, req, body); err != nil {
					b.Fatal(err)
				}
				n++
			}
			reportRate(b, n)
		})
	}
}
