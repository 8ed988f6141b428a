package acl

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/store"
)

// waitTimeout is the failure deadline for anything a test waits on.
const waitTimeout = 10 * time.Second

// openStore opens a bbolt store at path and closes it when the test ends.
func openStore(t testing.TB, path string) *store.Bolt {
	t.Helper()
	st, err := store.OpenBolt(path)
	if err != nil {
		t.Fatalf("OpenBolt(%q) = %v; want nil error", path, err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Errorf("store Close() = %v; want nil or ErrClosed", err)
		}
	})
	return st
}

// newStore opens a bbolt store in a fresh directory.
func newStore(t testing.TB) *store.Bolt {
	t.Helper()
	return openStore(t, filepath.Join(t.TempDir(), "state", "kafkalink.db"))
}

// newAuthorizer starts an Authorizer on st and closes it when the test ends.
func newAuthorizer(t testing.TB, st store.Store) *Authorizer {
	t.Helper()
	a, err := New(context.Background(), st, nil)
	if err != nil {
		t.Fatalf("New() = %v; want nil error", err)
	}
	t.Cleanup(a.Close)
	return a
}

// aclOf parses the test notation of an ACL:
//
//	"<perm> <principal> <op> <resource type> <pattern type> <name> <host>"
//
// for example "ALLOW User:alice READ TOPIC LITERAL orders *". Enum names are
// kmsg's; a number stands for a raw code.
func aclOf(t testing.TB, spec string) Binding {
	t.Helper()
	f := strings.Fields(spec)
	if len(f) != 7 {
		t.Fatalf("ACL %q: want 7 fields, got %d", spec, len(f))
	}
	return Binding{
		Permission:   parseEnum(t, f[0], kmsg.ParseACLPermissionType),
		Principal:    f[1],
		Operation:    parseEnum(t, f[2], kmsg.ParseACLOperation),
		ResourceType: parseEnum(t, f[3], kmsg.ParseACLResourceType),
		PatternType:  parseEnum(t, f[4], kmsg.ParseACLResourcePatternType),
		ResourceName: f[5],
		Host:         f[6],
	}
}

// aclsOf parses ACLs in the notation of aclOf.
func aclsOf(t testing.TB, specs ...string) []Binding {
	t.Helper()
	out := make([]Binding, len(specs))
	for i, s := range specs {
		out[i] = aclOf(t, s)
	}
	return out
}

// requestOf parses the test notation of a request:
//
//	"<principal> <host> <op> <resource type> <name>"
func requestOf(t testing.TB, spec string) Request {
	t.Helper()
	f := strings.Fields(spec)
	if len(f) != 5 {
		t.Fatalf("request %q: want 5 fields, got %d", spec, len(f))
	}
	return Request{
		Principal:    f[0],
		Host:         f[1],
		Operation:    parseEnum(t, f[2], kmsg.ParseACLOperation),
		ResourceType: parseEnum(t, f[3], kmsg.ParseACLResourceType),
		ResourceName: f[4],
	}
}

func parseEnum[T ~int8](t testing.TB, s string, parse func(string) (T, error)) T {
	t.Helper()
	if v, err := parse(s); err == nil {
		return v
	}
	var n int8
	for i, c := range []byte(s) {
		if c == '-' && i == 0 {
			continue
		}
		if c < '0' || c > '9' {
			t.Fatalf("unknown enum value %q", s)
		}
		n = n*10 + int8(c-'0')
	}
	if strings.HasPrefix(s, "-") {
		n = -n
	}
	return T(n)
}

// mustCreate creates ACLs and fails the test on any error.
func mustCreate(t testing.TB, a *Authorizer, cluster string, bindings ...Binding) {
	t.Helper()
	for i, err := range a.Create(context.Background(), cluster, bindings) {
		if err != nil {
			t.Fatalf("Create(%s) = %v; want nil error", bindings[i], err)
		}
	}
}

// describeAll returns every ACL of cluster as strings.
func describeAll(t testing.TB, a *Authorizer, cluster string) []string {
	t.Helper()
	bs, err := a.Describe(cluster, MatchAll())
	if err != nil {
		t.Fatalf("Describe(%s, all) = %v; want nil error", cluster, err)
	}
	return bindingStrings(bs)
}

func bindingStrings(bs []Binding) []string {
	out := make([]string, len(bs))
	for i, b := range bs {
		out[i] = b.String()
	}
	return out
}

// waitUntil waits, without polling, until cond holds on a: it rechecks cond
// each time a's index changes, and fails the test after waitTimeout.
func waitUntil(t testing.TB, a *Authorizer, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		a.mu.Lock()
		ch := a.advanced
		a.mu.Unlock()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline.C:
			t.Fatalf("after %v: still waiting until %s", waitTimeout, what)
		}
	}
}

func ptr[T any](v T) *T { return &v }
