package brokermap

import (
	"context"
	"net/netip"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kafkalink/kafkalink/internal/store"
)

func openStore(t *testing.T, path string) store.Store {
	t.Helper()
	st, err := store.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestSlotsAreStableSparseAndPersisted(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	st := openStore(t, path)
	a := NewAllocator(st, "c1")
	cases := []struct {
		id   int32
		want int
	}{{100, 0}, {200, 1}, {300, 2}, {100, 0}, {7, 3}, {300, 2}}
	for _, c := range cases {
		got, err := a.Slot(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("broker %d: got slot %d; want %d", c.id, got, c.want)
		}
	}
	// Another cluster has its own slots.
	if got, _ := NewAllocator(st, "c2").Slot(ctx, 300); got != 0 {
		t.Errorf("c2 broker 300: got slot %d; want 0", got)
	}
	// After a restart the same ids have the same slots.
	st.Close()
	st2 := openStore(t, path)
	b := NewAllocator(st2, "c1")
	for _, c := range cases {
		if got, _ := b.Slot(ctx, c.id); got != c.want {
			t.Errorf("after restart, broker %d: got slot %d; want %d", c.id, got, c.want)
		}
	}
	if got, _ := b.Slot(ctx, 400); got != 4 {
		t.Errorf("after restart, new broker 400: got slot %d; want 4", got)
	}
}

// Replicas sharing a store agree on every slot even when they race.
func TestReplicasAgree(t *testing.T) {
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	replicas := []*Allocator{NewAllocator(st, "c"), NewAllocator(st, "c"), NewAllocator(st, "c")}
	got := make([]map[int32]int, len(replicas))
	var wg sync.WaitGroup
	for i, r := range replicas {
		got[i] = map[int32]int{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := int32(0); id < 30; id++ {
				s, err := r.Slot(ctx, (id*7+int32(i)*3)%30)
				if err != nil {
					t.Error(err)
					return
				}
				got[i][(id*7+int32(i)*3)%30] = s
			}
		}()
	}
	wg.Wait()
	used := map[int]int32{}
	for id, s := range got[0] {
		for i := 1; i < len(got); i++ {
			if got[i][id] != s {
				t.Errorf("broker %d: replica 0 says slot %d, replica %d says %d", id, s, i, got[i][id])
			}
		}
		if other, dup := used[s]; dup {
			t.Errorf("slot %d given to brokers %d and %d", s, other, id)
		}
		used[s] = id
	}
	if len(used) != 30 {
		t.Errorf("got %d slots; want 30", len(used))
	}
}

func TestStrategies(t *testing.T) {
	ports := Ports{BindHost: "127.0.0.1", FirstPort: 14001, LastPort: 14100}
	ips := IPs{FirstIP: netip.MustParseAddr("10.0.0.250"), Count: 10, Port: 9098}
	named := IPs{FirstIP: netip.MustParseAddr("10.0.0.1"), Count: 3, Port: 9098, AdvertisedHost: "b-{n}.demo.example"}
	sni := SNI{Listen: "127.0.0.1:9098", BrokerName: "b{n}-ab12cd34.c1.kafka-serverless.us-east-1.example", BootstrapName: "boot-ab12cd34.c1.kafka-serverless.us-east-1.example"}
	cases := []struct {
		name       string
		s          Strategy
		slot       int
		advertised string
		bind       string
		capacity   int
	}{
		{"ports first", ports, 0, "127.0.0.1:14001", "127.0.0.1:14001", 100},
		{"ports last", ports, 99, "127.0.0.1:14100", "127.0.0.1:14100", 100},
		{"ips carry across octets", ips, 7, "10.0.1.1:9098", "10.0.1.1:9098", 10},
		{"ips named", named, 1, "b-2.demo.example:9098", "10.0.0.2:9098", 3},
		{"sni", sni, 96, "b97-ab12cd34.c1.kafka-serverless.us-east-1.example:9098", "", 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := Validate(c.s); err != nil {
				t.Fatal(err)
			}
			if got := c.s.Advertised(c.slot).String(); got != c.advertised {
				t.Errorf("advertised: got %s; want %s", got, c.advertised)
			}
			if got := c.s.Bind(c.slot); got != c.bind {
				t.Errorf("bind: got %q; want %q", got, c.bind)
			}
			if got := c.s.Capacity(); got != c.capacity {
				t.Errorf("capacity: got %d; want %d", got, c.capacity)
			}
		})
	}
	if got := ports.Bootstrap([]int{0, 2}); len(got) != 2 || got[0].String() != "127.0.0.1:14001" || got[1].String() != "127.0.0.1:14003" {
		t.Errorf("ports bootstrap: got %v", got)
	}
	if got := sni.Bootstrap([]int{0, 1}); len(got) != 1 || got[0].Host != sni.BootstrapName {
		t.Errorf("sni bootstrap: got %v", got)
	}
}

func TestSNIServerNames(t *testing.T) {
	s := SNI{Listen: "127.0.0.1:9098", BrokerName: "b-{n}.x.example", BootstrapName: "boot.x.example", Slots: 5}
	cases := []struct {
		name          string
		slot          int
		bootstrap, ok bool
	}{
		{"b-1.x.example", 0, false, true},
		{"B-5.X.Example.", 4, false, true},
		{"boot.x.example", 0, true, true},
		{"b-6.x.example", 0, false, false},
		{"b-0.x.example", 0, false, false},
		{"b-01.x.example", 0, false, false},
		{"b-.x.example", 0, false, false},
		{"b-1.y.example", 0, false, false},
		{"", 0, false, false},
	}
	for _, c := range cases {
		slot, boot, ok := s.ServerName(c.name)
		if slot != c.slot || boot != c.bootstrap || ok != c.ok {
			t.Errorf("%q: got (%d, %v, %v); want (%d, %v, %v)", c.name, slot, boot, ok, c.slot, c.bootstrap, c.ok)
		}
	}
}

func TestValidateRejects(t *testing.T) {
	cases := []struct {
		name string
		s    Strategy
	}{
		{"ports reversed", Ports{BindHost: "127.0.0.1", FirstPort: 14100, LastPort: 14001}},
		{"ports no host", Ports{FirstPort: 1, LastPort: 2}},
		{"ports too high", Ports{BindHost: "h", FirstPort: 65535, LastPort: 65536}},
		{"ips no address", IPs{Count: 1, Port: 1}},
		{"ips template without n", IPs{FirstIP: netip.MustParseAddr("10.0.0.1"), Count: 1, Port: 1, AdvertisedHost: "b.x"}},
		{"sni no n", SNI{Listen: "127.0.0.1:1", BrokerName: "b.x", BootstrapName: "boot"}},
		{"sni bad listen", SNI{Listen: "nope", BrokerName: "b-{n}", BootstrapName: "boot"}},
	}
	for _, c := range cases {
		if err := Validate(c.s); err == nil {
			t.Errorf("%s: got nil error; want one", c.name)
		}
	}
}
