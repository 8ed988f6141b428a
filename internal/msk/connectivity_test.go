package msk_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/kafkalink/kafkalink/internal/msk"
)

// describe returns a cluster as its owner sees it.
func (e *testEnv) describe(arn string) msk.Cluster {
	e.t.Helper()
	c, err := e.msk.DescribeCluster(context.Background(), e.callers[owner], arn, "kafka:DescribeClusterV2")
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// pending lists the names of the clusters PendingConnectivity gives.
func (e *testEnv) pending() []string {
	e.t.Helper()
	cs, err := e.msk.PendingConnectivity(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, c.Identity.Name)
	}
	return out
}

// wantState fails unless the cluster is in state, UPDATING for op ("" for
// none).
func (e *testEnv) wantState(what, arn, state, op string) {
	e.t.Helper()
	if c := e.describe(arn); c.State != state || c.Operation != op {
		e.t.Errorf("%s: got state %s operation %q; want %s %q", what, c.State, c.Operation, state, op)
	}
}

// provisionedCluster has CreateClusterV2 ask for an IAM cluster of the
// owner's and the provisioner record it running; it returns its spec
// (e.arn and e.version know it too).
func (e *testEnv) provisionedCluster(name string) msk.Spec {
	e.t.Helper()
	ctx := context.Background()
	e.msk.EnableProvisioning()
	c, err := e.msk.CreateCluster(ctx, e.callers[owner], msk.CreateClusterInput{Name: name, Brokers: 3, Auth: msk.ClientAuth{IAM: true}, Subnets: e.subnets[owner]})
	if err != nil {
		e.t.Fatal(err)
	}
	spec := msk.Spec{Identity: c.Identity, Brokers: 3, Auth: msk.ClientAuth{IAM: true}, ACLsInForce: true, Subnets: e.subnets[owner],
		ZoneIDs: []string{"use1-az1", "use1-az2", "use1-az3"}}
	if err := e.msk.Provisioned(ctx, spec); err != nil {
		e.t.Fatal(err)
	}
	e.wantState("a provisioned cluster", c.Identity.ARN(), msk.StateActive, "")
	e.specs[name] = spec
	return spec
}

// Without a connectivity realizer, UpdateConnectivity is in effect at
// once: the cluster stays ACTIVE.
func TestUpdateConnectivityWithoutRealizerStaysActive(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	c, err := e.msk.UpdateConnectivity(context.Background(), e.callers[owner], e.arn("orders"), e.version("orders"), map[msk.Scheme]bool{msk.SchemeIAM: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.State != msk.StateActive || c.Operation != "" {
		t.Errorf("UpdateConnectivity: got state %s operation %q; want ACTIVE and none", c.State, c.Operation)
	}
	e.wantState("after UpdateConnectivity", e.arn("orders"), msk.StateActive, "")
	if got := e.pending(); len(got) != 0 {
		t.Errorf("PendingConnectivity: got %v; want none", got)
	}
}

// With a realizer attached, UpdateConnectivity leaves the cluster
// UPDATING, refusing other updates and new VPC connections, until the
// realizer records the change in effect.
func TestUpdateConnectivityIsUpdatingUntilRealized(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	e.msk.AttachConnectivityRealizer()
	e.allow("orders", client)
	arn, before := e.arn("orders"), e.version("orders")
	c, err := e.msk.UpdateConnectivity(ctx, e.callers[owner], arn, before, map[msk.Scheme]bool{msk.SchemeIAM: true})
	if err != nil {
		t.Fatal(err)
	}
	if c.State != msk.StateUpdating || c.Operation != msk.OperationUpdateConnectivity || c.CurrentVersion == before {
		t.Errorf("UpdateConnectivity: got state %s operation %q version %s (was %s); want UPDATING for %s, a new version",
			c.State, c.Operation, c.CurrentVersion, before, msk.OperationUpdateConnectivity)
	}
	e.wantState("DescribeCluster while the change is realized", arn, msk.StateUpdating, msk.OperationUpdateConnectivity)
	listed, err := e.msk.ListClusters(ctx, e.callers[owner], "orders")
	if err != nil || len(listed) != 1 || listed[0].State != msk.StateUpdating {
		t.Errorf("ListClusters while the change is realized: got %+v %v; want orders UPDATING", listed, err)
	}
	if got := e.pending(); len(got) != 1 || got[0] != "orders" {
		t.Errorf("PendingConnectivity: got %v; want [orders]", got)
	}

	for _, r := range []struct {
		name string
		call func() error
	}{
		{"UpdateConnectivity", func() error {
			_, err := e.msk.UpdateConnectivity(ctx, e.callers[owner], arn, c.CurrentVersion, map[msk.Scheme]bool{msk.SchemeIAM: true, msk.SchemeTLS: true})
			return err
		}},
		{"CreateVpcConnection", func() error { _, err := e.connect(client, "orders", msk.SchemeIAM); return err }},
	} {
		if me := wantError(t, r.name+" while UPDATING", r.call(), "BadRequestException"); !strings.Contains(me.Message, "UPDATING") {
			t.Errorf("%s while UPDATING: got %q; want the state named", r.name, me.Message)
		}
	}

	for _, r := range []struct {
		name, version string
		done          bool
		state, op     string
	}{
		{"a version it did not make", before, false, msk.StateUpdating, msk.OperationUpdateConnectivity},
		{"its version", c.CurrentVersion, true, msk.StateActive, ""},
		{"its version again", c.CurrentVersion, false, msk.StateActive, ""},
	} {
		done, err := e.msk.ConnectivityRealized(ctx, arn, r.version)
		if err != nil || done != r.done {
			t.Errorf("ConnectivityRealized, %s: got %v %v; want %v", r.name, done, err, r.done)
		}
		e.wantState("after ConnectivityRealized, "+r.name, arn, r.state, r.op)
	}
	if got := e.describe(arn); got.CurrentVersion != c.CurrentVersion || !got.VpcConnectivity[msk.SchemeIAM] {
		t.Errorf("after the change: got version %s connectivity %v; want %s, IAM on", got.CurrentVersion, got.VpcConnectivity, c.CurrentVersion)
	}
	if got := e.pending(); len(got) != 0 {
		t.Errorf("PendingConnectivity after the change: got %v; want none", got)
	}
	if _, err := e.connect(client, "orders", msk.SchemeIAM); err != nil {
		t.Errorf("CreateVpcConnection once ACTIVE again: %v", err)
	}
	_, err = e.msk.ConnectivityRealized(ctx, strings.Replace(arn, "/orders/", "/gone/", 1), c.CurrentVersion)
	wantError(t, "ConnectivityRealized of an unknown cluster", err, "NotFoundException")
}

// UpdateSecurity's UPDATING is the provisioner's to end, not the
// connectivity realizer's; neither update starts while the other runs,
// and the two writers of ACTIVE never fail each other.
func TestConnectivityRealizerLeavesSecurityUpdates(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	e.msk.AttachConnectivityRealizer()
	spec := e.provisionedCluster("billing")
	arn := spec.Identity.ARN()
	scramOn := func(a msk.ClientAuth) msk.ClientAuth { a.SCRAM = true; return a }

	sec, err := e.msk.UpdateSecurity(ctx, e.callers[owner], arn, e.version("billing"), scramOn)
	if err != nil {
		t.Fatal(err)
	}
	e.wantState("after UpdateSecurity", arn, msk.StateUpdating, msk.OperationUpdateSecurity)
	if got := e.pending(); len(got) != 0 {
		t.Errorf("PendingConnectivity during UpdateSecurity: got %v; want none", got)
	}
	if done, err := e.msk.ConnectivityRealized(ctx, arn, sec.CurrentVersion); done || err != nil {
		t.Errorf("ConnectivityRealized during UpdateSecurity: got %v %v; want false, nil", done, err)
	}
	e.wantState("after ConnectivityRealized during UpdateSecurity", arn, msk.StateUpdating, msk.OperationUpdateSecurity)
	_, err = e.msk.UpdateConnectivity(ctx, e.callers[owner], arn, sec.CurrentVersion, map[msk.Scheme]bool{msk.SchemeIAM: true})
	wantError(t, "UpdateConnectivity during UpdateSecurity", err, "BadRequestException")
	if err := e.msk.Provisioned(ctx, spec); err != nil {
		t.Fatal(err)
	}
	e.wantState("after the provisioner", arn, msk.StateActive, "")

	// The provisioner may record a cluster ACTIVE (a restart provisions
	// it again) while the realizer does: neither fails.
	for round := range 5 {
		c, err := e.msk.UpdateConnectivity(ctx, e.callers[owner], arn, e.version("billing"), map[msk.Scheme]bool{msk.SchemeIAM: round%2 == 0})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.msk.UpdateSecurity(ctx, e.callers[owner], arn, c.CurrentVersion, scramOn)
		wantError(t, "UpdateSecurity during UpdateConnectivity", err, "BadRequestException")
		var wg sync.WaitGroup
		var realizeErr, provisionErr error
		wg.Add(2)
		go func() { defer wg.Done(); _, realizeErr = e.msk.ConnectivityRealized(ctx, arn, c.CurrentVersion) }()
		go func() { defer wg.Done(); provisionErr = e.msk.Provisioned(ctx, spec) }()
		wg.Wait()
		if realizeErr != nil || provisionErr != nil {
			t.Errorf("round %d: ConnectivityRealized and Provisioned at once: got %v and %v; want neither to fail", round, realizeErr, provisionErr)
		}
		e.wantState("after both", arn, msk.StateActive, "")
	}
}

// FuzzConnectivityRealized: whatever ARN and version it is given,
// ConnectivityRealized answers nil or an MSK error, and ends a cluster's
// UPDATING only for the ARN and version of the change pending ("PENDING"
// stands for the version of the moment).
func FuzzConnectivityRealized(f *testing.F) {
	e := newTestEnv(f)
	ctx := context.Background()
	e.msk.AttachConnectivityRealizer()
	arn := e.arn("orders")
	for _, seed := range [][2]string{
		{arn, "PENDING"}, {arn, ""}, {arn, "AAAAAAAAAAAAAA"}, {e.arn("plain"), "PENDING"}, {"", ""},
		{strings.Replace(arn, "/orders/", "/gone/", 1), "PENDING"}, {"arn:aws:kafka:us-east-1:111111111111:cluster//", "x"},
		{"arn:aws:kafka:us-east-1:111111111111:cluster/orders/x/y", "PENDING"},
	} {
		f.Add(seed[0], seed[1])
	}
	describe := func(t *testing.T) msk.Cluster { // e's helpers report to f, which the fuzz function may not use
		t.Helper()
		c, err := e.msk.DescribeCluster(ctx, e.callers[owner], arn, "kafka:DescribeClusterV2")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	f.Fuzz(func(t *testing.T, target, version string) {
		c := describe(t)
		if c.State != msk.StateUpdating {
			var err error
			if c, err = e.msk.UpdateConnectivity(ctx, e.callers[owner], arn, c.CurrentVersion, nil); err != nil {
				t.Fatal(err)
			}
		}
		if version == "PENDING" {
			version = c.CurrentVersion
		}
		done, err := e.msk.ConnectivityRealized(ctx, target, version)
		var me *msk.Error
		if err != nil && !errors.As(err, &me) {
			t.Fatalf("ConnectivityRealized(%q, %q): got %v; want nil or an MSK error", target, version, err)
		}
		want := target == arn && version == c.CurrentVersion
		if done != want {
			t.Fatalf("ConnectivityRealized(%q, %q): got %v; want %v", target, version, done, want)
		}
		after := describe(t)
		if (after.State == msk.StateActive) != want || after.CurrentVersion != c.CurrentVersion {
			t.Fatalf("after ConnectivityRealized(%q, %q): got %s version %s; want ACTIVE %v, version %s", target, version, after.State, after.CurrentVersion, want, c.CurrentVersion)
		}
	})
}
