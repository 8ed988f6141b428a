package acl

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/store"
)

// TestCreateValidation checks that Create rejects what a Kafka broker and
// its controller reject, with their error code and message.
func TestCreateValidation(t *testing.T) {
	valid := aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *")
	with := func(f func(*Binding)) Binding {
		b := valid
		f(&b)
		return b
	}
	tests := []struct {
		name    string
		b       Binding
		wantMsg string // "" for success
	}{
		{"valid_literal_acl_is_created", valid, ""},
		{"valid_prefixed_acl_is_created", aclOf(t, "DENY User:bob WRITE TOPIC PREFIXED pay *"), ""},
		{"cluster_acl_on_kafka_cluster_is_created", aclOf(t, "ALLOW User:alice ALTER CLUSTER LITERAL kafka-cluster *"), ""},
		{"mtls_principal_is_created", with(func(b *Binding) { b.Principal = "User:CN=alice,OU=eng,O=Example" }), ""},
		{"wildcard_principal_is_created", with(func(b *Binding) { b.Principal = "User:*" }), ""},
		{"acl_for_all_operations_is_created", with(func(b *Binding) { b.Operation = kmsg.ACLOperationAll }), ""},
		{"existing_acl_is_created_again_without_error", valid, ""},
		{
			"cluster_resource_must_be_named_kafka_cluster",
			aclOf(t, "ALLOW User:alice ALTER CLUSTER LITERAL my-cluster *"),
			"The only valid name for the CLUSTER resource is kafka-cluster",
		},
		{"resource_name_must_not_be_empty", with(func(b *Binding) { b.ResourceName = "" }), "Invalid empty resource name"},
		{"resource_type_any_is_invalid", with(func(b *Binding) { b.ResourceType = kmsg.ACLResourceTypeAny }), "Invalid resourceType ANY"},
		{"resource_type_unknown_is_invalid", with(func(b *Binding) { b.ResourceType = 0 }), "Invalid resourceType UNKNOWN"},
		{"unrecognised_resource_type_is_unknown", with(func(b *Binding) { b.ResourceType = 42 }), "Invalid resourceType UNKNOWN"},
		{"pattern_type_match_is_invalid", with(func(b *Binding) { b.PatternType = kmsg.ACLResourcePatternTypeMatch }), "Invalid patternType MATCH"},
		{"pattern_type_any_is_invalid", with(func(b *Binding) { b.PatternType = kmsg.ACLResourcePatternTypeAny }), "Invalid patternType ANY"},
		{"pattern_type_unknown_is_invalid", with(func(b *Binding) { b.PatternType = 9 }), "Invalid patternType UNKNOWN"},
		{"operation_any_is_invalid", with(func(b *Binding) { b.Operation = kmsg.ACLOperationAny }), "Invalid operation ANY"},
		{"operation_unknown_is_invalid", with(func(b *Binding) { b.Operation = 0 }), "Invalid operation UNKNOWN"},
		{"permission_any_is_invalid", with(func(b *Binding) { b.Permission = kmsg.ACLPermissionTypeAny }), "Invalid permissionType ANY"},
		{"permission_unknown_is_invalid", with(func(b *Binding) { b.Permission = 0 }), "Invalid permissionType UNKNOWN"},
		{
			"principal_needs_a_type",
			with(func(b *Binding) { b.Principal = "alice" }),
			`Invalid principal "alice": expected a string in format principalType:principalName`,
		},
		{
			"principal_needs_a_name",
			with(func(b *Binding) { b.Principal = "User:" }),
			`Invalid principal "User:": expected a string in format principalType:principalName`,
		},
		{
			"principal_type_must_not_be_empty",
			with(func(b *Binding) { b.Principal = ":alice" }),
			`Invalid principal ":alice": expected a string in format principalType:principalName`,
		},
	}
	a := newAuthorizer(t, newStore(t))
	var bindings []Binding
	for _, tt := range tests {
		bindings = append(bindings, tt.b)
	}
	errs := a.Create(context.Background(), "demo", bindings)
	if len(errs) != len(tests) {
		t.Fatalf("Create returned %d errors; want %d", len(errs), len(tests))
	}
	var created []string
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := errs[i]
			if tt.wantMsg == "" {
				if err != nil {
					t.Errorf("Create(%s) = %v; want nil error", tt.b, err)
				}
				return
			}
			if !errors.Is(err, kerr.InvalidRequest) {
				t.Errorf("Create(%s) = %v; want INVALID_REQUEST", tt.b, err)
			}
			var ae *Error
			if !errors.As(err, &ae) || ae.Message != tt.wantMsg {
				t.Errorf("Create(%s) message = %v; want %q", tt.b, err, tt.wantMsg)
			}
		})
		if tt.wantMsg == "" && !slices.Contains(created, tt.b.String()) {
			created = append(created, tt.b.String())
		}
	}
	got := describeAll(t, a, "demo")
	slices.Sort(created)
	slices.Sort(got)
	if !slices.Equal(got, created) {
		t.Errorf("stored ACLs = %q; want only the valid ones %q", got, created)
	}
}

// describeFixture is a set of ACLs for the filter tests.
var describeFixture = []string{
	"ALLOW User:alice READ TOPIC LITERAL orders *",         // 0
	"ALLOW User:bob READ TOPIC LITERAL * *",                // 1
	"ALLOW User:carol WRITE TOPIC PREFIXED ord *",          // 2
	"DENY User:alice READ TOPIC PREFIXED pay *",            // 3
	"ALLOW User:alice READ GROUP LITERAL orders *",         // 4
	"DENY User:bob WRITE TOPIC LITERAL orders-eu 10.0.0.1", // 5
	"ALLOW User:* DESCRIBE TOPIC LITERAL orders *",         // 6
}

// TestDescribeFilters checks DescribeAcls filter semantics: exact fields,
// nil = any, and the ANY and MATCH pattern types.
func TestDescribeFilters(t *testing.T) {
	a := newAuthorizer(t, newStore(t))
	mustCreate(t, a, "demo", aclsOf(t, describeFixture...)...)
	mustCreate(t, a, "other", aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *"))
	all := MatchAll()
	with := func(f func(*Filter)) Filter {
		x := all
		f(&x)
		return x
	}
	topic := func(pt kmsg.ACLResourcePatternType, name *string) Filter {
		return with(func(f *Filter) { f.ResourceType, f.PatternType, f.ResourceName = kmsg.ACLResourceTypeTopic, pt, name })
	}
	tests := []struct {
		name   string
		filter Filter
		want   []int // indexes into describeFixture
	}{
		{"match_all_returns_every_acl_of_the_cluster", all, []int{0, 1, 2, 3, 4, 5, 6}},
		{"resource_type_selects_one_type", with(func(f *Filter) { f.ResourceType = kmsg.ACLResourceTypeGroup }), []int{4}},
		{"any_pattern_with_name_matches_that_exact_name", topic(kmsg.ACLResourcePatternTypeAny, ptr("orders")), []int{0, 6}},
		{"literal_with_name_matches_literal_acls_of_that_name", topic(kmsg.ACLResourcePatternTypeLiteral, ptr("orders")), []int{0, 6}},
		{"literal_star_matches_only_wildcard_acls", topic(kmsg.ACLResourcePatternTypeLiteral, ptr("*")), []int{1}},
		{"prefixed_with_name_matches_that_prefix_only", topic(kmsg.ACLResourcePatternTypePrefixed, ptr("ord")), []int{2}},
		{"prefixed_does_not_match_longer_prefixes_or_literals", topic(kmsg.ACLResourcePatternTypePrefixed, ptr("orders")), nil},
		{"match_returns_literal_wildcard_and_prefix_acls_that_apply", topic(kmsg.ACLResourcePatternTypeMatch, ptr("orders")), []int{0, 1, 2, 6}},
		{"match_on_longer_name_returns_its_acls", topic(kmsg.ACLResourcePatternTypeMatch, ptr("orders-eu")), []int{1, 2, 5}},
		{"match_on_unrelated_name_returns_only_wildcards", topic(kmsg.ACLResourcePatternTypeMatch, ptr("payments")), []int{1, 3}},
		{"match_across_resource_types", with(func(f *Filter) { f.PatternType, f.ResourceName = kmsg.ACLResourcePatternTypeMatch, ptr("orders") }), []int{0, 1, 2, 4, 6}},
		{"match_without_name_matches_every_pattern", topic(kmsg.ACLResourcePatternTypeMatch, nil), []int{0, 1, 2, 3, 5, 6}},
		{"principal_filter_is_exact_and_excludes_wildcard_principal", with(func(f *Filter) { f.Principal = ptr("User:alice") }), []int{0, 3, 4}},
		{"wildcard_principal_filter_matches_only_wildcard_acls", with(func(f *Filter) { f.Principal = ptr("User:*") }), []int{6}},
		{"host_filter_is_exact", with(func(f *Filter) { f.Host = ptr("10.0.0.1") }), []int{5}},
		{"operation_filter_is_exact_without_implication", with(func(f *Filter) { f.Operation = kmsg.ACLOperationDescribe }), []int{6}},
		{"permission_filter", with(func(f *Filter) { f.Permission = kmsg.ACLPermissionTypeDeny }), []int{3, 5}},
		{"fields_combine", with(func(f *Filter) {
			f.Operation, f.Permission = kmsg.ACLOperationWrite, kmsg.ACLPermissionTypeAllow
		}), []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs, err := a.Describe("demo", tt.filter)
			if err != nil {
				t.Fatalf("Describe(%s) = %v; want nil error", tt.filter, err)
			}
			got := bindingStrings(bs)
			var want []string
			for _, i := range tt.want {
				want = append(want, aclOf(t, describeFixture[i]).String())
			}
			slices.Sort(want)
			if !slices.Equal(sortedCopy(got), want) {
				t.Errorf("Describe(%s) = %q; want %q", tt.filter, got, want)
			}
			if !slices.IsSortedFunc(bs, compareBindings) {
				t.Errorf("Describe(%s) = %q; want sorted by resource, then entry", tt.filter, got)
			}
		})
	}
	for _, f := range []Filter{
		with(func(f *Filter) { f.ResourceType = 0 }),
		with(func(f *Filter) { f.PatternType = 0 }),
		with(func(f *Filter) { f.Operation = 0 }),
		with(func(f *Filter) { f.Permission = 42 }),
		{},
	} {
		if _, err := a.Describe("demo", f); !errors.Is(err, kerr.InvalidRequest) {
			t.Errorf("Describe(%s) = %v; want INVALID_REQUEST for an UNKNOWN field", f, err)
		}
	}
}

func sortedCopy(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestDelete checks DeleteAcls: per-filter results, LITERAL vs MATCH, ACLs
// matched by several filters, invalid filters, and that deleted ACLs stop
// applying.
func TestDelete(t *testing.T) {
	ctx := context.Background()
	a := newAuthorizer(t, newStore(t))
	mustCreate(t, a, "demo", aclsOf(t, describeFixture...)...)
	mustCreate(t, a, "other", aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *"))
	topic := func(pt kmsg.ACLResourcePatternType, name string) Filter {
		f := MatchAll()
		f.ResourceType, f.PatternType, f.ResourceName = kmsg.ACLResourceTypeTopic, pt, &name
		return f
	}
	aliceRead := requestOf(t, "User:alice 10.0.0.1 READ TOPIC orders")
	if d := a.Authorize("demo", aliceRead); !d.Allowed {
		t.Fatalf("before delete: Authorize(alice READ orders) = %+v; want allowed", d)
	}

	// A LITERAL filter deletes the literal ACLs only.
	got, errs := a.Delete(ctx, "demo", []Filter{topic(kmsg.ACLResourcePatternTypeLiteral, "orders")})
	if errs[0] != nil {
		t.Fatalf("Delete(LITERAL orders) error = %v; want nil", errs[0])
	}
	if g, w := bindingStrings(got[0]), []string{aclOf(t, describeFixture[0]).String(), aclOf(t, describeFixture[6]).String()}; !slices.Equal(sortedCopy(g), sortedCopy(w)) {
		t.Errorf("Delete(LITERAL orders) deleted %q; want %q", g, w)
	}
	if d := a.Authorize("demo", aliceRead); d.Allowed {
		t.Errorf("after delete: Authorize(alice READ orders) = %+v; want denied", d)
	}
	if d := a.Authorize("other", aliceRead); !d.Allowed {
		t.Errorf("after delete in demo: Authorize on other cluster = %+v; want allowed (ACLs are per cluster)", d)
	}

	// MATCH deletes the wildcard and prefixed ACLs that apply; a second
	// filter matching one of them lists it too; an invalid filter fails
	// alone; a filter matching nothing returns nothing.
	bad := MatchAll()
	bad.Operation = 0
	got, errs = a.Delete(ctx, "demo", []Filter{
		topic(kmsg.ACLResourcePatternTypeMatch, "orders-eu"),
		bad,
		topic(kmsg.ACLResourcePatternTypePrefixed, "ord"),
		topic(kmsg.ACLResourcePatternTypeLiteral, "nothing"),
	})
	wantDeleted := [][]string{
		{aclOf(t, describeFixture[1]).String(), aclOf(t, describeFixture[2]).String(), aclOf(t, describeFixture[5]).String()},
		nil,
		{aclOf(t, describeFixture[2]).String()},
		nil,
	}
	for i := range wantDeleted {
		if g := bindingStrings(got[i]); !slices.Equal(sortedCopy(g), sortedCopy(wantDeleted[i])) {
			t.Errorf("filter %d deleted %q; want %q", i, g, wantDeleted[i])
		}
	}
	if errs[0] != nil || errs[2] != nil || errs[3] != nil {
		t.Errorf("Delete errors = %v; want nil for the valid filters", errs)
	}
	var ae *Error
	if !errors.As(errs[1], &ae) || ae.Code != kerr.InvalidRequest || ae.Message != "Unknown entryFilter." {
		t.Errorf("Delete(UNKNOWN operation) error = %v; want INVALID_REQUEST \"Unknown entryFilter.\"", errs[1])
	}
	rest := []string{aclOf(t, describeFixture[3]).String(), aclOf(t, describeFixture[4]).String()}
	if g := describeAll(t, a, "demo"); !slices.Equal(sortedCopy(g), sortedCopy(rest)) {
		t.Errorf("after deletes: ACLs = %q; want %q", g, rest)
	}

	// MatchAll deletes what is left, in this cluster only.
	got, errs = a.Delete(ctx, "demo", []Filter{MatchAll()})
	if errs[0] != nil || len(got[0]) != 2 {
		t.Errorf("Delete(all) = %q, %v; want the 2 remaining ACLs", bindingStrings(got[0]), errs[0])
	}
	if g := describeAll(t, a, "demo"); len(g) != 0 {
		t.Errorf("after Delete(all): ACLs = %q; want none", g)
	}
	if g := describeAll(t, a, "other"); len(g) != 1 {
		t.Errorf("other cluster after Delete(all) in demo: ACLs = %q; want 1", g)
	}
}

// TestPersistence checks that ACLs survive the Authorizer and the store
// being closed and opened again.
func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kafkalink.db")
	st, err := store.OpenBolt(path)
	if err != nil {
		t.Fatalf("OpenBolt = %v; want nil error", err)
	}
	a, err := New(context.Background(), st, nil)
	if err != nil {
		t.Fatalf("New = %v; want nil error", err)
	}
	want := aclsOf(t,
		"ALLOW User:alice READ TOPIC PREFIXED ord *",
		"DENY User:bob WRITE TOPIC LITERAL orders 10.0.0.1",
		"ALLOW User:CN=svc,O=Example ALL CLUSTER LITERAL kafka-cluster *",
	)
	mustCreate(t, a, "demo", want...)
	mustCreate(t, a, "ns/with/slashes", want[0])
	a.Close()
	if err := st.Close(); err != nil {
		t.Fatalf("store Close = %v; want nil error", err)
	}

	b := newAuthorizer(t, openStore(t, path))
	if g, w := describeAll(t, b, "demo"), sortedCopy(bindingStrings(want)); !slices.Equal(sortedCopy(g), w) {
		t.Errorf("after reopening: ACLs = %q; want %q", g, w)
	}
	if g := describeAll(t, b, "ns/with/slashes"); len(g) != 1 {
		t.Errorf("after reopening: ACLs of a cluster named with slashes = %q; want 1", g)
	}
	if d := b.Authorize("demo", requestOf(t, "User:alice 10.0.0.1 READ TOPIC orders")); !d.Allowed {
		t.Errorf("after reopening: Authorize(alice READ orders) = %+v; want allowed", d)
	}
	if d := b.Authorize("demo", requestOf(t, "User:bob 10.0.0.1 WRITE TOPIC orders")); d.Allowed {
		t.Errorf("after reopening: Authorize(bob WRITE orders) = %+v; want denied", d)
	}
}

// TestPropagation checks that ACLs created and deleted through one
// Authorizer take effect in another on the same store within a second.
func TestPropagation(t *testing.T) {
	st := newStore(t)
	a1 := newAuthorizer(t, st)
	a2 := newAuthorizer(t, st)
	req := requestOf(t, "User:alice 10.0.0.1 READ TOPIC orders")
	if d := a2.Authorize("demo", req); d.Allowed {
		t.Fatalf("before create: Authorize = %+v; want denied", d)
	}

	// The clock starts once the change is stored: the store write itself
	// is not propagation.
	mustCreate(t, a1, "demo", aclOf(t, "ALLOW User:alice READ TOPIC PREFIXED ord *"))
	start := time.Now()
	waitUntil(t, a2, "the ACL created by the other authorizer allows alice", func() bool {
		return a2.Authorize("demo", req).Allowed
	})
	if d := time.Since(start); d > time.Second {
		t.Errorf("create took %v to propagate; want under 1s", d)
	}

	_, errs := a1.Delete(context.Background(), "demo", []Filter{MatchAll()})
	if errs[0] != nil {
		t.Fatalf("Delete = %v; want nil error", errs[0])
	}
	start = time.Now()
	waitUntil(t, a2, "the ACL deleted by the other authorizer no longer allows alice", func() bool {
		return !a2.Authorize("demo", req).Allowed
	})
	if d := time.Since(start); d > time.Second {
		t.Errorf("delete took %v to propagate; want under 1s", d)
	}
}

// TestDeleteSeesACLsNotYetWatched checks that Delete works on the store's
// ACLs rather than on what this Authorizer has seen.
func TestDeleteSeesACLsNotYetWatched(t *testing.T) {
	st := newStore(t)
	a := newAuthorizer(t, &flakyStore{Store: st, freeze: true}) // a sees no change
	a.applyWait = 10 * time.Millisecond                         // so its own changes never arrive
	other := newAuthorizer(t, st)
	mustCreate(t, other, "demo", aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *"))
	if g := describeAll(t, a, "demo"); len(g) != 0 {
		t.Fatalf("Describe on the authorizer whose watch is frozen = %q; want nothing yet", g)
	}
	got, errs := a.Delete(context.Background(), "demo", []Filter{MatchAll()})
	if errs[0] != nil || len(got[0]) != 1 {
		t.Errorf("Delete = %q, %v; want the ACL created elsewhere", bindingStrings(got[0]), errs[0])
	}
	if g := describeAll(t, other, "demo"); len(g) != 0 {
		t.Errorf("after Delete: ACLs = %q; want none", g)
	}
}

// TestReloadAfterWatchLoss checks that the Authorizer lists again when its
// watch cannot start (revision compacted) or ends (fell behind), and catches
// up with the changes it missed.
func TestReloadAfterWatchLoss(t *testing.T) {
	st := newStore(t)
	fs := &flakyStore{Store: st, compact: 1, calls: make(chan struct{}, 16)}
	a := newAuthorizer(t, fs)
	other := newAuthorizer(t, st)
	req := requestOf(t, "User:alice 10.0.0.1 READ TOPIC orders")

	mustCreate(t, other, "demo", aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *"))
	waitUntil(t, a, "a sees the first ACL after its compacted watch", func() bool {
		return a.Authorize("demo", req).Allowed
	})

	fs.cut()
	mustCreate(t, other, "demo", aclOf(t, "DENY User:alice READ TOPIC LITERAL orders *"))
	waitUntil(t, a, "a sees the ACL created while its watch was cut", func() bool {
		return !a.Authorize("demo", req).Allowed
	})
	// Watch calls: the compacted one, the one cut, and the current one.
	deadline := time.After(waitTimeout)
	for i := range 3 {
		select {
		case <-fs.calls:
		case <-deadline:
			t.Fatalf("Watch called %d times in %v; want 3 (compacted, cut, current)", i, waitTimeout)
		}
	}
}

// TestStoreClosed checks that the Authorizer keeps its last ACLs when the
// store closes, and that changes then fail with UNKNOWN_SERVER_ERROR.
func TestStoreClosed(t *testing.T) {
	st := newStore(t)
	a := newAuthorizer(t, st)
	mustCreate(t, a, "demo", aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *"))
	if err := st.Close(); err != nil {
		t.Fatalf("store Close = %v; want nil error", err)
	}
	select {
	case <-a.done:
	case <-time.After(waitTimeout):
		t.Fatalf("watch loop still running %v after the store closed", waitTimeout)
	}
	if d := a.Authorize("demo", requestOf(t, "User:alice 10.0.0.1 READ TOPIC orders")); !d.Allowed {
		t.Errorf("after store close: Authorize = %+v; want allowed from the last ACLs", d)
	}
	errs := a.Create(context.Background(), "demo", aclsOf(t, "ALLOW User:bob READ TOPIC LITERAL orders *"))
	if !errors.Is(errs[0], kerr.UnknownServerError) || !errors.Is(errs[0], store.ErrClosed) {
		t.Errorf("Create after store close = %v; want UNKNOWN_SERVER_ERROR wrapping store.ErrClosed", errs[0])
	}
	_, errs = a.Delete(context.Background(), "demo", []Filter{MatchAll()})
	if !errors.Is(errs[0], kerr.UnknownServerError) {
		t.Errorf("Delete after store close = %v; want UNKNOWN_SERVER_ERROR", errs[0])
	}
}

// TestClosedAuthorizer checks calls made after Close.
func TestClosedAuthorizer(t *testing.T) {
	a := newAuthorizer(t, newStore(t))
	mustCreate(t, a, "demo", aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *"))
	a.Close()
	a.Close() // a second Close is harmless
	if d := a.Authorize("demo", requestOf(t, "User:alice 10.0.0.1 READ TOPIC orders")); !d.Allowed {
		t.Errorf("after Close: Authorize = %+v; want allowed from the last ACLs", d)
	}
	if errs := a.Create(context.Background(), "demo", aclsOf(t, "ALLOW User:bob READ TOPIC LITERAL x *")); !errors.Is(errs[0], errClosed) {
		t.Errorf("Create after Close = %v; want errClosed", errs[0])
	}
	if errs := a.Create(context.Background(), "", nil); len(errs) != 0 {
		t.Errorf("Create of nothing = %v; want no errors", errs)
	}
}

// TestLoadFailure checks that New fails when the store cannot be listed.
func TestLoadFailure(t *testing.T) {
	st := newStore(t)
	if err := st.Close(); err != nil {
		t.Fatalf("store Close = %v; want nil error", err)
	}
	if _, err := New(context.Background(), st, nil); !errors.Is(err, store.ErrClosed) {
		t.Errorf("New on a closed store = %v; want an error wrapping store.ErrClosed", err)
	}
}

// TestIgnoresForeignAndCorruptKeys checks that keys under clusters/ that
// are not ACLs, and ACL records that do not decode, are ignored.
func TestIgnoresForeignAndCorruptKeys(t *testing.T) {
	ctx := context.Background()
	st := newStore(t)
	mustPut := func(key, value string) {
		t.Helper()
		if _, err := st.Put(ctx, key, []byte(value)); err != nil {
			t.Fatalf("Put(%q) = %v; want nil error", key, err)
		}
	}
	good := aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *")
	v, err := encodeBinding(good)
	if err != nil {
		t.Fatalf("encodeBinding = %v", err)
	}
	mustPut("clusters/demo/config", `{"name":"demo"}`)
	mustPut(aclKey("demo", good), string(v))
	mustPut("clusters/demo/acls/corrupt", `{not json`)
	mustPut("clusters/demo/acls/invalid", `{"resourceType":"ANY","resourceName":"x","patternType":"LITERAL","principal":"User:a","host":"*","operation":"READ","permissionType":"ALLOW"}`)
	a := newAuthorizer(t, st)
	if g := describeAll(t, a, "demo"); !slices.Equal(g, []string{good.String()}) {
		t.Errorf("loaded ACLs = %q; want only %q", g, good.String())
	}
	// The same through the watch, and a valid ACL overwritten by garbage
	// stops applying.
	mustPut("clusters/demo/acls/corrupt2", `{not json`)
	mustPut(aclKey("demo", good), `{not json`)
	waitUntil(t, a, "the overwritten ACL is dropped", func() bool { return len(describeAll(t, a, "demo")) == 0 })
}

// TestConcurrentUse runs Authorize against concurrent changes (for the race
// detector).
func TestConcurrentUse(t *testing.T) {
	a := newAuthorizer(t, newStore(t))
	req := requestOf(t, "User:alice 10.0.0.1 READ TOPIC orders")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					a.Authorize("demo", req)
					a.Describe("demo", MatchAll())
				}
			}
		})
	}
	for i := range 10 {
		mustCreate(t, a, "demo", aclOf(t, "ALLOW User:alice READ TOPIC PREFIXED o"+string(rune('a'+i))+" *"))
		a.SetSuperUsers("demo", []string{"User:admin"})
		a.SetAllowEveryoneIfNoACL("demo", i%2 == 0)
	}
	a.Delete(context.Background(), "demo", []Filter{MatchAll()})
	close(stop)
	wg.Wait()
}

// flakyStore wraps a store to make watches fail: the first compact calls
// to Watch return store.ErrCompacted, cut ends the current watch, and with
// freeze a watch delivers nothing until its context ends.
type flakyStore struct {
	store.Store
	freeze bool
	calls  chan struct{} // if not nil, receives one value per Watch call

	mu      sync.Mutex
	compact int
	stop    context.CancelFunc // ends the current watch
}

func (f *flakyStore) Watch(ctx context.Context, prefix string, fromRev int64) (<-chan store.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls != nil {
		f.calls <- struct{}{}
	}
	if f.compact > 0 {
		f.compact--
		return nil, store.ErrCompacted
	}
	if f.freeze {
		ch := make(chan store.Event)
		context.AfterFunc(ctx, func() { close(ch) })
		return ch, nil
	}
	wctx, cancel := context.WithCancel(ctx)
	ch, err := f.Store.Watch(wctx, prefix, fromRev)
	if err != nil {
		cancel()
		return nil, err
	}
	f.stop = cancel
	return ch, nil
}

// cut ends the current watch, as a store does with a watcher that fell
// behind.
func (f *flakyStore) cut() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stop != nil {
		f.stop()
	}
}

// Ensure the wrapped store still satisfies the interface.
var _ store.Store = (*flakyStore)(nil)
