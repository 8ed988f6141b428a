package route53_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/route53"
	"github.com/kafkalink/kafkalink/internal/store"
)

const (
	acctA = "111111111111" // owns the zones
	acctB = "222222222222" // owns a VPC it associates
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// world is Route 53 over a fresh store, with IAM, EC2 (us-east-1),
// accounts a and b (their roots as callers) and their VPCs.
type world struct {
	st           store.Store
	iam          *iam.Service
	ec2          *ec2.Service
	r53          *route53.Service
	a, b         iam.Caller
	vpcA1, vpcA2 route53.VPC // account a's
	vpcB         route53.VPC // account b's
	zones        int         // created by zone, for unique caller references
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenBolt(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w := &world{st: st}
	if w.iam, err = iam.NewInDir(st, dir); err != nil {
		t.Fatal(err)
	}
	if w.ec2, err = ec2.New(st, "us-east-1", nil, func() time.Time { return epoch }); err != nil {
		t.Fatal(err)
	}
	w.r53 = route53.New(st, w.iam, w.ec2, func() time.Time { return epoch })
	for _, c := range []struct {
		caller *iam.Caller
		acct   string
	}{{&w.a, acctA}, {&w.b, acctB}} {
		_, creds, err := w.iam.CreateAccount(ctx, c.acct)
		if err != nil {
			t.Fatal(err)
		}
		if *c.caller, err = w.iam.Resolve(ctx, creds.AccessKeyID); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []struct {
		vpc        *route53.VPC
		acct, cidr string
	}{{&w.vpcA1, acctA, "10.1.0.0/16"}, {&w.vpcA2, acctA, "10.2.0.0/16"}, {&w.vpcB, acctB, "10.3.0.0/16"}} {
		vpc, err := w.ec2.CreateVPC(ctx, v.acct, v.cidr)
		if err != nil {
			t.Fatal(err)
		}
		*v.vpc = route53.VPC{Region: "us-east-1", ID: vpc.ID}
	}
	return w
}

// zone creates a zone of account a (or of caller) associated with vpc.
func (w *world) zone(t *testing.T, caller iam.Caller, name string, vpc route53.VPC) route53.HostedZone {
	t.Helper()
	w.zones++
	z, _, err := w.r53.CreateHostedZone(context.Background(), caller, route53.CreateZoneInput{Name: name, CallerReference: fmt.Sprint("zone-", w.zones), VPC: &vpc})
	if err != nil {
		t.Fatalf("CreateHostedZone %s: %v", name, err)
	}
	return z
}

// records lists a zone's record sets as "name type ttl value,value" (or
// "name type alias target").
func (w *world) records(t *testing.T, id string) []string {
	t.Helper()
	z, err := w.r53.GetHostedZone(context.Background(), w.a, id)
	if err != nil {
		t.Fatal(err)
	}
	return describe(z.Records)
}

func describe(rs []route53.RecordSet) []string {
	out := []string{}
	for _, r := range rs {
		if r.Alias != nil {
			out = append(out, fmt.Sprintf("%s %s alias %s", r.Name, r.Type, r.Alias.DNSName))
			continue
		}
		out = append(out, fmt.Sprintf("%s %s %d %s", r.Name, r.Type, r.TTL, strings.Join(r.Values, ",")))
	}
	return out
}

// code returns the Route 53 error code of err ("" for nil, the error text
// for anything else).
func code(err error) string {
	var e *route53.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	}
	return err.Error()
}

// wantCode fails unless err is a Route 53 error with code (and, if given,
// a message holding msg).
func wantCode(t *testing.T, what string, err error, want, msg string) {
	t.Helper()
	if got := code(err); got != want {
		t.Errorf("%s: got %q (%v); want %s", what, got, err, want)
		return
	}
	if err != nil && msg != "" && !strings.Contains(err.Error(), msg) {
		t.Errorf("%s: got %q; want a message holding %q", what, err, msg)
	}
}

func rr(action, name, typ string, ttl int64, values ...string) route53.Change {
	return route53.Change{Action: action, Name: name, Type: typ, TTL: &ttl, Values: values}
}

func alias(action, name, typ, zone, target string) route53.Change {
	return route53.Change{Action: action, Name: name, Type: typ, Alias: &route53.AliasTarget{HostedZoneID: zone, DNSName: target}}
}

func vpcIDs(vs []route53.VPC) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.ID)
	}
	return out
}

func same(a, b []string) bool { return slices.Equal(a, b) }
