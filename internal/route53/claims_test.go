package route53

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/store"
)

// clocked is a Service whose clock the test moves, with account
// 111111111111's root and two of its VPCs.
type clocked struct {
	*Service
	now        time.Time
	root       iam.Caller
	vpc1, vpc2 VPC
}

func newClocked(t *testing.T) *clocked {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenBolt(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ids, err := iam.NewInDir(st, dir)
	if err != nil {
		t.Fatal(err)
	}
	net, err := ec2.New(st, "us-east-1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &clocked{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	c.Service = New(st, ids, net, func() time.Time { return c.now })
	_, creds, err := ids.CreateAccount(ctx, "111111111111")
	if err != nil {
		t.Fatal(err)
	}
	if c.root, err = ids.Resolve(ctx, creds.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	for _, v := range []*VPC{&c.vpc1, &c.vpc2} {
		vpc, err := net.CreateVPC(ctx, "111111111111", "10.0.0.0/16")
		if err != nil {
			t.Fatal(err)
		}
		*v = VPC{Region: "us-east-1", ID: vpc.ID}
	}
	return c
}

// TestStaleClaims: a claim on a name whose zone does not hold the VPC is
// an association in progress for claimGrace, and then left over by a
// process that stopped: it is taken over.
func TestStaleClaims(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name  string
		owner func(s *clocked) string // the zone a claim names
	}{
		{"a zone without the VPC", func(s *clocked) string {
			z, _, err := s.CreateHostedZone(ctx, s.root, CreateZoneInput{Name: "other.example", CallerReference: "o", VPC: &s.vpc1})
			if err != nil {
				t.Fatal(err)
			}
			return z.ID
		}},
		{"a zone that does not exist", func(*clocked) string { return "Z0123456789ABCDEFGHIJ" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newClocked(t)
			b, _ := json.Marshal(claim{Zone: c.owner(s), At: s.now})
			if _, err := s.st.Put(ctx, nameKey(s.vpc2, "kafka.example."), b); err != nil {
				t.Fatal(err)
			}
			s.now = s.now.Add(claimGrace - time.Second)
			in := CreateZoneInput{Name: "kafka.example", CallerReference: "k1", VPC: &s.vpc2}
			if _, _, err := s.CreateHostedZone(ctx, s.root, in); !IsCode(err, CodeConflictingDomainExists) {
				t.Errorf("within the grace: got %v; want ConflictingDomainExists", err)
			}
			s.now = s.now.Add(2 * time.Second)
			z, _, err := s.CreateHostedZone(ctx, s.root, in)
			if err != nil {
				t.Fatalf("after the grace: got %v; want the claim taken over", err)
			}
			kv, _, _ := s.st.Get(ctx, nameKey(s.vpc2, "kafka.example."))
			var got claim
			if json.Unmarshal(kv.Value, &got); got.Zone != z.ID {
				t.Errorf("claim: got %+v; want zone %s", got, z.ID)
			}
		})
	}
}

// TestSweep: changes older than the retention are forgotten.
func TestSweep(t *testing.T) {
	ctx := context.Background()
	s := newClocked(t)
	old, err := s.begin(ctx, "111111111111", "old")
	if err != nil {
		t.Fatal(err)
	}
	s.now = s.now.Add(changeRetention)
	recent, err := s.begin(ctx, "111111111111", "recent")
	if err != nil {
		t.Fatal(err)
	}
	s.now = s.now.Add(time.Second)
	s.sweep(ctx)
	for id, want := range map[string]bool{old.ID: false, recent.ID: true} {
		if _, ok, err := s.st.Get(ctx, changesPrefix+id); err != nil || ok != want {
			t.Errorf("change %s after a sweep: got kept=%t (%v); want %t", id, ok, err, want)
		}
	}
	if _, err := s.GetChange(ctx, s.root, old.ID); !IsCode(err, CodeNoSuchChange) {
		t.Errorf("GetChange of a forgotten change: got %v; want NoSuchChange", err)
	}
}
