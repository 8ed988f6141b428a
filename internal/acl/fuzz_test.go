package acl

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzHandlers decodes arbitrary bytes as CreateAcls, DeleteAcls and
// DescribeAcls requests of every version and feeds them to the handlers.
// The handlers must not panic, must answer one result per creation or
// filter in the request's version, with a response that encodes; a
// successful creation must be stored, and a successful delete filter must
// leave nothing it matches.
//
// sel picks the API (sel/4 % 3: create, delete, describe) and the version
// (sel % 4).
func FuzzHandlers(f *testing.F) {
	seedCreate := kmsg.NewPtrCreateACLsRequest()
	for _, spec := range []string{
		"ALLOW User:alice READ TOPIC LITERAL orders *",
		"DENY User:bob WRITE TOPIC PREFIXED ord 10.0.0.1",
		"ALLOW User:* ALL CLUSTER LITERAL kafka-cluster *",
		"ALLOW alice ANY GROUP MATCH g *",
	} {
		seedCreate.Creations = append(seedCreate.Creations, creationOf(aclOf(f, spec)))
	}
	seedDelete := kmsg.NewPtrDeleteACLsRequest()
	match := MatchAll()
	match.PatternType, match.ResourceName = kmsg.ACLResourcePatternTypeMatch, ptr("orders")
	seedDelete.Filters = []kmsg.DeleteACLsRequestFilter{deleteFilterOf(match), deleteFilterOf(MatchAll())}
	seedDescribe := kmsg.NewPtrDescribeACLsRequest()
	seedDescribe.ResourceType, seedDescribe.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
	seedDescribe.Operation, seedDescribe.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
	for version := range int16(4) {
		for api, req := range []kmsg.Request{seedCreate, seedDelete, seedDescribe} {
			req.SetVersion(version)
			f.Add(byte(api<<2)|byte(version), req.AppendTo(nil))
		}
	}

	a := newAuthorizer(f, newStore(f))
	ctx := context.Background()
	// Inputs share a cluster, so that deletes and describes meet the ACLs
	// of earlier creates, until it holds maxACLs; then the next one starts.
	const maxACLs, maxCreations = 256, 64
	generation, cluster := 0, "fuzz-0"
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		if len(a.describe(cluster, MatchAll())) >= maxACLs {
			generation++
			cluster = fmt.Sprintf("fuzz-%d", generation)
		}
		version, api := int16(sel&3), int((sel>>2)%3)
		if !tagCountsFit(api, version, data) {
			return
		}
		switch api {
		case 0:
			req := kmsg.NewPtrCreateACLsRequest()
			req.Version = version
			if req.ReadFrom(data) != nil {
				return
			}
			// Each creation is a synchronous store write; bound the time
			// one input takes.
			req.Creations = req.Creations[:min(len(req.Creations), maxCreations)]
			resp := a.HandleCreate(ctx, cluster, req)
			if resp.Version != version || len(resp.Results) != len(req.Creations) {
				t.Fatalf("CreateAcls v%d with %d creations: response v%d with %d results", version, len(req.Creations), resp.Version, len(resp.Results))
			}
			responseOverWire(t, resp)
			for i, c := range req.Creations {
				a.Authorize(cluster, Request{Principal: c.Principal, Host: c.Host, Operation: c.Operation, ResourceType: c.ResourceType, ResourceName: c.ResourceName})
				if resp.Results[i].ErrorCode != 0 {
					continue
				}
				b := Binding{c.ResourceType, kafkaString(c.ResourceName), c.ResourcePatternType,
					kafkaString(c.Principal), kafkaString(c.Host), c.Operation, c.PermissionType}
				exact := Filter{b.ResourceType, &b.ResourceName, b.PatternType, &b.Principal, &b.Host, b.Operation, b.Permission}
				if got, err := a.Describe(cluster, exact); err != nil || len(got) != 1 {
					t.Fatalf("created %s, then Describe found %d (err %v); want 1", b, len(got), err)
				}
			}
		case 1:
			req := kmsg.NewPtrDeleteACLsRequest()
			req.Version = version
			if req.ReadFrom(data) != nil {
				return
			}
			resp := a.HandleDelete(ctx, cluster, req)
			if resp.Version != version || len(resp.Results) != len(req.Filters) {
				t.Fatalf("DeleteAcls v%d with %d filters: response v%d with %d results", version, len(req.Filters), resp.Version, len(resp.Results))
			}
			responseOverWire(t, resp)
			for i, r := range resp.Results {
				if r.ErrorCode != 0 {
					continue
				}
				df := req.Filters[i]
				filter := Filter{df.ResourceType, kafkaStringPtr(df.ResourceName), df.ResourcePatternType,
					kafkaStringPtr(df.Principal), kafkaStringPtr(df.Host), df.Operation, df.PermissionType}
				if version == 0 && filter.PatternType == kmsg.ACLResourcePatternTypeAny {
					filter.PatternType = kmsg.ACLResourcePatternTypeLiteral
				}
				if left := a.describe(cluster, filter); len(left) != 0 {
					t.Fatalf("DeleteAcls filter %s succeeded but %d matching ACLs are left", filter, len(left))
				}
			}
		case 2:
			req := kmsg.NewPtrDescribeACLsRequest()
			req.Version = version
			if req.ReadFrom(data) != nil {
				return
			}
			resp := a.HandleDescribe(ctx, cluster, req)
			if resp.Version != version {
				t.Fatalf("DescribeAcls v%d: response v%d", version, resp.Version)
			}
			responseOverWire(t, resp)
		}
	})
}

// tagCountsFit walks data as the ACL request api (0 create, 1 delete,
// 2 describe) at version and reports false if a tagged-field count exceeds
// the bytes left. kmsg (v1.15.0) counts such a tag loop down to zero even
// after running out of input, which takes seconds for counts near 2^32;
// the gateway, not these handlers, decodes requests, so the fuzz target
// leaves those inputs out. Any other malformation is left to kmsg.
func tagCountsFit(api int, version int16, data []byte) bool {
	if version < 2 { // tagged fields start at version 2
		return true
	}
	w := tagWalker{b: data}
	entry := func() { // the fields common to a creation and a filter
		w.skip(1) // resource type
		w.compactString()
		w.skip(1) // pattern type
		w.compactString()
		w.compactString()
		w.skip(2) // operation, permission
		w.tags()
	}
	switch api {
	case 0, 1:
		// A compact array length is read as int32(uvarint)-1, negative
		// meaning null.
		n := int32(uint32(w.uvarint())) - 1
		if int(n) > len(w.b) {
			return true // kmsg stops here
		}
		for range max(n, 0) {
			entry()
		}
	case 2:
		entry()
		return !w.overflow
	}
	w.tags()
	return !w.overflow
}

// tagWalker reads flexible-version fields; once it runs out of input it
// reads nothing more.
type tagWalker struct {
	b        []byte
	bad      bool // ran out or malformed: kmsg stops too
	overflow bool // a tag count exceeded the bytes left
}

func (w *tagWalker) done() bool { return w.bad || w.overflow }

func (w *tagWalker) uvarint() uint64 {
	if w.done() {
		return 0
	}
	v, n := binary.Uvarint(w.b)
	if n <= 0 || v > math.MaxUint32 {
		w.bad = true
		return 0
	}
	w.b = w.b[n:]
	return v
}

func (w *tagWalker) skip(n uint64) {
	if w.done() {
		return
	}
	if n > uint64(len(w.b)) {
		w.bad = true
		return
	}
	w.b = w.b[n:]
}

// compactString skips a compact (nullable) string: length+1, 0 for null.
func (w *tagWalker) compactString() {
	if n := w.uvarint(); n > 0 {
		w.skip(n - 1)
	}
}

func (w *tagWalker) tags() {
	n := w.uvarint()
	if w.done() {
		return
	}
	if n > uint64(len(w.b)) {
		w.overflow = true
		return
	}
	for range n {
		w.uvarint() // key
		w.skip(w.uvarint())
	}
}

// TestTagCountsFit checks the fuzz target's guard against tag counts that
// run past the input.
func TestTagCountsFit(t *testing.T) {
	tests := []struct {
		name    string
		api     int
		version int16
		data    string
		want    bool
	}{
		{"non_flexible_versions_have_no_tags", 0, 1, "\x00\x00\x00\x00", true},
		{"empty_create_without_tags", 0, 2, "\x01\x00", true},
		{"top_level_tag_count_past_the_end", 0, 3, "\x01\xff\xff\xff\xff\x0f", false},
		{"null_array_then_huge_tag_count", 0, 2, "\xac\xce\xa5\xcb\x0c\xdc\xd6\x80\x30", false},
		{"filter_tag_count_past_the_end", 1, 2, "\x02\x02\x00\x03\x00\x00\x08\x03\xff\xff\x03", false},
		{"describe_with_one_tag", 2, 2, "\x02\x00\x03\x00\x00\x08\x03\x01\x00\x01x", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tagCountsFit(tt.api, tt.version, []byte(tt.data)); got != tt.want {
				t.Errorf("tagCountsFit(%d, v%d, %q) = %v; want %v", tt.api, tt.version, tt.data, got, tt.want)
			}
		})
	}
}
