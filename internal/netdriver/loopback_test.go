package netdriver

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/kafkalink/kafkalink/internal/store"
)

func newLoopback(t *testing.T) *Loopback {
	t.Helper()
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Loopback{Store: st, First: 200, Last: 201}
}

func TestLoopbackMapsOverlappingVPCs(t *testing.T) {
	l := newLoopback(t)
	ctx := context.Background()
	cidr := netip.MustParsePrefix("10.0.0.0/16")
	cases := []struct {
		vpc, ip, want string
	}{
		{"vpc-a", "10.0.1.57", "127.200.1.57"},
		{"vpc-b", "10.0.1.57", "127.201.1.57"}, // same CIDR, another range
		{"vpc-a", "10.0.255.4", "127.200.255.4"},
	}
	for _, c := range cases {
		got, err := l.Host(ctx, c.vpc, cidr, netip.MustParseAddr(c.ip))
		if err != nil || got.String() != c.want {
			t.Errorf("Host(%s, %s): got %v, %v; want %s", c.vpc, c.ip, got, err, c.want)
		}
		back, ok := l.Declared(ctx, c.vpc, cidr, got)
		if !ok || back.String() != c.ip {
			t.Errorf("Declared(%s, %s): got %v, %v; want %s", c.vpc, got, back, ok, c.ip)
		}
	}
	if _, ok := l.Declared(ctx, "vpc-a", cidr, netip.MustParseAddr("127.0.0.1")); ok {
		t.Errorf("127.0.0.1 was taken for an address of vpc-a")
	}
	if _, ok := l.Declared(ctx, "vpc-a", cidr, netip.MustParseAddr("127.201.1.57")); ok {
		t.Errorf("an address of vpc-b was taken for one of vpc-a")
	}
	if _, err := l.Host(ctx, "vpc-c", cidr, netip.MustParseAddr("10.0.0.1")); err != ErrExhausted {
		t.Errorf("a third VPC in two ranges: got %v; want ErrExhausted", err)
	}
	if _, err := l.Host(ctx, "vpc-a", cidr, netip.MustParseAddr("10.1.0.1")); err == nil {
		t.Errorf("an address outside the CIDR was mapped")
	}
	small := netip.MustParsePrefix("172.31.16.0/20")
	if got, err := l.Host(ctx, "vpc-a", small, netip.MustParseAddr("172.31.17.2")); err != nil || got.String() != "127.200.1.2" {
		t.Errorf("a /20: got %v, %v; want 127.200.1.2", got, err)
	}
}

func TestEndpointIndexes(t *testing.T) {
	l := newLoopback(t)
	ctx := context.Background()
	steps := []struct {
		op, owner string
		want      int
	}{
		{"take", "conn-1", 0}, {"take", "conn-2", 1}, {"take", "conn-1", 0},
		{"release", "conn-1", 0}, {"take", "conn-3", 0}, {"take", "conn-4", 2},
	}
	for _, s := range steps {
		if s.op == "release" {
			if err := l.ReleaseEndpoint(ctx, "vpc-a", s.owner); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := l.EndpointIndex(ctx, "vpc-a", s.owner, 3)
		if err != nil || got != s.want {
			t.Errorf("%s %s: got %d, %v; want %d", s.op, s.owner, got, err, s.want)
		}
	}
	if _, err := l.EndpointIndex(ctx, "vpc-a", "conn-5", 3); err == nil {
		t.Errorf("a fourth endpoint in room for three was allocated")
	}
}
