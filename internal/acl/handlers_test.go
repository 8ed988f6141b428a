package acl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// requestOverWire encodes r at its version and decodes it as a broker
// would.
func requestOverWire[R kmsg.Request](t *testing.T, r R) R {
	t.Helper()
	out := r.ResponseKind().RequestKind()
	out.SetVersion(r.GetVersion())
	if err := out.ReadFrom(r.AppendTo(nil)); err != nil {
		t.Fatalf("decoding %T v%d = %v; want nil error", r, r.GetVersion(), err)
	}
	return out.(R)
}

// responseOverWire encodes r at its version and decodes it as a client
// would.
func responseOverWire[R kmsg.Response](t *testing.T, r R) R {
	t.Helper()
	out := r.RequestKind().ResponseKind()
	out.SetVersion(r.GetVersion())
	if err := out.ReadFrom(r.AppendTo(nil)); err != nil {
		t.Fatalf("decoding %T v%d = %v; want nil error", r, r.GetVersion(), err)
	}
	return out.(R)
}

func creationOf(b Binding) kmsg.CreateACLsRequestCreation {
	c := kmsg.NewCreateACLsRequestCreation()
	c.ResourceType, c.ResourceName, c.ResourcePatternType = b.ResourceType, b.ResourceName, b.PatternType
	c.Principal, c.Host, c.Operation, c.PermissionType = b.Principal, b.Host, b.Operation, b.Permission
	return c
}

func deleteFilterOf(f Filter) kmsg.DeleteACLsRequestFilter {
	d := kmsg.NewDeleteACLsRequestFilter()
	d.ResourceType, d.ResourceName, d.ResourcePatternType = f.ResourceType, f.ResourceName, f.PatternType
	d.Principal, d.Host, d.Operation, d.PermissionType = f.Principal, f.Host, f.Operation, f.Permission
	return d
}

// result is an error code and message, as the tests compare them.
type result struct {
	code int16
	msg  string // "" for a nil message
}

func resultOf(code int16, msg *string) result {
	if msg == nil {
		return result{code: code}
	}
	return result{code, *msg}
}

// TestHandleCreate checks CreateAcls responses: one result per creation
// with the code and message a broker sends, in the request's version.
func TestHandleCreate(t *testing.T) {
	for version := int16(0); version <= (*kmsg.CreateACLsRequest)(nil).MaxVersion(); version++ {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			a := newAuthorizer(t, newStore(t))
			req := kmsg.NewPtrCreateACLsRequest()
			req.Version = version
			for _, spec := range []string{
				"ALLOW User:alice READ TOPIC LITERAL orders *",
				"ALLOW User:alice ALTER CLUSTER LITERAL my-cluster *",
				"ALLOW alice READ TOPIC LITERAL orders *",
				"DENY User:bob ANY TOPIC LITERAL orders *",
				"DENY User:bob WRITE TOPIC LITERAL orders 10.0.0.1",
			} {
				req.Creations = append(req.Creations, creationOf(aclOf(t, spec)))
			}
			resp := responseOverWire(t, a.HandleCreate(context.Background(), "demo", requestOverWire(t, req)))
			if resp.Version != version {
				t.Errorf("response version = %d; want %d", resp.Version, version)
			}
			var got []result
			for _, r := range resp.Results {
				got = append(got, resultOf(r.ErrorCode, r.ErrorMessage))
			}
			want := []result{
				{},
				{kerr.InvalidRequest.Code, "The only valid name for the CLUSTER resource is kafka-cluster"},
				{kerr.InvalidRequest.Code, `Invalid principal "alice": expected a string in format principalType:principalName`},
				{kerr.InvalidRequest.Code, "Invalid operation ANY"},
				{},
			}
			if !slices.Equal(got, want) {
				t.Errorf("results = %+v; want %+v", got, want)
			}
			wantACLs := sortedCopy([]string{
				aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *").String(),
				aclOf(t, "DENY User:bob WRITE TOPIC LITERAL orders 10.0.0.1").String(),
			})
			if g := describeAll(t, a, "demo"); !slices.Equal(sortedCopy(g), wantACLs) {
				t.Errorf("ACLs = %q; want %q", g, wantACLs)
			}
		})
	}
}

// TestHandleCreateRejectsWholeRequest checks the request-wide checks Kafka
// makes while parsing CreateAcls: they fail every creation and create
// nothing.
func TestHandleCreateRejectsWholeRequest(t *testing.T) {
	valid := creationOf(aclOf(t, "ALLOW User:alice READ TOPIC LITERAL orders *"))
	prefixed := creationOf(aclOf(t, "ALLOW User:alice READ TOPIC PREFIXED ord *"))
	unknownOp := valid
	unknownOp.Operation = kmsg.ACLOperationUnknown
	unknownType := valid
	unknownType.ResourceType = kmsg.ACLResourceTypeUnknown
	tests := []struct {
		name      string
		version   int16
		creations []kmsg.CreateACLsRequestCreation
		want      result
	}{
		{"v0_supports_only_literal_patterns", 0, []kmsg.CreateACLsRequestCreation{valid, prefixed},
			result{kerr.UnsupportedVersion.Code, "Version 0 only supports literal resource pattern types"}},
		{"unknown_operation_rejects_the_request", 2, []kmsg.CreateACLsRequestCreation{valid, unknownOp},
			result{kerr.InvalidRequest.Code, "CreatableAcls contain unknown elements"}},
		{"unknown_resource_type_rejects_the_request", 3, []kmsg.CreateACLsRequestCreation{unknownType, valid},
			result{kerr.InvalidRequest.Code, "CreatableAcls contain unknown elements"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuthorizer(t, newStore(t))
			req := kmsg.NewPtrCreateACLsRequest()
			req.Version, req.Creations = tt.version, tt.creations
			resp := a.HandleCreate(context.Background(), "demo", req)
			if len(resp.Results) != len(tt.creations) {
				t.Fatalf("%d results; want %d", len(resp.Results), len(tt.creations))
			}
			for i, r := range resp.Results {
				if got := resultOf(r.ErrorCode, r.ErrorMessage); got != tt.want {
					t.Errorf("result %d = %+v; want %+v", i, got, tt.want)
				}
			}
			if g := describeAll(t, a, "demo"); len(g) != 0 {
				t.Errorf("ACLs = %q; want none created", g)
			}
		})
	}
}

// TestHandleDescribe checks DescribeAcls responses: matching ACLs grouped
// by resource pattern, version handling, and request-level errors.
func TestHandleDescribe(t *testing.T) {
	a := newAuthorizer(t, newStore(t))
	mustCreate(t, a, "demo", aclsOf(t, describeFixture...)...)
	describe := func(version int16, f Filter) *kmsg.DescribeACLsResponse {
		t.Helper()
		req := kmsg.NewPtrDescribeACLsRequest()
		req.Version = version
		req.ResourceType, req.ResourceName, req.ResourcePatternType = f.ResourceType, f.ResourceName, f.PatternType
		req.Principal, req.Host, req.Operation, req.PermissionType = f.Principal, f.Host, f.Operation, f.Permission
		if version > 0 || f.PatternType == kmsg.ACLResourcePatternTypeLiteral {
			req = requestOverWire(t, req)
		}
		resp := a.HandleDescribe(context.Background(), "demo", req)
		if resp.Version != version {
			t.Errorf("response version = %d; want %d", resp.Version, version)
		}
		return responseOverWire(t, resp)
	}
	// flatten renders resources as "<type> <pattern> <name>: <acl>, <acl>".
	flatten := func(resp *kmsg.DescribeACLsResponse) []string {
		var out []string
		for _, r := range resp.Resources {
			s := fmt.Sprintf("%s %s %s:", r.ResourceType, r.ResourcePatternType, r.ResourceName)
			for _, e := range r.ACLs {
				s += fmt.Sprintf(" %s %s %s %s;", e.PermissionType, e.Principal, e.Operation, e.Host)
			}
			out = append(out, s)
		}
		return out
	}
	match := MatchAll()
	match.ResourceType, match.PatternType, match.ResourceName = kmsg.ACLResourceTypeTopic, kmsg.ACLResourcePatternTypeMatch, ptr("orders")
	for version := int16(1); version <= 3; version++ {
		resp := describe(version, match)
		if resp.ErrorCode != 0 || resp.ErrorMessage != nil {
			t.Errorf("v%d: error = %+v; want none", version, resultOf(resp.ErrorCode, resp.ErrorMessage))
		}
		want := []string{
			"TOPIC LITERAL *: ALLOW User:bob READ *;",
			"TOPIC PREFIXED ord: ALLOW User:carol WRITE *;",
			"TOPIC LITERAL orders: ALLOW User:* DESCRIBE *; ALLOW User:alice READ *;",
		}
		if got := flatten(resp); !slices.Equal(got, want) {
			t.Errorf("v%d: resources = %q; want %q", version, got, want)
		}
	}

	literal := match
	literal.PatternType = kmsg.ACLResourcePatternTypeLiteral
	if got, want := flatten(describe(0, literal)), []string{"TOPIC LITERAL orders: ALLOW User:* DESCRIBE *; ALLOW User:alice READ *;"}; !slices.Equal(got, want) {
		t.Errorf("v0 LITERAL orders: resources = %q; want %q", got, want)
	}
	anyPattern := MatchAll()
	anyPattern.ResourceType = kmsg.ACLResourceTypeTopic
	if got := flatten(describe(0, anyPattern)); len(got) != 3 {
		t.Errorf("v0 ANY pattern (read as LITERAL): resources = %q; want the 3 literal topic resources", got)
	}

	errorTests := []struct {
		name    string
		version int16
		mutate  func(*Filter)
		want    result
	}{
		{"v0_supports_only_literal_patterns", 0, func(f *Filter) { f.PatternType = kmsg.ACLResourcePatternTypePrefixed },
			result{kerr.UnsupportedVersion.Code, "Version 0 only supports literal resource pattern types"}},
		{"unknown_operation_rejects_the_request", 2, func(f *Filter) { f.Operation = kmsg.ACLOperationUnknown },
			result{kerr.InvalidRequest.Code, "DescribeAclsRequest contains UNKNOWN elements"}},
		{"unknown_pattern_type_rejects_the_request", 3, func(f *Filter) { f.PatternType = kmsg.ACLResourcePatternTypeUnknown },
			result{kerr.InvalidRequest.Code, "DescribeAclsRequest contains UNKNOWN elements"}},
		{"unrecognised_code_matches_nothing", 3, func(f *Filter) { f.Operation = 99 }, result{}},
	}
	for _, tt := range errorTests {
		t.Run(tt.name, func(t *testing.T) {
			f := MatchAll()
			tt.mutate(&f)
			resp := describe(tt.version, f)
			if got := resultOf(resp.ErrorCode, resp.ErrorMessage); got != tt.want {
				t.Errorf("error = %+v; want %+v", got, tt.want)
			}
			if len(resp.Resources) != 0 {
				t.Errorf("resources = %q; want none", flatten(resp))
			}
		})
	}
}

// TestHandleDelete checks DeleteAcls responses: per-filter results listing
// the deleted ACLs, version handling, and request-level errors.
func TestHandleDelete(t *testing.T) {
	ctx := context.Background()
	literal := MatchAll()
	literal.ResourceType, literal.PatternType, literal.ResourceName = kmsg.ACLResourceTypeTopic, kmsg.ACLResourcePatternTypeLiteral, ptr("orders")
	match := literal
	match.PatternType, match.ResourceName = kmsg.ACLResourcePatternTypeMatch, ptr("payments")
	unknownFilter := MatchAll()
	unknownFilter.ResourceType = 42

	for version := int16(1); version <= 3; version++ {
		t.Run(fmt.Sprintf("v%d", version), func(t *testing.T) {
			a := newAuthorizer(t, newStore(t))
			mustCreate(t, a, "demo", aclsOf(t, describeFixture...)...)
			req := kmsg.NewPtrDeleteACLsRequest()
			req.Version = version
			req.Filters = []kmsg.DeleteACLsRequestFilter{deleteFilterOf(literal), deleteFilterOf(unknownFilter), deleteFilterOf(match)}
			resp := responseOverWire(t, a.HandleDelete(ctx, "demo", requestOverWire(t, req)))
			if resp.Version != version {
				t.Errorf("response version = %d; want %d", resp.Version, version)
			}
			if len(resp.Results) != 3 {
				t.Fatalf("%d results; want 3", len(resp.Results))
			}
			var got [3][]string
			for i, r := range resp.Results {
				for _, m := range r.MatchingACLs {
					if m.ErrorCode != 0 || m.ErrorMessage != nil {
						t.Errorf("filter %d: matching ACL error = %+v; want none", i, resultOf(m.ErrorCode, m.ErrorMessage))
					}
					got[i] = append(got[i], Binding{
						ResourceType: m.ResourceType, ResourceName: m.ResourceName, PatternType: m.ResourcePatternType,
						Principal: m.Principal, Host: m.Host, Operation: m.Operation, Permission: m.PermissionType,
					}.String())
				}
			}
			want := [3][]string{
				{aclOf(t, describeFixture[6]).String(), aclOf(t, describeFixture[0]).String()},
				nil,
				{aclOf(t, describeFixture[1]).String(), aclOf(t, describeFixture[3]).String()},
			}
			for i := range want {
				if !slices.Equal(got[i], want[i]) {
					t.Errorf("filter %d deleted %q; want %q", i, got[i], want[i])
				}
			}
			wantErrs := []result{{}, {kerr.InvalidRequest.Code, "Unknown patternFilter."}, {}}
			for i, r := range resp.Results {
				if g := resultOf(r.ErrorCode, r.ErrorMessage); g != wantErrs[i] {
					t.Errorf("filter %d error = %+v; want %+v", i, g, wantErrs[i])
				}
			}
			if g := describeAll(t, a, "demo"); len(g) != 3 {
				t.Errorf("ACLs left = %q; want 3", g)
			}
		})
	}

	t.Run("v0_deletes_literal_acls", func(t *testing.T) {
		a := newAuthorizer(t, newStore(t))
		mustCreate(t, a, "demo", aclsOf(t, describeFixture...)...)
		req := kmsg.NewPtrDeleteACLsRequest()
		anyPattern := literal
		anyPattern.PatternType = kmsg.ACLResourcePatternTypeAny // read as LITERAL in v0
		req.Filters = []kmsg.DeleteACLsRequestFilter{deleteFilterOf(anyPattern)}
		resp := responseOverWire(t, a.HandleDelete(ctx, "demo", req))
		if n := len(resp.Results[0].MatchingACLs); n != 2 {
			t.Errorf("v0 ANY pattern: deleted %d ACLs; want the 2 literal ones", n)
		}
	})

	rejectTests := []struct {
		name    string
		version int16
		filters []Filter
		want    result
	}{
		{"v0_supports_only_literal_and_any_patterns", 0, []Filter{literal, match},
			result{kerr.UnsupportedVersion.Code, "Version 0 does not support pattern type MATCH (only LITERAL and ANY are supported)"}},
		{"unknown_permission_rejects_the_request", 1, []Filter{literal, func() Filter { f := MatchAll(); f.Permission = 0; return f }()},
			result{kerr.InvalidRequest.Code, "Filters contain UNKNOWN elements"}},
	}
	for _, tt := range rejectTests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAuthorizer(t, newStore(t))
			mustCreate(t, a, "demo", aclsOf(t, describeFixture...)...)
			req := kmsg.NewPtrDeleteACLsRequest()
			req.Version = tt.version
			for _, f := range tt.filters {
				req.Filters = append(req.Filters, deleteFilterOf(f))
			}
			resp := a.HandleDelete(ctx, "demo", req)
			if len(resp.Results) != len(tt.filters) {
				t.Fatalf("%d results; want %d", len(resp.Results), len(tt.filters))
			}
			for i, r := range resp.Results {
				if g := resultOf(r.ErrorCode, r.ErrorMessage); g != tt.want || len(r.MatchingACLs) != 0 {
					t.Errorf("filter %d = %+v with %d ACLs; want %+v and none", i, g, len(r.MatchingACLs), tt.want)
				}
			}
			if g := describeAll(t, a, "demo"); len(g) != len(describeFixture) {
				t.Errorf("ACLs left = %d; want all %d", len(g), len(describeFixture))
			}
		})
	}
}

// TestHandlersReadStringsAsUTF8 checks that the handlers read strings as
// Kafka's parser does, replacing invalid UTF-8, while Create rejects them.
func TestHandlersReadStringsAsUTF8(t *testing.T) {
	ctx := context.Background()
	a := newAuthorizer(t, newStore(t))
	raw := aclOf(t, "ALLOW User:alice READ TOPIC LITERAL x *")
	raw.ResourceName = "ord\xffers"
	if errs := a.Create(ctx, "demo", []Binding{raw}); !errors.Is(errs[0], kerr.InvalidRequest) {
		t.Errorf("Create(invalid UTF-8 name) = %v; want INVALID_REQUEST", errs[0])
	}
	req := kmsg.NewPtrCreateACLsRequest()
	req.Version = 2
	req.Creations = []kmsg.CreateACLsRequestCreation{creationOf(raw)}
	if r := a.HandleCreate(ctx, "demo", req).Results[0]; r.ErrorCode != 0 {
		t.Fatalf("HandleCreate(invalid UTF-8 name) = %+v; want success", resultOf(r.ErrorCode, r.ErrorMessage))
	}
	if got, want := describeAll(t, a, "demo"), []string{"ALLOW User:alice READ on TOPIC LITERAL \"ord\uFFFDers\" from host *"}; !slices.Equal(got, want) {
		t.Errorf("stored ACLs = %q; want %q", got, want)
	}
	describe := kmsg.NewPtrDescribeACLsRequest()
	describe.Version = 2
	describe.ResourceType, describe.ResourcePatternType, describe.ResourceName = kmsg.ACLResourceTypeTopic, kmsg.ACLResourcePatternTypeLiteral, ptr(raw.ResourceName)
	describe.Operation, describe.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	if resp := a.HandleDescribe(ctx, "demo", describe); len(resp.Resources) != 1 {
		t.Errorf("HandleDescribe(same raw name) found %d resources; want 1", len(resp.Resources))
	}
	del := kmsg.NewPtrDeleteACLsRequest()
	del.Version = 2
	f := MatchAll()
	f.ResourceName = ptr(raw.ResourceName)
	del.Filters = []kmsg.DeleteACLsRequestFilter{deleteFilterOf(f)}
	if resp := a.HandleDelete(ctx, "demo", del); len(resp.Results[0].MatchingACLs) != 1 {
		t.Errorf("HandleDelete(same raw name) deleted %d ACLs; want 1", len(resp.Results[0].MatchingACLs))
	}
}

// TestClusterOpAndErrorResponse checks the helpers for the caller's own
// permission check.
func TestClusterOpAndErrorResponse(t *testing.T) {
	for _, tt := range []struct {
		key  int16
		op   kmsg.ACLOperation
		isOK bool
	}{
		{29, kmsg.ACLOperationDescribe, true},
		{30, kmsg.ACLOperationAlter, true},
		{31, kmsg.ACLOperationAlter, true},
		{0, kmsg.ACLOperationUnknown, false},
	} {
		if op, ok := ClusterOp(tt.key); op != tt.op || ok != tt.isOK {
			t.Errorf("ClusterOp(%d) = %s, %v; want %s, %v", tt.key, op, ok, tt.op, tt.isOK)
		}
	}

	a := newAuthorizer(t, newStore(t))
	mustCreate(t, a, "demo", aclOf(t, "ALLOW User:ops DESCRIBE CLUSTER LITERAL kafka-cluster *"))
	if d := a.Authorize("demo", ClusterRequest("User:ops", "10.0.0.1", kmsg.ACLOperationDescribe)); !d.Allowed {
		t.Errorf("Authorize(ops DESCRIBE CLUSTER) = %+v; want allowed", d)
	}
	if d := a.Authorize("demo", ClusterRequest("User:ops", "10.0.0.1", kmsg.ACLOperationAlter)); d.Allowed {
		t.Errorf("Authorize(ops ALTER CLUSTER) = %+v; want denied", d)
	}

	want := result{kerr.ClusterAuthorizationFailed.Code, "denied"}
	create := kmsg.NewPtrCreateACLsRequest()
	create.Version = 2
	create.Creations = make([]kmsg.CreateACLsRequestCreation, 2)
	cr := ErrorResponse(create, kerr.ClusterAuthorizationFailed, "denied").(*kmsg.CreateACLsResponse)
	if cr.Version != 2 || len(cr.Results) != 2 || resultOf(cr.Results[1].ErrorCode, cr.Results[1].ErrorMessage) != want {
		t.Errorf("ErrorResponse(CreateAcls) = %+v; want v2 with 2 results %+v", cr, want)
	}
	describe := kmsg.NewPtrDescribeACLsRequest()
	describe.Version = 1
	dr := ErrorResponse(describe, kerr.ClusterAuthorizationFailed, "").(*kmsg.DescribeACLsResponse)
	if got := resultOf(dr.ErrorCode, dr.ErrorMessage); dr.Version != 1 || got != (result{kerr.ClusterAuthorizationFailed.Code, kerr.ClusterAuthorizationFailed.Description}) {
		t.Errorf("ErrorResponse(DescribeAcls) = v%d %+v; want v1 with the code's description", dr.Version, got)
	}
	del := kmsg.NewPtrDeleteACLsRequest()
	del.Version = 3
	del.Filters = make([]kmsg.DeleteACLsRequestFilter, 1)
	xr := ErrorResponse(del, kerr.ClusterAuthorizationFailed, "denied").(*kmsg.DeleteACLsResponse)
	if xr.Version != 3 || len(xr.Results) != 1 || resultOf(xr.Results[0].ErrorCode, xr.Results[0].ErrorMessage) != want {
		t.Errorf("ErrorResponse(DeleteAcls) = %+v; want v3 with 1 result %+v", xr, want)
	}
	if r := ErrorResponse(kmsg.NewPtrMetadataRequest(), kerr.ClusterAuthorizationFailed, ""); r != nil {
		t.Errorf("ErrorResponse(Metadata) = %v; want nil", r)
	}
}
