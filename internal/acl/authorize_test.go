package acl

import (
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestAuthorize checks the decision rules of Kafka's StandardAuthorizer.
// Each case runs in a cluster of its own, holding only the case's ACLs.
func TestAuthorize(t *testing.T) {
	const (
		denyAll  = reasonNoACLDeny
		allowAll = reasonNoACLAllow
		noEntry  = reasonNoMatchingEntry
		super    = reasonSuperUser
	)
	tests := []struct {
		name         string
		acls         []string
		allowIfNoACL bool
		superUsers   []string
		req          string
		allowed      bool
		decidedBy    string // the ACL that decides, in aclOf notation
		reason       string // else the reason no ACL decided
	}{
		// DENY wins over ALLOW.
		{
			name:      "deny_wins_over_allow_on_same_literal_resource",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:alice READ TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			decidedBy: "DENY User:alice READ TOPIC LITERAL orders *",
		},
		{
			name:      "deny_on_prefixed_resource_wins_over_literal_allow",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:alice READ TOPIC PREFIXED ord *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			decidedBy: "DENY User:alice READ TOPIC PREFIXED ord *",
		},
		{
			name:      "deny_on_wildcard_resource_wins_over_literal_allow",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:alice READ TOPIC LITERAL * *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			decidedBy: "DENY User:alice READ TOPIC LITERAL * *",
		},
		{
			name:      "deny_for_wildcard_principal_wins_over_allow_for_the_principal",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:* READ TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			decidedBy: "DENY User:* READ TOPIC LITERAL orders *",
		},
		{
			name:      "deny_all_operations_wins_over_allow_read",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:alice ALL TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			decidedBy: "DENY User:alice ALL TOPIC LITERAL orders *",
		},
		{
			name:      "deny_from_a_host_wins_for_that_host",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:alice READ TOPIC LITERAL orders 10.0.0.9"},
			req:       "User:alice 10.0.0.9 READ TOPIC orders",
			decidedBy: "DENY User:alice READ TOPIC LITERAL orders 10.0.0.9",
		},
		{
			name:      "deny_from_another_host_does_not_apply",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:alice READ TOPIC LITERAL orders 10.0.0.9"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL orders *",
		},
		{
			name:      "deny_for_another_principal_does_not_apply",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:bob READ TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL orders *",
		},
		{
			name:      "deny_for_another_operation_does_not_apply",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:alice WRITE TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL orders *",
		},
		{
			name:      "deny_on_another_resource_type_does_not_apply",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:alice READ GROUP LITERAL orders *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL orders *",
		},

		// Principals.
		{
			name:      "allow_for_wildcard_principal_matches_every_user",
			acls:      []string{"ALLOW User:* READ TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:* READ TOPIC LITERAL orders *",
		},
		{
			name:      "wildcard_principal_User_star_matches_other_principal_types",
			acls:      []string{"ALLOW User:* READ TOPIC LITERAL orders *"},
			req:       "Group:ops 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:* READ TOPIC LITERAL orders *",
		},
		{
			name:   "principal_match_is_case_sensitive",
			acls:   []string{"ALLOW User:Alice READ TOPIC LITERAL orders *"},
			req:    "User:alice 10.0.0.1 READ TOPIC orders",
			reason: noEntry,
		},
		{
			name:   "principal_type_must_match",
			acls:   []string{"ALLOW User:alice READ TOPIC LITERAL orders *"},
			req:    "Group:alice 10.0.0.1 READ TOPIC orders",
			reason: noEntry,
		},
		{
			name:      "mtls_distinguished_name_principal_matches_exactly",
			acls:      []string{"ALLOW User:CN=alice,O=Example READ TOPIC LITERAL orders *"},
			req:       "User:CN=alice,O=Example 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:CN=alice,O=Example READ TOPIC LITERAL orders *",
		},

		// Hosts.
		{
			name:      "wildcard_host_matches_every_host",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *"},
			req:       "User:alice 192.168.7.7 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL orders *",
		},
		{
			name:      "host_acl_matches_its_host",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders 10.0.0.1"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL orders 10.0.0.1",
		},
		{
			name:   "host_acl_does_not_match_another_host",
			acls:   []string{"ALLOW User:alice READ TOPIC LITERAL orders 10.0.0.1"},
			req:    "User:alice 10.0.0.2 READ TOPIC orders",
			reason: noEntry,
		},
		{
			name:      "ipv6_host_acl_matches_the_same_address_in_another_form",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders 0:0:0:0:0:0:0:1"},
			req:       "User:alice ::1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL orders 0:0:0:0:0:0:0:1",
		},

		// Resource patterns.
		{
			name:      "literal_wildcard_resource_matches_every_name",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL * *"},
			req:       "User:alice 10.0.0.1 READ TOPIC anything-at-all",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL * *",
		},
		{
			name:   "literal_wildcard_resource_is_per_resource_type",
			acls:   []string{"ALLOW User:alice READ TOPIC LITERAL * *"},
			req:    "User:alice 10.0.0.1 READ GROUP orders",
			reason: denyAll,
		},
		{
			name:   "literal_name_is_not_a_prefix",
			acls:   []string{"ALLOW User:alice READ TOPIC LITERAL orders *"},
			req:    "User:alice 10.0.0.1 READ TOPIC orders-eu",
			reason: denyAll,
		},
		{
			name:   "literal_name_match_is_case_sensitive",
			acls:   []string{"ALLOW User:alice READ TOPIC LITERAL orders *"},
			req:    "User:alice 10.0.0.1 READ TOPIC Orders",
			reason: denyAll,
		},
		{
			name:      "prefixed_matches_names_that_start_with_it",
			acls:      []string{"ALLOW User:alice READ TOPIC PREFIXED ord *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC PREFIXED ord *",
		},
		{
			name:      "prefixed_matches_the_name_equal_to_the_prefix",
			acls:      []string{"ALLOW User:alice READ TOPIC PREFIXED orders *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC PREFIXED orders *",
		},
		{
			name:   "prefixed_does_not_match_a_shorter_name",
			acls:   []string{"ALLOW User:alice READ TOPIC PREFIXED orders *"},
			req:    "User:alice 10.0.0.1 READ TOPIC ord",
			reason: denyAll,
		},
		{
			name:   "prefixed_star_is_not_a_wildcard",
			acls:   []string{"ALLOW User:alice READ TOPIC PREFIXED * *"},
			req:    "User:alice 10.0.0.1 READ TOPIC orders",
			reason: denyAll,
		},
		{
			name:      "deny_on_shorter_prefix_wins_over_allow_on_longer_prefix",
			acls:      []string{"ALLOW User:alice READ TOPIC PREFIXED orders-eu *", "DENY User:alice READ TOPIC PREFIXED orders *"},
			req:       "User:alice 10.0.0.1 READ TOPIC orders-eu-1",
			decidedBy: "DENY User:alice READ TOPIC PREFIXED orders *",
		},
		{
			name: "prefixes_on_sibling_branches_do_not_match",
			acls: []string{
				"ALLOW User:alice READ TOPIC PREFIXED ab *",
				"DENY User:alice READ TOPIC PREFIXED abc *",
				"DENY User:alice READ TOPIC PREFIXED ac *",
				"DENY User:alice READ TOPIC PREFIXED abd- *",
			},
			req:       "User:alice 10.0.0.1 READ TOPIC abd",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC PREFIXED ab *",
		},

		// Operations.
		{
			name:      "allow_all_matches_every_operation",
			acls:      []string{"ALLOW User:alice ALL CLUSTER LITERAL kafka-cluster *"},
			req:       "User:alice 10.0.0.1 IDEMPOTENT_WRITE CLUSTER kafka-cluster",
			allowed:   true,
			decidedBy: "ALLOW User:alice ALL CLUSTER LITERAL kafka-cluster *",
		},
		{
			name:   "allow_read_does_not_imply_write",
			acls:   []string{"ALLOW User:alice READ TOPIC LITERAL orders *"},
			req:    "User:alice 10.0.0.1 WRITE TOPIC orders",
			reason: noEntry,
		},
		{
			name:      "allow_read_implies_describe",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 DESCRIBE TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL orders *",
		},
		{
			name:      "allow_write_implies_describe",
			acls:      []string{"ALLOW User:alice WRITE TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 DESCRIBE TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice WRITE TOPIC LITERAL orders *",
		},
		{
			name:      "allow_delete_implies_describe",
			acls:      []string{"ALLOW User:alice DELETE TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 DESCRIBE TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice DELETE TOPIC LITERAL orders *",
		},
		{
			name:      "allow_alter_implies_describe",
			acls:      []string{"ALLOW User:alice ALTER TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 DESCRIBE TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice ALTER TOPIC LITERAL orders *",
		},
		{
			name:   "allow_create_does_not_imply_describe",
			acls:   []string{"ALLOW User:alice CREATE TOPIC LITERAL orders *"},
			req:    "User:alice 10.0.0.1 DESCRIBE TOPIC orders",
			reason: noEntry,
		},
		{
			name:   "allow_describe_does_not_imply_read",
			acls:   []string{"ALLOW User:alice DESCRIBE TOPIC LITERAL orders *"},
			req:    "User:alice 10.0.0.1 READ TOPIC orders",
			reason: noEntry,
		},
		{
			name:      "allow_alter_configs_implies_describe_configs",
			acls:      []string{"ALLOW User:alice ALTER_CONFIGS TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 DESCRIBE_CONFIGS TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice ALTER_CONFIGS TOPIC LITERAL orders *",
		},
		{
			name:   "allow_alter_does_not_imply_describe_configs",
			acls:   []string{"ALLOW User:alice ALTER TOPIC LITERAL orders *"},
			req:    "User:alice 10.0.0.1 DESCRIBE_CONFIGS TOPIC orders",
			reason: noEntry,
		},
		{
			name:      "deny_read_does_not_deny_describe",
			acls:      []string{"ALLOW User:alice DESCRIBE TOPIC LITERAL orders *", "DENY User:alice READ TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 DESCRIBE TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice DESCRIBE TOPIC LITERAL orders *",
		},
		{
			name:      "denied_read_still_implies_describe_through_its_allow",
			acls:      []string{"ALLOW User:alice READ TOPIC LITERAL orders *", "DENY User:alice READ TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 DESCRIBE TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice READ TOPIC LITERAL orders *",
		},
		{
			name:      "deny_alter_configs_does_not_deny_describe_configs",
			acls:      []string{"ALLOW User:alice ALTER_CONFIGS TOPIC LITERAL orders *", "DENY User:alice ALTER_CONFIGS TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 DESCRIBE_CONFIGS TOPIC orders",
			allowed:   true,
			decidedBy: "ALLOW User:alice ALTER_CONFIGS TOPIC LITERAL orders *",
		},
		{
			name:      "deny_all_denies_describe",
			acls:      []string{"ALLOW User:alice DESCRIBE TOPIC LITERAL orders *", "DENY User:alice ALL TOPIC LITERAL orders *"},
			req:       "User:alice 10.0.0.1 DESCRIBE TOPIC orders",
			decidedBy: "DENY User:alice ALL TOPIC LITERAL orders *",
		},
		{
			name:      "cluster_alter_is_granted_on_the_kafka_cluster_resource",
			acls:      []string{"ALLOW User:alice ALTER CLUSTER LITERAL kafka-cluster *"},
			req:       "User:alice 10.0.0.1 ALTER CLUSTER kafka-cluster",
			allowed:   true,
			decidedBy: "ALLOW User:alice ALTER CLUSTER LITERAL kafka-cluster *",
		},

		// allow.everyone.if.no.acl.found.
		{
			name:   "no_acl_at_all_denies_by_default",
			req:    "User:alice 10.0.0.1 READ TOPIC orders",
			reason: denyAll,
		},
		{
			name:         "no_acl_at_all_allows_with_allow_everyone",
			allowIfNoACL: true,
			req:          "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:      true,
			reason:       allowAll,
		},
		{
			name:         "allow_everyone_applies_when_acls_exist_only_on_other_resources",
			acls:         []string{"ALLOW User:bob READ TOPIC LITERAL payments *"},
			allowIfNoACL: true,
			req:          "User:alice 10.0.0.1 READ TOPIC orders",
			allowed:      true,
			reason:       allowAll,
		},
		{
			name:         "allow_everyone_does_not_apply_when_a_literal_acl_matches_the_resource",
			acls:         []string{"ALLOW User:bob READ TOPIC LITERAL orders *"},
			allowIfNoACL: true,
			req:          "User:alice 10.0.0.1 READ TOPIC orders",
			reason:       noEntry,
		},
		{
			name:         "allow_everyone_does_not_apply_when_a_prefixed_acl_matches_the_resource",
			acls:         []string{"ALLOW User:bob READ TOPIC PREFIXED ord *"},
			allowIfNoACL: true,
			req:          "User:alice 10.0.0.1 READ TOPIC orders",
			reason:       noEntry,
		},
		{
			name:         "allow_everyone_does_not_apply_when_a_wildcard_acl_matches_the_resource",
			acls:         []string{"ALLOW User:bob READ TOPIC LITERAL * *"},
			allowIfNoACL: true,
			req:          "User:alice 10.0.0.1 READ TOPIC orders",
			reason:       noEntry,
		},
		{
			name:         "allow_everyone_does_not_apply_when_acls_for_other_operations_exist",
			acls:         []string{"ALLOW User:alice WRITE TOPIC LITERAL orders *"},
			allowIfNoACL: true,
			req:          "User:alice 10.0.0.1 READ TOPIC orders",
			reason:       noEntry,
		},
		{
			name:         "allow_everyone_does_not_override_a_deny",
			acls:         []string{"DENY User:alice READ TOPIC LITERAL orders *"},
			allowIfNoACL: true,
			req:          "User:alice 10.0.0.1 READ TOPIC orders",
			decidedBy:    "DENY User:alice READ TOPIC LITERAL orders *",
		},
		{
			name:   "acls_on_the_resource_for_other_principals_deny_without_allow_everyone",
			acls:   []string{"ALLOW User:bob READ TOPIC LITERAL orders *"},
			req:    "User:alice 10.0.0.1 READ TOPIC orders",
			reason: noEntry,
		},

		// super.users.
		{
			name:       "super_user_is_allowed_without_acls",
			superUsers: []string{"User:admin"},
			req:        "User:admin 10.0.0.1 ALTER CLUSTER kafka-cluster",
			allowed:    true,
			reason:     super,
		},
		{
			name:       "super_user_is_allowed_despite_a_deny",
			acls:       []string{"DENY User:admin ALL TOPIC LITERAL * *"},
			superUsers: []string{"User:ops", " User:admin "},
			req:        "User:admin 10.0.0.1 READ TOPIC orders",
			allowed:    true,
			reason:     super,
		},
		{
			name:       "super_user_match_is_exact",
			superUsers: []string{"User:admin"},
			req:        "User:Admin 10.0.0.1 READ TOPIC orders",
			reason:     denyAll,
		},
		{
			name:       "super_user_wildcard_is_not_a_wildcard",
			superUsers: []string{"User:*"},
			req:        "User:alice 10.0.0.1 READ TOPIC orders",
			reason:     denyAll,
		},
	}
	st := newStore(t)
	a := newAuthorizer(t, st)
	for i, tt := range tests {
		cluster := fmt.Sprintf("c%d", i)
		if len(tt.acls) > 0 {
			mustCreate(t, a, cluster, aclsOf(t, tt.acls...)...)
		}
		a.SetAllowEveryoneIfNoACL(cluster, tt.allowIfNoACL)
		a.SetSuperUsers(cluster, tt.superUsers)
		t.Run(tt.name, func(t *testing.T) {
			req := requestOf(t, tt.req)
			got := a.Authorize(cluster, req)
			if got.Allowed != tt.allowed {
				t.Errorf("Authorize(%s).Allowed = %v (%s); want %v", tt.req, got.Allowed, got.Reason, tt.allowed)
			}
			if tt.decidedBy != "" {
				want := aclOf(t, tt.decidedBy)
				if got.Binding == nil || *got.Binding != want {
					t.Errorf("Authorize(%s) decided by %v; want %s", tt.req, got.Binding, want)
				}
				if got.Reason != want.String() {
					t.Errorf("Authorize(%s).Reason = %q; want %q", tt.req, got.Reason, want.String())
				}
				return
			}
			if got.Binding != nil {
				t.Errorf("Authorize(%s) decided by %s; want no ACL", tt.req, got.Binding)
			}
			if got.Reason != tt.reason {
				t.Errorf("Authorize(%s).Reason = %q; want %q", tt.req, got.Reason, tt.reason)
			}
		})
	}
}

// TestDecisionReasonNamesTheACL checks the form of a decision's reason.
func TestDecisionReasonNamesTheACL(t *testing.T) {
	a := newAuthorizer(t, newStore(t))
	mustCreate(t, a, "demo", aclOf(t, "DENY User:bob READ TOPIC LITERAL orders *"))
	got := a.Authorize("demo", requestOf(t, "User:bob 10.0.0.1 READ TOPIC orders"))
	if want := `DENY User:bob READ on TOPIC LITERAL "orders" from host *`; got.Reason != want {
		t.Errorf("Reason = %q; want %q", got.Reason, want)
	}
	got = a.Authorize("other", requestOf(t, "User:bob 10.0.0.1 READ TOPIC orders"))
	if want := "no ACL matched; allow.everyone.if.no.acl.found=false"; got.Reason != want || got.Allowed {
		t.Errorf("Authorize on a cluster without ACLs = %+v; want denied with reason %q", got, want)
	}
}

// TestSettingsArePerCluster checks that super.users and
// allow.everyone.if.no.acl.found of one cluster do not apply to another.
func TestSettingsArePerCluster(t *testing.T) {
	a := newAuthorizer(t, newStore(t))
	a.SetSuperUsers("east", []string{"User:admin", "malformed", ""})
	a.SetAllowEveryoneIfNoACL("east", true)
	req := requestOf(t, "User:admin 10.0.0.1 READ TOPIC orders")
	if got := a.Authorize("east", req); !got.Allowed || got.Reason != reasonSuperUser {
		t.Errorf("east: Authorize(super user) = %+v; want allowed as super user", got)
	}
	if got := a.Authorize("west", req); got.Allowed {
		t.Errorf("west: Authorize(east's super user) = %+v; want denied", got)
	}
	a.SetSuperUsers("east", nil)
	if got := a.Authorize("east", req); !got.Allowed || got.Reason != reasonNoACLAllow {
		t.Errorf("east after clearing super users: Authorize = %+v; want allowed by allow.everyone.if.no.acl.found", got)
	}
	a.SetAllowEveryoneIfNoACL("east", false)
	if got := a.Authorize("east", req); got.Allowed {
		t.Errorf("east after allow.everyone.if.no.acl.found=false: Authorize = %+v; want denied", got)
	}
}

// TestAuthorizeDoesNotAllocate checks that the hot path allocates nothing.
func TestAuthorizeDoesNotAllocate(t *testing.T) {
	a := newAuthorizer(t, newStore(t))
	a.SetSuperUsers("demo", []string{"User:admin"})
	mustCreate(t, a, "demo", aclsOf(t,
		"ALLOW User:alice READ TOPIC PREFIXED ord *",
		"DENY User:bob READ TOPIC LITERAL orders 10.0.0.9",
		"ALLOW User:* DESCRIBE TOPIC LITERAL * *",
	)...)
	reqs := []Request{
		requestOf(t, "User:alice 10.0.0.1 READ TOPIC orders"),
		requestOf(t, "User:bob 10.0.0.9 READ TOPIC orders"),
		requestOf(t, "User:bob ::1 READ TOPIC orders"),
		requestOf(t, "User:carol 10.0.0.1 DESCRIBE TOPIC x"),
		requestOf(t, "User:admin 10.0.0.1 DESCRIBE TOPIC x"),
		requestOf(t, "User:carol 10.0.0.1 READ GROUP g"),
	}
	for _, req := range reqs {
		if n := testing.AllocsPerRun(100, func() { a.Authorize("demo", req) }); n != 0 {
			t.Errorf("Authorize(%+v) allocates %v times per call; want 0", req, n)
		}
	}
}

// TestOperationMatches checks Kafka's implication table for every pair of
// operations.
func TestOperationMatches(t *testing.T) {
	implies := map[[2]kmsg.ACLOperation]bool{
		{kmsg.ACLOperationRead, kmsg.ACLOperationDescribe}:                true,
		{kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe}:               true,
		{kmsg.ACLOperationDelete, kmsg.ACLOperationDescribe}:              true,
		{kmsg.ACLOperationAlter, kmsg.ACLOperationDescribe}:               true,
		{kmsg.ACLOperationAlterConfigs, kmsg.ACLOperationDescribeConfigs}: true,
	}
	for acl := kmsg.ACLOperationAll; acl <= kmsg.ACLOperationDescribeTokens; acl++ {
		for op := kmsg.ACLOperationRead; op <= kmsg.ACLOperationDescribeTokens; op++ {
			base := acl == kmsg.ACLOperationAll || acl == op
			if got, want := operationMatches(acl, op, true), base || implies[[2]kmsg.ACLOperation{acl, op}]; got != want {
				t.Errorf("ALLOW %s applies to %s = %v; want %v", acl, op, got, want)
			}
			if got := operationMatches(acl, op, false); got != base {
				t.Errorf("DENY %s applies to %s = %v; want %v", acl, op, got, base)
			}
		}
	}
}
