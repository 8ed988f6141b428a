package policy

import (
	"strconv"
	"strings"
	"testing"
)

// realisticPolicy returns an identity policy of n statements such as a
// platform team writes for Kafka clients: per-team topic and group grants
// with globs, read-only describes, IP and TLS conditions, tag checks,
// policy variables and a few denies.
func realisticPolicy(n int) string {
	const arn = "arn:aws:kafka:us-east-1:111111111111:"
	stmts := make([]string, 0, n)
	for i := 0; len(stmts) < n; i++ {
		team := "team" + strconv.Itoa(i)
		switch i % 10 {
		case 0:
			stmts = append(stmts, `{"Sid":"Connect`+strconv.Itoa(i)+`","Effect":"Allow","Action":["kafka-cluster:Connect","kafka-cluster:DescribeCluster"],`+
				`"Resource":"`+arn+`cluster/prod-*/*","Condition":{"Bool":{"aws:SecureTransport":"true"},"IpAddress":{"aws:SourceIp":["10.0.0.0/8","172.16.0.0/12","2001:db8::/32"]}}}`)
		case 1:
			stmts = append(stmts, `{"Effect":"Allow","Action":["kafka-cluster:ReadData","kafka-cluster:DescribeTopic"],`+
				`"Resource":["`+arn+`topic/prod-*/*/`+team+`.*","`+arn+`topic/prod-*/*/shared.`+team+`-??"]}`)
		case 2:
			stmts = append(stmts, `{"Effect":"Allow","Action":["kafka-cluster:AlterGroup","kafka-cluster:DescribeGroup"],`+
				`"Resource":"`+arn+`group/prod-*/*/`+team+`-*"}`)
		case 3:
			stmts = append(stmts, `{"Effect":"Allow","Action":"kafka-cluster:WriteData","Resource":"`+arn+`topic/prod-*/*/`+team+`.*",`+
				`"Condition":{"StringEquals":{"aws:ResourceTag/team":"`+team+`"},"StringLike":{"aws:PrincipalArn":"arn:aws:iam::111111111111:*"}}}`)
		case 4:
			stmts = append(stmts, `{"Effect":"Allow","Action":"kafka-cluster:*Topic*","Resource":"`+arn+`topic/dev-*/*/${aws:username}.*"}`)
		case 5:
			stmts = append(stmts, `{"Effect":"Allow","NotAction":["kafka-cluster:Alter*","kafka-cluster:Delete*"],"Resource":"`+arn+`*/sandbox-`+team+`/*"}`)
		case 6:
			stmts = append(stmts, `{"Effect":"Allow","Action":"kafka:Describe*","Resource":"*","Condition":{"DateLessThan":{"aws:TokenIssueTime":"2030-01-01T00:00:00Z"}}}`)
		case 7:
			stmts = append(stmts, `{"Sid":"NoDelete`+strconv.Itoa(i)+`","Effect":"Deny","Action":["kafka-cluster:DeleteTopic","kafka-cluster:DeleteGroup"],"Resource":"`+arn+`*/prod-*/*"}`)
		case 8:
			stmts = append(stmts, `{"Effect":"Deny","Action":"kafka-cluster:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":["blocked","`+team+`-blocked"]}}}`)
		case 9:
			stmts = append(stmts, `{"Effect":"Allow","Action":["kafka-cluster:AlterTransactionalId","kafka-cluster:DescribeTransactionalId"],`+
				`"Resource":"`+arn+`transactional-id/prod-*/*/`+team+`-*","Condition":{"NumericLessThanEquals":{"k:txn-timeout":"900000"}}}`)
		}
	}
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

// benchRequest reads a topic of team41, whose grant is near the end of the
// 50-statement policy, so that every statement is examined.
func benchRequest() Request {
	return Request{
		Principal:       alice,
		Action:          "kafka-cluster:ReadData",
		Resource:        "arn:aws:kafka:us-east-1:111111111111:topic/prod-eu/6b1c2d3e-aaaa-bbbb-cccc-0123456789ab/team41.orders",
		ResourceAccount: acctA,
		Context: map[string][]string{
			"aws:SourceIp":          {"10.20.30.40"},
			"aws:SecureTransport":   {"true"},
			"aws:ResourceTag/team":  {"team41"},
			"aws:TokenIssueTime":    {"2026-05-01T12:00:00Z"},
			"kafka-cluster:TopicId": {"orders"},
		},
	}
}

func benchPolicy(b *testing.B) []Named {
	b.Helper()
	p, err := Parse(realisticPolicy(50), Identity)
	if err != nil {
		b.Fatalf("Parse: got %v; want nil", err)
	}
	if got := len(p.Statements); got != 50 {
		b.Fatalf("statements: got %d; want 50", got)
	}
	return []Named{{Name: "team policy", Policy: p}}
}

// BenchmarkEvaluate50 is an uncached decision against a realistic
// 50-statement policy (target: 20 µs/op).
func BenchmarkEvaluate50(b *testing.B) {
	ids := benchPolicy(b)
	req := benchRequest()
	if d := Evaluate(req, ids, nil); !d.Allowed {
		b.Fatalf("Evaluate: got %s (%s); want Allow", d.Effect, d.Reason)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(req, ids, nil)
	}
}

func BenchmarkEvaluate50Parallel(b *testing.B) {
	ids := benchPolicy(b)
	req := benchRequest()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			Evaluate(req, ids, nil)
		}
	})
}

// BenchmarkEvaluate50WithClusterPolicy adds a cross-account cluster policy.
func BenchmarkEvaluate50WithClusterPolicy(b *testing.B) {
	ids := benchPolicy(b)
	cp, err := Parse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["222222222222","arn:aws:iam::333333333333:role/reader"]},`+
		`"Action":["kafka-cluster:Connect","kafka-cluster:Describe*","kafka-cluster:ReadData"],"Resource":"*"},`+
		`{"Effect":"Deny","Principal":"*","Action":"kafka-cluster:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, Resource)
	if err != nil {
		b.Fatal(err)
	}
	res := &Named{Name: "cluster policy", Policy: cp}
	req := benchRequest()
	req.Principal = bob
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		Evaluate(req, ids, res)
	}
}

func BenchmarkParse50(b *testing.B) {
	d := realisticPolicy(50)
	b.ReportAllocs()
	b.SetBytes(int64(len(d)))
	for i := 0; i < b.N; i++ {
		if _, err := Parse(d, Identity); err != nil {
			b.Fatal(err)
		}
	}
}

func filledCache(b *testing.B, req *Request) *Cache {
	b.Helper()
	c := NewCache(10000)
	for i := 0; i < 5000; i++ {
		r := *req
		r.Resource = req.Resource + strconv.Itoa(i)
		c.Put(RequestKey(&r), Decision{Allowed: true, Effect: EffectAllow, Reason: "x"})
	}
	c.Put(RequestKey(req), Decision{Allowed: true, Effect: EffectAllow, Reason: "hit"})
	return c
}

// BenchmarkCacheGet is a cached decision: the key built from the request
// with RequestKey (one allocation), then Cache.Get.
func BenchmarkCacheGet(b *testing.B) {
	req := benchRequest()
	c := filledCache(b, &req)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := c.Get(RequestKey(&req)); !ok {
			b.Fatal("Get: got miss; want hit")
		}
	}
}

// BenchmarkCacheGetRequest is the hot-path lookup: the key built on the
// stack from the request, then looked up (target: 200 ns/op).
func BenchmarkCacheGetRequest(b *testing.B) {
	req := benchRequest()
	c := filledCache(b, &req)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, ok := c.GetRequest(&req); !ok {
			b.Fatal("GetRequest: got miss; want hit")
		}
	}
}

// BenchmarkCacheGetBytes builds the key into a reused buffer.
func BenchmarkCacheGetBytes(b *testing.B) {
	req := benchRequest()
	c := filledCache(b, &req)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		buf = AppendRequestKey(buf[:0], &req)
		if _, ok := c.GetBytes(buf); !ok {
			b.Fatal("GetBytes: got miss; want hit")
		}
	}
}

func BenchmarkCacheGetParallel(b *testing.B) {
	req := benchRequest()
	c := filledCache(b, &req)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, ok := c.GetRequest(&req); !ok {
				b.Error("GetRequest: got miss; want hit")
				return
			}
		}
	})
}
