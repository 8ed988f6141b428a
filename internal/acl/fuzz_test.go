package acl

import (
	"context"
	"fmt"
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
