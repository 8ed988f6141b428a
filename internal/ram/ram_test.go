package ram_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
	"github.com/kafkalink/kafkalink/internal/ram"
	"github.com/kafkalink/kafkalink/internal/ram/ramtest"
)

const (
	acctA = "111111111111" // shares its rules
	acctB = "222222222222"
	acctC = "333333333333"
)

// fixture is RAM sharing the resolver rules of a Route 53 Resolver, over
// one store, with accounts a, b and c; a has rules one and two, b has
// rule bRule.
type fixture struct {
	w               *ramtest.World
	t               *testing.T
	r               *r53resolver.Service
	ram             *ram.Service
	clock           *ramtest.Clock
	a, b, c         iam.Caller
	one, two, bRule r53resolver.Rule
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	w := ramtest.New(t)
	f := &fixture{w: w, t: t, r: w.Resolver, ram: w.RAM, clock: w.Clock}
	f.a, f.b, f.c = w.Root(acctA), w.Root(acctB), w.Root(acctC)
	rule := func(c iam.Caller, domain string) r53resolver.Rule {
		r, err := f.r.CreateRule(ctx, c, r53resolver.CreateRuleInput{CreatorRequestID: domain, RuleType: "SYSTEM", DomainName: domain})
		if err != nil {
			t.Fatal(err)
		}
		return r.Rule
	}
	f.one, f.two, f.bRule = rule(f.a, "one.example"), rule(f.a, "two.example"), rule(f.b, "b.example")
	return f
}

// state is everything RAM keeps, with revisions.
func (f *fixture) state() map[string]string {
	f.t.Helper()
	return f.w.State(f.ram.Prefix())
}

func (f *fixture) unchanged(what string, before map[string]string) {
	f.t.Helper()
	f.w.Unchanged(what, before, f.ram.Prefix())
}

// invitation returns the caller's only invitation to a share.
func (f *fixture) invitation(caller iam.Caller, shareARN string) ram.InvitationView {
	f.t.Helper()
	invs, err := f.ram.Invitations(context.Background(), caller, nil, []string{shareARN})
	if err != nil || len(invs) == 0 {
		f.t.Fatalf("invitations to %s: got %v, %v; want one", shareARN, invs, err)
	}
	return invs[len(invs)-1]
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Errorf("%s: got error %v; want none", what, err)
		}
		return
	}
	var e *ram.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Errorf("%s: got error %v; want %s", what, err, code)
	}
}

func shared(t *testing.T, f *fixture) map[string][]string {
	t.Helper()
	m, err := f.ram.Shared(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var (
	shareARNRe      = regexp.MustCompile(`^arn:aws:ram:us-east-1:111111111111:resource-share/[0-9a-f-]{36}$`)
	invitationARNRe = regexp.MustCompile(`^arn:aws:ram:us-east-1:111111111111:resource-share-invitation/[0-9a-f-]{36}$`)
)

const readOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ram:Get*","ram:List*"],"Resource":"*"}]}`

func TestCreateShare(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sh, err := f.ram.CreateShare(ctx, f.a, ram.CreateShareInput{Name: "rules", ResourceARNs: []string{f.one.ARN, f.one.ARN},
		Principals: []string{acctB, acctC}, Tags: []ram.Tag{{Key: "team", Value: "dns"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !shareARNRe.MatchString(sh.ARN) || sh.Status != "ACTIVE" || !sh.AllowExternalPrincipals || sh.Owner != acctA || len(sh.Resources) != 1 ||
		sh.Resources[0].Type != "route53resolver:ResolverRule" || sh.Resources[0].Status != "ASSOCIATED" || len(sh.Principals) != 2 || len(sh.Invitations) != 2 {
		t.Errorf("got %+v; want an ACTIVE share of one rule with b and c invited", sh)
	}
	for _, p := range sh.Principals {
		if p.Status != "ASSOCIATING" {
			t.Errorf("principal %s: got %s; want ASSOCIATING until it accepts", p.Account, p.Status)
		}
	}
	for _, inv := range sh.Invitations {
		if !invitationARNRe.MatchString(inv.ARN) || inv.Status != "PENDING" {
			t.Errorf("got invitation %+v; want a PENDING invitation ARN", inv)
		}
	}
	if got := shared(t, f); !slices.Equal(got[f.one.ARN], []string{}) || len(got) != 1 {
		t.Errorf("Shared before anyone accepts: got %v; want %s with no account", got, f.one.ARN)
	}

	no := false
	many := make([]ram.Tag, 51)
	for i := range many {
		many[i] = ram.Tag{Key: fmt.Sprint("k", i)}
	}
	base := func(change func(*ram.CreateShareInput)) ram.CreateShareInput {
		in := ram.CreateShareInput{Name: "x", ResourceARNs: []string{f.two.ARN}, Principals: []string{acctB}}
		change(&in)
		return in
	}
	before := f.state()
	for _, c := range []struct {
		name   string
		caller iam.Caller
		in     ram.CreateShareInput
		code   string
	}{
		{"no name", f.a, base(func(in *ram.CreateShareInput) { in.Name = "" }), ram.CodeInvalidParameter},
		{"a long name", f.a, base(func(in *ram.CreateShareInput) { in.Name = strings.Repeat("n", 256) }), ram.CodeInvalidParameter},
		{"not an ARN", f.a, base(func(in *ram.CreateShareInput) { in.ResourceARNs = []string{"rule"} }), ram.CodeMalformedArn},
		{"an ARN of a type that cannot be shared", f.a, base(func(in *ram.CreateShareInput) { in.ResourceARNs = []string{"arn:aws:s3:::bucket"} }), ram.CodeMalformedArn},
		{"a resolver endpoint", f.a, base(func(in *ram.CreateShareInput) {
			in.ResourceARNs = []string{"arn:aws:route53resolver:us-east-1:111111111111:resolver-endpoint/rslvr-in-0123456789abcdef0"}
		}), ram.CodeMalformedArn},
		{"an unknown rule", f.a, base(func(in *ram.CreateShareInput) {
			in.ResourceARNs = []string{"arn:aws:route53resolver:us-east-1:111111111111:resolver-rule/rslvr-rr-0123456789abcdef0"}
		}), ram.CodeUnknownResource},
		{"another account's rule", f.a, base(func(in *ram.CreateShareInput) { in.ResourceARNs = []string{f.bRule.ARN} }), ram.CodeUnknownResource},
		{"a rule of another region", f.a, base(func(in *ram.CreateShareInput) {
			in.ResourceARNs = []string{strings.Replace(f.two.ARN, "us-east-1", "eu-west-1", 1)}
		}), ram.CodeUnknownResource},
		{"a principal that is no account", f.a, base(func(in *ram.CreateShareInput) { in.Principals = []string{"2222"} }), ram.CodeInvalidParameter},
		{"the owner as principal", f.a, base(func(in *ram.CreateShareInput) { in.Principals = []string{acctA} }), ram.CodeInvalidParameter},
		{"a role as principal", f.a, base(func(in *ram.CreateShareInput) { in.Principals = []string{"arn:aws:iam::222222222222:role/dns"} }), ram.CodeInvalidParameter},
		{"a malformed principal ARN", f.a, base(func(in *ram.CreateShareInput) { in.Principals = []string{"arn:aws:iam"} }), ram.CodeMalformedArn},
		{"no external principals", f.a, base(func(in *ram.CreateShareInput) { in.AllowExternal = &no }), ram.CodeNotPermitted},
		{"too many tags", f.a, base(func(in *ram.CreateShareInput) { in.Tags = many }), ram.CodeTagLimitExceeded},
		{"a tag without a key", f.a, base(func(in *ram.CreateShareInput) { in.Tags = []ram.Tag{{Value: "v"}} }), ram.CodeInvalidParameter},
		{"a user that may only read", f.w.User(acctA, "reader", readOnly), base(func(*ram.CreateShareInput) {}), ram.CodeAccessDenied},
	} {
		_, err := f.ram.CreateShare(ctx, c.caller, c.in)
		wantCode(t, c.name, err, c.code)
	}
	f.unchanged("refused CreateShare calls", before)

	// A share without principals, or with external principals refused.
	if sh, err := f.ram.CreateShare(ctx, f.a, ram.CreateShareInput{Name: "mine", ResourceARNs: []string{f.two.ARN}, AllowExternal: &no}); err != nil || sh.AllowExternalPrincipals {
		t.Errorf("a share without principals: got %+v, %v", sh, err)
	}
	// The client token makes a retry return the same share.
	in := ram.CreateShareInput{Name: "retried", ResourceARNs: []string{f.two.ARN}, ClientToken: "token-1"}
	first, err := f.ram.CreateShare(ctx, f.a, in)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := f.ram.CreateShare(ctx, f.a, in); err != nil || again.ARN != first.ARN {
		t.Errorf("a retry with the client token: got %s, %v; want %s", again.ARN, err, first.ARN)
	}
	in.Name = "other"
	_, err = f.ram.CreateShare(ctx, f.a, in)
	wantCode(t, "the client token with other parameters", err, ram.CodeIdempotencyMismatch)
}

func TestInvitations(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sh, err := f.ram.CreateShare(ctx, f.a, ram.CreateShareInput{Name: "rules", ResourceARNs: []string{f.one.ARN}, Principals: []string{acctB, acctC}})
	if err != nil {
		t.Fatal(err)
	}
	invB, invC := f.invitation(f.b, sh.ARN), f.invitation(f.c, sh.ARN)
	if invB.Receiver != acctB || invB.Sender != acctA || invB.ShareName != "rules" || invB.Status != "PENDING" {
		t.Errorf("b's invitation: got %+v", invB)
	}
	if got, err := f.ram.Invitations(ctx, f.a, nil, nil); err != nil || len(got) != 0 {
		t.Errorf("a's invitations: got %v, %v; want none (a sent them)", got, err)
	}
	if got, err := f.ram.GetShares(ctx, f.b, ram.SharesFilter{Owner: "OTHER-ACCOUNTS"}); err != nil || len(got) != 0 {
		t.Errorf("b's shares before accepting: got %v, %v; want none", got, err)
	}

	before := f.state()
	for _, c := range []struct {
		name   string
		caller iam.Caller
		arn    string
		code   string
	}{
		{"no ARN", f.b, "", ram.CodeMalformedArn},
		{"a malformed ARN", f.b, "invitation", ram.CodeMalformedArn},
		{"a share's ARN", f.b, sh.ARN, ram.CodeMalformedArn},
		{"someone else's invitation", f.c, invB.ARN, ram.CodeInvitationNotFound},
		{"the sender", f.a, invB.ARN, ram.CodeInvitationNotFound},
		{"an unknown invitation", f.b, strings.Replace(invB.ARN, invB.ARN[len(invB.ARN)-12:], "000000000000", 1), ram.CodeInvitationNotFound},
		{"a user that may only read", f.w.User(acctB, "reader", readOnly), invB.ARN, ram.CodeAccessDenied},
	} {
		_, err := f.ram.AcceptInvitation(ctx, c.caller, c.arn)
		wantCode(t, "AcceptInvitation: "+c.name, err, c.code)
	}
	_, err = f.ram.Invitations(ctx, f.b, []string{invC.ARN}, nil)
	wantCode(t, "Invitations naming c's", err, ram.CodeInvitationNotFound)
	f.unchanged("refused invitation answers", before)

	acc, err := f.ram.AcceptInvitation(ctx, f.b, invB.ARN)
	if err != nil || acc.Status != "ACCEPTED" {
		t.Fatalf("AcceptInvitation: got %+v, %v; want ACCEPTED", acc, err)
	}
	if got := shared(t, f)[f.one.ARN]; !slices.Equal(got, []string{acctB}) {
		t.Errorf("Shared once b accepted: got %v; want b", got)
	}
	_, err = f.ram.AcceptInvitation(ctx, f.b, invB.ARN)
	wantCode(t, "accepting twice", err, ram.CodeAlreadyAccepted)
	_, err = f.ram.RejectInvitation(ctx, f.b, invB.ARN)
	wantCode(t, "rejecting once accepted", err, ram.CodeAlreadyAccepted)
	got, err := f.ram.GetShares(ctx, f.b, ram.SharesFilter{Owner: "OTHER-ACCOUNTS"})
	if err != nil || len(got) != 1 || got[0].ARN != sh.ARN {
		t.Errorf("b's shares once accepted: got %v, %v; want %s", got, err, sh.ARN)
	}

	rej, err := f.ram.RejectInvitation(ctx, f.c, invC.ARN)
	if err != nil || rej.Status != "REJECTED" {
		t.Fatalf("RejectInvitation: got %+v, %v; want REJECTED", rej, err)
	}
	_, err = f.ram.AcceptInvitation(ctx, f.c, invC.ARN)
	wantCode(t, "accepting once rejected", err, ram.CodeAlreadyRejected)
	if got := shared(t, f)[f.one.ARN]; !slices.Equal(got, []string{acctB}) {
		t.Errorf("Shared once c rejected: got %v; want b alone", got)
	}
	assocs, err := f.ram.ShareAssociations(ctx, f.a, ram.Associations{Type: "PRINCIPAL"})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]string{}
	for _, a := range assocs {
		statuses[a.Entity] = a.Status
	}
	if want := map[string]string{acctB: "ASSOCIATED", acctC: "FAILED"}; !maps.Equal(statuses, want) {
		t.Errorf("principal associations: got %v; want %v", statuses, want)
	}
	// Inviting c again sends a new invitation.
	if _, err := f.ram.AssociateShare(ctx, f.a, sh.ARN, ram.Change{Principals: []string{acctC}}); err != nil {
		t.Fatal(err)
	}
	again := f.invitation(f.c, sh.ARN)
	if again.ARN == invC.ARN || again.Status != "PENDING" {
		t.Errorf("c's new invitation: got %+v; want a new PENDING one", again)
	}
	all, err := f.ram.Invitations(ctx, f.c, nil, nil)
	if err != nil || len(all) != 2 || all[0].Status != "REJECTED" {
		t.Errorf("c's invitations: got %v, %v; want the rejected one and the new one", all, err)
	}

	// An invitation not answered in 7 days expires.
	f.clock.Add(7*24*time.Hour + time.Minute)
	_, err = f.ram.AcceptInvitation(ctx, f.c, again.ARN)
	wantCode(t, "accepting an expired invitation", err, ram.CodeInvitationExpired)
	if inv := f.invitation(f.c, sh.ARN); inv.Status != "EXPIRED" {
		t.Errorf("got %s; want EXPIRED", inv.Status)
	}
}

func TestShareChanges(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sh, err := f.ram.CreateShare(ctx, f.a, ram.CreateShareInput{Name: "rules", ResourceARNs: []string{f.one.ARN}, Principals: []string{acctB},
		Tags: []ram.Tag{{Key: "env", Value: "prod"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ram.AcceptInvitation(ctx, f.b, f.invitation(f.b, sh.ARN).ARN); err != nil {
		t.Fatal(err)
	}
	views, err := f.ram.AssociateShare(ctx, f.a, sh.ARN, ram.Change{ResourceARNs: []string{f.two.ARN}, Principals: []string{acctC, acctB}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range views {
		got[v.Type+" "+v.Entity] = v.Status
	}
	if want := map[string]string{"RESOURCE " + f.two.ARN: "ASSOCIATED", "PRINCIPAL " + acctC: "ASSOCIATING", "PRINCIPAL " + acctB: "ASSOCIATED"}; !maps.Equal(got, want) {
		t.Errorf("AssociateShare: got %v; want %v", got, want)
	}
	if got := shared(t, f); !slices.Equal(got[f.two.ARN], []string{acctB}) || !slices.Equal(got[f.one.ARN], []string{acctB}) {
		t.Errorf("Shared: got %v; want both rules with b", got)
	}

	before := f.state()
	for _, c := range []struct {
		name   string
		caller iam.Caller
		arn    string
		change ram.Change
		code   string
	}{
		{"no share", f.a, "", ram.Change{Principals: []string{acctC}}, ram.CodeInvalidParameter},
		{"a malformed share", f.a, "share", ram.Change{Principals: []string{acctC}}, ram.CodeMalformedArn},
		{"nothing to add", f.a, sh.ARN, ram.Change{}, ram.CodeInvalidParameter},
		{"another account's share", f.b, sh.ARN, ram.Change{ResourceARNs: []string{f.bRule.ARN}}, ram.CodeUnknownResource},
		{"another account's rule", f.a, sh.ARN, ram.Change{ResourceARNs: []string{f.bRule.ARN}}, ram.CodeUnknownResource},
		{"a bad principal", f.a, sh.ARN, ram.Change{Principals: []string{"x"}}, ram.CodeInvalidParameter},
		{"a user that may only read", f.w.User(acctA, "reader", readOnly), sh.ARN, ram.Change{Principals: []string{acctC}}, ram.CodeAccessDenied},
	} {
		_, err := f.ram.AssociateShare(ctx, c.caller, c.arn, c.change)
		wantCode(t, "AssociateShare: "+c.name, err, c.code)
	}
	_, err = f.ram.DisassociateShare(ctx, f.a, sh.ARN, ram.Change{Principals: []string{"444444444444"}})
	wantCode(t, "DisassociateShare of a principal not in the share", err, ram.CodeUnknownResource)
	f.unchanged("refused share changes", before)

	for _, c := range []struct {
		caller iam.Caller
		filter ram.SharesFilter
		want   int
		code   string
	}{
		{f.a, ram.SharesFilter{Owner: "SELF"}, 1, ""},
		{f.a, ram.SharesFilter{Owner: "SELF", Name: "rules", Status: "ACTIVE", ARNs: []string{sh.ARN}}, 1, ""},
		{f.a, ram.SharesFilter{Owner: "SELF", TagFilters: []ram.TagFilter{{Key: "env", Values: []string{"prod"}}}}, 1, ""},
		{f.a, ram.SharesFilter{Owner: "SELF", TagFilters: []ram.TagFilter{{Key: "env", Values: []string{"dev"}}}}, 0, ""},
		{f.a, ram.SharesFilter{Owner: "SELF", Status: "DELETED"}, 0, ""},
		{f.a, ram.SharesFilter{Owner: "OTHER-ACCOUNTS"}, 0, ""},
		{f.b, ram.SharesFilter{Owner: "OTHER-ACCOUNTS"}, 1, ""},
		{f.c, ram.SharesFilter{Owner: "OTHER-ACCOUNTS"}, 0, ""},
		{f.a, ram.SharesFilter{}, 0, ram.CodeInvalidParameter},
		{f.a, ram.SharesFilter{Owner: "ME"}, 0, ram.CodeInvalidParameter},
		{f.a, ram.SharesFilter{Owner: "SELF", Status: "GONE"}, 0, ram.CodeInvalidParameter},
		{f.a, ram.SharesFilter{Owner: "SELF", ARNs: []string{"x"}}, 0, ram.CodeMalformedArn},
	} {
		got, err := f.ram.GetShares(ctx, c.caller, c.filter)
		wantCode(t, fmt.Sprintf("GetShares %+v", c.filter), err, c.code)
		if len(got) != c.want {
			t.Errorf("GetShares %+v: got %d shares; want %d", c.filter, len(got), c.want)
		}
	}
	for _, c := range []struct {
		caller iam.Caller
		filter ram.ResourcesFilter
		want   []string
		code   string
	}{
		{f.a, ram.ResourcesFilter{Owner: "SELF"}, []string{f.one.ARN, f.two.ARN}, ""},
		{f.a, ram.ResourcesFilter{Owner: "SELF", Principal: acctC}, []string{f.one.ARN, f.two.ARN}, ""},
		{f.a, ram.ResourcesFilter{Owner: "SELF", Principal: "444444444444"}, nil, ""},
		{f.a, ram.ResourcesFilter{Owner: "SELF", ResourceARNs: []string{f.two.ARN}, ResourceType: "route53resolver:ResolverRule"}, []string{f.two.ARN}, ""},
		{f.b, ram.ResourcesFilter{Owner: "OTHER-ACCOUNTS"}, []string{f.one.ARN, f.two.ARN}, ""},
		{f.b, ram.ResourcesFilter{Owner: "SELF"}, nil, ""},
		{f.c, ram.ResourcesFilter{Owner: "OTHER-ACCOUNTS"}, nil, ""},
		{f.a, ram.ResourcesFilter{Owner: "SELF", ResourceType: "ec2:Subnet"}, nil, ram.CodeInvalidResourceType},
		{f.a, ram.ResourcesFilter{}, nil, ram.CodeInvalidParameter},
	} {
		got, err := f.ram.ListResources(ctx, c.caller, c.filter)
		wantCode(t, fmt.Sprintf("ListResources %+v", c.filter), err, c.code)
		var arns []string
		for _, r := range got {
			arns = append(arns, r.ARN)
			if r.Status != "AVAILABLE" || r.ShareARN != sh.ARN || r.Type != "route53resolver:ResolverRule" {
				t.Errorf("ListResources: got %+v; want AVAILABLE in %s", r, sh.ARN)
			}
		}
		if !slices.Equal(arns, c.want) {
			t.Errorf("ListResources %+v: got %v; want %v", c.filter, arns, c.want)
		}
	}
	for _, c := range []struct {
		filter ram.Associations
		want   int
		code   string
	}{
		{ram.Associations{Type: "RESOURCE"}, 2, ""},
		{ram.Associations{Type: "RESOURCE", ResourceARN: f.one.ARN}, 1, ""},
		{ram.Associations{Type: "PRINCIPAL", Status: "ASSOCIATING"}, 1, ""},
		{ram.Associations{Type: "PRINCIPAL", Principal: acctB, ShareARNs: []string{sh.ARN}}, 1, ""},
		{ram.Associations{Type: "SOURCE"}, 0, ""},
		{ram.Associations{}, 0, ram.CodeInvalidParameter},
		{ram.Associations{Type: "BOTH"}, 0, ram.CodeInvalidParameter},
		{ram.Associations{Type: "PRINCIPAL", ResourceARN: f.one.ARN}, 0, ram.CodeInvalidParameter},
		{ram.Associations{Type: "RESOURCE", Principal: acctB}, 0, ram.CodeInvalidParameter},
		{ram.Associations{Type: "RESOURCE", Status: "LOST"}, 0, ram.CodeInvalidParameter},
	} {
		got, err := f.ram.ShareAssociations(ctx, f.a, c.filter)
		wantCode(t, fmt.Sprintf("ShareAssociations %+v", c.filter), err, c.code)
		if len(got) != c.want {
			t.Errorf("ShareAssociations %+v: got %d; want %d", c.filter, len(got), c.want)
		}
	}

	// Taking b out: b loses both rules; c's invitation stays.
	if _, err := f.ram.DisassociateShare(ctx, f.a, sh.ARN, ram.Change{Principals: []string{acctB}}); err != nil {
		t.Fatal(err)
	}
	if got := shared(t, f); len(got[f.one.ARN]) != 0 || len(got[f.two.ARN]) != 0 {
		t.Errorf("Shared once b is out: got %v; want no account", got)
	}
	if _, err := f.ram.DisassociateShare(ctx, f.a, sh.ARN, ram.Change{Principals: []string{acctC}}); err != nil {
		t.Fatal(err)
	}
	_, err = f.ram.AcceptInvitation(ctx, f.c, f.invitation(f.c, sh.ARN).ARN)
	wantCode(t, "accepting an invitation to a share c was taken out of", err, ram.CodeInvitationExpired)

	// Deleting.
	err = f.ram.DeleteShare(ctx, f.b, sh.ARN)
	wantCode(t, "DeleteShare by b", err, ram.CodeUnknownResource)
	if err := f.ram.DeleteShare(ctx, f.a, sh.ARN); err != nil {
		t.Fatal(err)
	}
	if got := shared(t, f); len(got) != 0 {
		t.Errorf("Shared once deleted: got %v; want nothing", got)
	}
	deleted, err := f.ram.GetShares(ctx, f.a, ram.SharesFilter{Owner: "SELF", Status: "DELETED"})
	if err != nil || len(deleted) != 1 {
		t.Errorf("GetShares DELETED: got %v, %v; want the share", deleted, err)
	}
	before = f.state()
	err = f.ram.DeleteShare(ctx, f.a, sh.ARN)
	wantCode(t, "DeleteShare twice", err, ram.CodeNotPermitted)
	_, err = f.ram.AssociateShare(ctx, f.a, sh.ARN, ram.Change{Principals: []string{acctB}})
	wantCode(t, "AssociateShare of a deleted share", err, ram.CodeNotPermitted)
	f.unchanged("refused changes of a deleted share", before)
}

// TestConcurrentAnswers answers invitations to one share at once: every
// answer lands.
func TestConcurrentAnswers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	var principals []string
	var callers []iam.Caller
	for i := range 6 {
		acct := fmt.Sprintf("4444444444%02d", i)
		principals = append(principals, acct)
		callers = append(callers, f.w.Root(acct))
	}
	sh, err := f.ram.CreateShare(ctx, f.a, ram.CreateShareInput{Name: "rules", ResourceARNs: []string{f.one.ARN}, Principals: principals})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(callers))
	for i, c := range callers {
		inv := f.invitation(c, sh.ARN)
		wg.Go(func() { _, errs[i] = f.ram.AcceptInvitation(ctx, c, inv.ARN) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("accept by %s: %v", principals[i], err)
		}
	}
	if got := shared(t, f)[f.one.ARN]; !slices.Equal(got, principals) {
		t.Errorf("Shared: got %v; want %v", got, principals)
	}
}

func TestListResourcesOfDeletedRule(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sh, err := f.ram.CreateShare(ctx, f.a, ram.CreateShareInput{Name: "rules", ResourceARNs: []string{f.one.ARN}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.DeleteRule(ctx, f.a, f.one.ID); err != nil {
		t.Fatal(err)
	}
	got, err := f.ram.ListResources(ctx, f.a, ram.ResourcesFilter{Owner: "SELF", ShareARNs: []string{sh.ARN}})
	if err != nil || len(got) != 1 || got[0].Status != "UNAVAILABLE" {
		t.Errorf("ListResources after the rule is deleted: got %+v, %v; want it UNAVAILABLE", got, err)
	}
}
