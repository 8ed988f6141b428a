package acl

import (
	"fmt"
	"testing"

	"github.com/kafkalink/kafkalink/internal/store"
)

// benchACLs returns 1,000 ACLs shaped like a busy cluster's: literal and
// prefixed topic ACLs per user and team, group and transactional-id ACLs,
// host-bound DENYs, and a few wildcards.
func benchACLs(t testing.TB) []Binding {
	var specs []string
	for i := range 300 { // literal topics, two users each
		specs = append(specs, fmt.Sprintf("ALLOW User:user-%d %s TOPIC LITERAL topic-%03d *", i%200, []string{"READ", "WRITE"}[i%2], i/2))
	}
	for i := range 100 { // team prefixes of two depths
		specs = append(specs, fmt.Sprintf("ALLOW User:team-%d READ TOPIC PREFIXED team-%02d- *", i, i%50))
		specs = append(specs, fmt.Sprintf("ALLOW User:team-%d WRITE TOPIC PREFIXED team-%02d-orders-%d- *", i, i%50, i))
	}
	for i := range 100 { // consumer groups
		specs = append(specs, fmt.Sprintf("ALLOW User:user-%d READ GROUP LITERAL group-%03d *", i, i))
		specs = append(specs, fmt.Sprintf("ALLOW User:team-%d READ GROUP PREFIXED team-%02d- *", i, i%50))
	}
	for i := range 40 { // transactional ids
		specs = append(specs, fmt.Sprintf("ALLOW User:user-%d WRITE TRANSACTIONAL_ID PREFIXED tx-%d- *", i, i))
	}
	for i := range 50 { // host-bound denies
		specs = append(specs, fmt.Sprintf("DENY User:user-%d ALL TOPIC PREFIXED topic- 10.9.%d.%d", i, i/250, i%250))
	}
	specs = append(specs,
		"ALLOW User:* DESCRIBE TOPIC LITERAL * *",
		"ALLOW User:monitor DESCRIBE_CONFIGS TOPIC LITERAL * *",
		"ALLOW User:* IDEMPOTENT_WRITE CLUSTER LITERAL kafka-cluster *",
		"ALLOW User:admin ALL CLUSTER LITERAL kafka-cluster *",
		"DENY User:* ALTER CLUSTER LITERAL kafka-cluster 10.9.9.9",
	)
	for i := len(specs); i < 1000; i++ { // services
		specs = append(specs, fmt.Sprintf("ALLOW User:svc-%d WRITE TOPIC LITERAL svc-%d *", i, i))
	}
	if len(specs) != 1000 {
		t.Fatalf("benchACLs made %d ACLs; want 1000", len(specs))
	}
	return aclsOf(t, specs...)
}

// loadBenchACLs installs the ACLs in cluster as a store listing would.
func loadBenchACLs(t testing.TB, a *Authorizer, cluster string, bindings []Binding) {
	kvs := make([]store.KV, len(bindings))
	for i, b := range bindings {
		v, err := encodeBinding(b)
		if err != nil {
			t.Fatalf("encodeBinding(%s) = %v", b, err)
		}
		kvs[i] = store.KV{Key: aclKey(cluster, b), Value: v, CreateRevision: 1, ModRevision: 1}
	}
	a.load(kvs, 0)
	if n := len(describeAll(t, a, cluster)); n != len(bindings) {
		t.Fatalf("loaded %d ACLs; want %d", n, len(bindings))
	}
}

// BenchmarkAuthorize measures Authorize against 1,000 ACLs.
//
//	go test -run '^$' -bench Authorize -benchmem ./internal/acl
func BenchmarkAuthorize(b *testing.B) {
	a := newAuthorizer(b, newStore(b))
	loadBenchACLs(b, a, "demo", benchACLs(b))
	a.SetSuperUsers("demo", []string{"User:root"})
	cases := []struct {
		name    string
		req     string
		allowed bool
	}{
		{"literal_allow", "User:user-17 10.0.0.1 WRITE TOPIC topic-008", true},
		{"prefixed_allow", "User:team-7 10.0.0.1 WRITE TOPIC team-07-orders-7-eu", true},
		{"implied_describe", "User:user-17 10.0.0.1 DESCRIBE TOPIC topic-008", true},
		{"deny_from_host", "User:user-7 10.9.0.7 READ TOPIC topic-003", false},
		{"no_acl_for_principal", "User:nobody 10.0.0.1 READ TOPIC topic-123", false},
		{"no_acl_for_resource", "User:nobody 10.0.0.1 READ GROUP unknown-group", false},
		{"cluster_idempotent_write", "User:user-3 10.0.0.1 IDEMPOTENT_WRITE CLUSTER kafka-cluster", true},
		{"super_user", "User:root 10.0.0.1 DELETE TOPIC topic-001", true},
	}
	for _, c := range cases {
		req := requestOf(b, c.req)
		if got := a.Authorize("demo", req); got.Allowed != c.allowed {
			b.Fatalf("Authorize(%s) = %+v; want allowed=%v", c.req, got, c.allowed)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				a.Authorize("demo", req)
			}
		})
	}
	b.Run("parallel_mix", func(b *testing.B) {
		reqs := make([]Request, len(cases))
		for i, c := range cases {
			reqs[i] = requestOf(b, c.req)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				a.Authorize("demo", reqs[i%len(reqs)])
				i++
			}
		})
	})
}

// BenchmarkRebuild measures building the index of 1,000 ACLs, which every
// batch of changes to a cluster's ACLs costs.
func BenchmarkRebuild(b *testing.B) {
	acls := benchACLs(b)
	b.ReportAllocs()
	for b.Loop() {
		buildIndex(append([]Binding(nil), acls...))
	}
}
