package msk_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kafkalink/kafkalink/internal/authz"
	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/msk"
	"github.com/kafkalink/kafkalink/internal/store"
)

const (
	owner  = "111111111111"
	client = "222222222222"
	third  = "333333333333"
)

// testEnv is an MSK control plane over a real store, IAM and EC2, with
// three accounts, the owner's clusters and a client VPC in each of the
// other accounts.
type testEnv struct {
	t       testing.TB
	st      *store.Bolt
	iam     *iam.Service
	ec2     *ec2.Service
	msk     *msk.Service
	callers map[string]iam.Caller // by account: its root
	specs   map[string]msk.Spec   // by cluster name
	vpc     map[string]string     // client account → VPC
	subnets map[string][]string   // client account → subnets in use1-az1..3
	group   map[string]string     // client account → the VPC's default group
}

func newTestEnv(t testing.TB) *testEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenBolt(filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := iam.NewInDir(st, dir)
	if err != nil {
		t.Fatal(err)
	}
	net, err := ec2.New(st, "us-east-1", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, st: st, iam: svc, ec2: net, msk: msk.New(st, svc, msk.EC2Network{EC2: net}, "us-east-1", nil),
		callers: map[string]iam.Caller{}, specs: map[string]msk.Spec{}, vpc: map[string]string{}, subnets: map[string][]string{}, group: map[string]string{}}
	for _, account := range []string{owner, client, third} {
		_, creds, err := svc.CreateAccount(ctx, account)
		if err != nil {
			t.Fatal(err)
		}
		if e.callers[account], err = svc.Resolve(ctx, creds.AccessKeyID); err != nil {
			t.Fatal(err)
		}
		vpc, err := net.CreateVPC(ctx, account, "10.0.0.0/16")
		if err != nil {
			t.Fatal(err)
		}
		e.vpc[account], e.group[account] = vpc.ID, vpc.DefaultSecurityGroupID
		for i, z := range []string{"use1-az1", "use1-az2", "use1-az3"} {
			sn, err := net.CreateSubnet(ctx, account, ec2.CreateSubnetInput{VPCID: vpc.ID, CIDRBlock: fmt.Sprintf("10.0.%d.0/24", i), AvailabilityZoneID: z})
			if err != nil {
				t.Fatal(err)
			}
			e.subnets[account] = append(e.subnets[account], sn.ID)
		}
	}
	for _, c := range []struct {
		name, region string
		auth         msk.ClientAuth
		acls         bool
	}{
		{"orders", "us-east-1", msk.ClientAuth{IAM: true, SCRAM: true, TLS: true}, true},
		{"plain", "us-east-1", msk.ClientAuth{Unauthenticated: true}, false},
		{"mixed", "us-east-1", msk.ClientAuth{IAM: true, TLS: true, Unauthenticated: true}, false},
		{"west", "us-west-2", msk.ClientAuth{IAM: true}, true},
	} {
		spec := msk.Spec{
			Identity:     authz.Cluster{Name: c.name, Account: owner, Region: c.region, UUID: "6f1c2b7a-9d2e-4c1b-8a3f-5e4d3c2b1a09-1"},
			KafkaVersion: "3.6.0", Brokers: 3, Auth: c.auth, ACLsInForce: c.acls,
			Subnets: e.subnets[owner], ZoneIDs: []string{"use1-az1", "use1-az2", "use1-az3"},
			Bootstrap: func(scheme string) string {
				if scheme == "PLAINTEXT" && !c.auth.Unauthenticated {
					return ""
				}
				return "b-1." + c.name + ".test:" + scheme
			},
		}
		if err := e.msk.Register(ctx, spec); err != nil {
			t.Fatal(err)
		}
		e.specs[c.name] = spec
	}
	return e
}

func (e *testEnv) arn(cluster string) string { return e.specs[cluster].Identity.ARN() }

// version is a cluster's currentVersion.
func (e *testEnv) version(cluster string) string {
	e.t.Helper()
	c, err := e.msk.DescribeCluster(context.Background(), e.callers[owner], e.arn(cluster), "kafka:DescribeCluster")
	if err != nil {
		e.t.Fatal(err)
	}
	return c.CurrentVersion
}

// on turns multi-VPC connectivity on for schemes.
func (e *testEnv) on(cluster string, schemes ...msk.Scheme) {
	e.t.Helper()
	want := map[msk.Scheme]bool{}
	for _, s := range schemes {
		want[s] = true
	}
	if _, err := e.msk.UpdateConnectivity(context.Background(), e.callers[owner], e.arn(cluster), e.version(cluster), want); err != nil {
		e.t.Fatal(err)
	}
}

// allow puts the basic cluster policy for accounts.
func (e *testEnv) allow(cluster string, accounts ...string) {
	e.t.Helper()
	var principals []string
	for _, a := range accounts {
		principals = append(principals, `"arn:aws:iam::`+a+`:root"`)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":[` + strings.Join(principals, ",") + `]},` +
		`"Action":["kafka:CreateVpcConnection","kafka:GetBootstrapBrokers","kafka:DescribeCluster","kafka:DescribeClusterV2"],"Resource":"` + e.arn(cluster) + `"}]}`
	if _, err := e.msk.PutClusterPolicy(context.Background(), e.callers[owner], e.arn(cluster), doc, ""); err != nil {
		e.t.Fatal(err)
	}
}

// connect opens a VPC connection from account's VPC.
func (e *testEnv) connect(account, cluster string, scheme msk.Scheme) (msk.VpcConnection, error) {
	return e.msk.CreateVpcConnection(context.Background(), e.callers[account], msk.CreateVpcConnectionInput{
		ClusterARN: e.arn(cluster), Auth: scheme, VpcID: e.vpc[account], Subnets: e.subnets[account], SecurityGroups: []string{e.group[account]}})
}

// wantError fails unless err is an MSK error with code (and status).
func wantError(t *testing.T, what string, err error, code string) *msk.Error {
	t.Helper()
	status := map[string]int{"BadRequestException": 400, "ForbiddenException": 403, "NotFoundException": 404, "ConflictException": 409}[code]
	var me *msk.Error
	if !errors.As(err, &me) || me.Code != code || me.Status != status {
		t.Fatalf("%s: got %v; want %s (%d)", what, err, code, status)
	}
	return me
}

func TestUpdateConnectivityRules(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	for _, c := range []struct {
		name, cluster, message string
		version                string
		want                   map[msk.Scheme]bool
	}{
		{"stale version", "orders", "not the current version", "AAAAAAAAAAAAAA", map[msk.Scheme]bool{msk.SchemeIAM: true}},
		{"unauthenticated only", "plain", "unauthenticated cluster", "", map[msk.Scheme]bool{msk.SchemeIAM: true}},
		{"a scheme the cluster lacks", "mixed", "SASL_SCRAM client authentication", "", map[msk.Scheme]bool{msk.SchemeSCRAM: true}},
		{"TLS without ACLs", "mixed", "allow.everyone.if.no.acl.found", "", map[msk.Scheme]bool{msk.SchemeTLS: true}},
	} {
		v := c.version
		if v == "" {
			v = e.version(c.cluster)
		}
		_, err := e.msk.UpdateConnectivity(ctx, e.callers[owner], e.arn(c.cluster), v, c.want)
		if me := wantError(t, c.name, err, "BadRequestException"); !strings.Contains(me.Message, c.message) {
			t.Errorf("%s: got %q; want %q", c.name, me.Message, c.message)
		}
	}
	// IAM alone needs no ACLs, even with unauthenticated access on too;
	// turning nothing on for plain is fine.
	e.on("mixed", msk.SchemeIAM)
	e.on("plain")
	// Another account may not, even with the basic cluster policy.
	e.allow("orders", client)
	_, err := e.msk.UpdateConnectivity(ctx, e.callers[client], e.arn("orders"), e.version("orders"), map[msk.Scheme]bool{msk.SchemeIAM: true})
	wantError(t, "update by another account", err, "ForbiddenException")

	// A nil want keeps the schemes and still moves the version.
	e.on("orders", msk.SchemeIAM, msk.SchemeTLS)
	v := e.version("orders")
	c, err := e.msk.UpdateConnectivity(ctx, e.callers[owner], e.arn("orders"), v, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !c.VpcConnectivity[msk.SchemeIAM] || !c.VpcConnectivity[msk.SchemeTLS] || c.VpcConnectivity[msk.SchemeSCRAM] || c.CurrentVersion == v {
		t.Errorf("update with nil: got %v version %s (was %s); want IAM and TLS kept, a new version", c.VpcConnectivity, c.CurrentVersion, v)
	}
}

func TestUpdateConnectivityIsOptimistic(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	v := e.version("orders")
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.msk.UpdateConnectivity(context.Background(), e.callers[owner], e.arn("orders"), v, map[msk.Scheme]bool{msk.SchemeIAM: i%2 == 0, msk.SchemeTLS: i%2 == 1})
		}()
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		var me *msk.Error
		switch {
		case err == nil:
			won++
		case errors.As(err, &me) && (me.Code == "BadRequestException" || me.Code == "ConflictException"):
		default:
			t.Errorf("concurrent update: got %v; want success, a stale version or a conflict", err)
		}
	}
	if won != 1 {
		t.Errorf("concurrent updates with one version: %d succeeded; want exactly 1", won)
	}
}

func TestRegisterKeepsTheRecord(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.on("orders", msk.SchemeIAM)
	v := e.version("orders")
	// A restart: a new control plane over the same store registers the
	// configured cluster again.
	again := msk.New(e.st, e.iam, msk.EC2Network{EC2: e.ec2}, "us-east-1", nil)
	if err := again.Register(context.Background(), e.specs["orders"]); err != nil {
		t.Fatal(err)
	}
	c, err := again.DescribeCluster(context.Background(), e.callers[owner], e.arn("orders"), "kafka:DescribeCluster")
	if err != nil {
		t.Fatal(err)
	}
	if c.CurrentVersion != v || !c.VpcConnectivity[msk.SchemeIAM] || c.State != msk.StateActive {
		t.Errorf("after Register again: got version %s connectivity %v state %s; want %s, IAM on, ACTIVE", c.CurrentVersion, c.VpcConnectivity, c.State, v)
	}
	// A cluster this process does not serve is not listed.
	if _, err := again.DescribeCluster(context.Background(), e.callers[owner], e.arn("plain"), "kafka:DescribeCluster"); err == nil {
		t.Error("DescribeCluster of a cluster not registered in this process: got it; want NotFound")
	}
	names := func(s *msk.Service, account string) []string {
		cs, err := s.ListClusters(context.Background(), e.callers[account], "")
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range cs {
			out = append(out, c.Identity.Name)
		}
		return out
	}
	if got := names(again, owner); !slices.Equal(got, []string{"orders"}) {
		t.Errorf("ListClusters after a restart with one cluster: got %v; want [orders]", got)
	}
	if got := names(e.msk, owner); !slices.Equal(got, []string{"mixed", "orders", "plain", "west"}) {
		t.Errorf("ListClusters: got %v; want every cluster, by name", got)
	}
	if got := names(e.msk, client); len(got) != 0 {
		t.Errorf("ListClusters of another account: got %v; want none", got)
	}
}

func TestCreateVpcConnectionAuthorization(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	e.on("orders", msk.SchemeIAM)

	_, err := e.connect(client, "orders", msk.SchemeIAM)
	wantError(t, "without a cluster policy", err, "ForbiddenException")
	e.allow("orders", client)
	if _, err := e.connect(third, "orders", msk.SchemeIAM); err == nil {
		t.Fatal("an account the cluster policy does not name connected")
	}
	// The owner's account needs no cluster policy.
	if _, err := e.connect(owner, "orders", msk.SchemeIAM); err != nil {
		t.Errorf("a connection from the owner's account: %v", err)
	}

	user := func(name, doc string) iam.Caller {
		if _, err := e.iam.CreateUser(ctx, client, name, "/"); err != nil {
			t.Fatal(err)
		}
		if err := e.iam.PutInlinePolicy(ctx, client, "user", name, "p", doc); err != nil {
			t.Fatal(err)
		}
		creds, err := e.iam.CreateAccessKey(ctx, client, name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.iam.Resolve(ctx, creds.AccessKeyID)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	in := msk.CreateVpcConnectionInput{ClusterARN: e.arn("orders"), Auth: msk.SchemeIAM, VpcID: e.vpc[client], Subnets: e.subnets[client], SecurityGroups: []string{e.group[client]}}
	for _, u := range []struct {
		name, doc, action string
	}{
		{"nothing", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}`, "kafka:CreateVpcConnection"},
		{"noendpoint", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kafka:CreateVpcConnection","Resource":"*"}]}`, "ec2:CreateVPCEndpoint"},
		{"denied", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"kafka:CreateVpcConnection","Resource":"` + e.arn("orders") + `"}]}`, "kafka:CreateVpcConnection"},
	} {
		_, err := e.msk.CreateVpcConnection(ctx, user(u.name, u.doc), in)
		if me := wantError(t, "user "+u.name, err, "ForbiddenException"); !strings.Contains(me.Message, "user/"+u.name+" is not authorized to perform: "+u.action) {
			t.Errorf("user %s: got %q; want a denial of %s", u.name, me.Message, u.action)
		}
	}
	app := user("app", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka:CreateVpcConnection","ec2:CreateVPCEndpoint"],"Resource":"*"}]}`)
	if _, err := e.msk.CreateVpcConnection(ctx, app, in); err != nil {
		t.Errorf("user app: %v", err)
	}
	// An explicit deny in the cluster policy wins.
	deny := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + client + `"},"Action":"kafka:*","Resource":"*"},` +
		`{"Effect":"Deny","Principal":{"AWS":"*"},"Action":"kafka:CreateVpcConnection","Resource":"*"}]}`
	if _, err := e.msk.PutClusterPolicy(ctx, e.callers[owner], e.arn("orders"), deny, ""); err != nil {
		t.Fatal(err)
	}
	_, err = e.msk.CreateVpcConnection(ctx, app, in)
	wantError(t, "a cluster policy's explicit deny", err, "ForbiddenException")
	_, err = e.connect(owner, "orders", msk.SchemeIAM)
	wantError(t, "a cluster policy's explicit deny, for the owner", err, "ForbiddenException")
}

func TestCreateVpcConnectionChecks(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	e.on("orders", msk.SchemeIAM)
	e.on("west", msk.SchemeIAM)
	e.allow("orders", client)
	e.allow("west", client)
	good := msk.CreateVpcConnectionInput{ClusterARN: e.arn("orders"), Auth: msk.SchemeIAM, VpcID: e.vpc[client], Subnets: e.subnets[client], SecurityGroups: []string{e.group[client]}}
	for _, c := range []struct {
		name, param string
		change      func(in *msk.CreateVpcConnectionInput)
	}{
		{"another region", "targetClusterArn", func(in *msk.CreateVpcConnectionInput) { in.ClusterARN = e.arn("west") }},
		{"no scheme", "authentication", func(in *msk.CreateVpcConnectionInput) { in.Auth = "" }},
		{"scheme off", "authentication", func(in *msk.CreateVpcConnectionInput) { in.Auth = msk.SchemeTLS }},
		{"no VPC", "vpcId", func(in *msk.CreateVpcConnectionInput) { in.VpcID = "" }},
		{"the owner's VPC", "vpcId", func(in *msk.CreateVpcConnectionInput) { in.VpcID = e.vpc[owner] }},
		{"no subnets", "clientSubnets", func(in *msk.CreateVpcConnectionInput) { in.Subnets = nil }},
		{"one subnet", "clientSubnets", func(in *msk.CreateVpcConnectionInput) { in.Subnets = in.Subnets[:1] }},
		{"a repeated subnet", "clientSubnets", func(in *msk.CreateVpcConnectionInput) { in.Subnets = []string{in.Subnets[0], in.Subnets[0]} }},
		{"the owner's subnet", "clientSubnets", func(in *msk.CreateVpcConnectionInput) { in.Subnets = []string{in.Subnets[0], e.subnets[owner][1]} }},
		{"a malformed subnet", "clientSubnets", func(in *msk.CreateVpcConnectionInput) { in.Subnets = []string{in.Subnets[0], "subnet-x"} }},
		{"no groups", "securityGroups", func(in *msk.CreateVpcConnectionInput) { in.SecurityGroups = nil }},
		{"the owner's group", "securityGroups", func(in *msk.CreateVpcConnectionInput) { in.SecurityGroups = []string{e.group[owner]} }},
		{"a reserved tag", "tags", func(in *msk.CreateVpcConnectionInput) { in.Tags = map[string]string{"AWS:x": "y"} }},
		{"an empty tag key", "tags", func(in *msk.CreateVpcConnectionInput) { in.Tags = map[string]string{"": "y"} }},
	} {
		in := good
		c.change(&in)
		_, err := e.msk.CreateVpcConnection(ctx, e.callers[client], in)
		if me := wantError(t, c.name, err, "BadRequestException"); me.Parameter != c.param {
			t.Errorf("%s: invalid parameter %q; want %q (%s)", c.name, me.Parameter, c.param, me.Message)
		}
	}
	// A subnet in a zone the cluster lacks.
	sn, err := e.ec2.CreateSubnet(ctx, client, ec2.CreateSubnetInput{VPCID: e.vpc[client], CIDRBlock: "10.0.9.0/24", AvailabilityZoneID: "use1-az6"})
	if err != nil {
		t.Fatal(err)
	}
	in := good
	in.Subnets = []string{good.Subnets[0], sn.ID}
	_, err = e.msk.CreateVpcConnection(ctx, e.callers[client], in)
	if me := wantError(t, "a zone the cluster lacks", err, "BadRequestException"); !strings.Contains(me.Message, "use1-az6") {
		t.Errorf("a zone the cluster lacks: got %q; want use1-az6 named", me.Message)
	}
	// Unknown and malformed clusters.
	in = good
	in.ClusterARN = strings.Replace(good.ClusterARN, "/orders/", "/gone/", 1)
	_, err = e.msk.CreateVpcConnection(ctx, e.callers[client], in)
	if me := wantError(t, "an unknown cluster", err, "NotFoundException"); me.Parameter != "targetClusterArn" {
		t.Errorf("an unknown cluster: parameter %q; want targetClusterArn", me.Parameter)
	}
	in.ClusterARN = "orders"
	_, err = e.msk.CreateVpcConnection(ctx, e.callers[client], in)
	wantError(t, "a malformed cluster ARN", err, "BadRequestException")

	conns, err := e.msk.VpcConnections(ctx)
	if err != nil || len(conns) != 0 {
		t.Fatalf("after refused creates: got %v %v; want no connections", conns, err)
	}
	// Two zones are enough.
	in = good
	in.Subnets = good.Subnets[1:]
	vc, err := e.msk.CreateVpcConnection(ctx, e.callers[client], in)
	if err != nil {
		t.Fatal(err)
	}
	if vc.State != msk.StateCreating || vc.Owner != client || vc.ClusterARN != e.arn("orders") || vc.Cluster != "orders" ||
		!strings.HasPrefix(vc.ARN, "arn:aws:kafka:us-east-1:"+client+":vpc-connection/"+owner+"/orders/") || !strings.HasSuffix(vc.ARN, "/"+vc.ID) {
		t.Errorf("CreateVpcConnection: got %+v", vc)
	}
}

func TestVpcConnectionLifecycle(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	e.on("orders", msk.SchemeIAM, msk.SchemeTLS)
	e.allow("orders", client, third)

	b1, err := e.connect(client, "orders", msk.SchemeIAM)
	if err != nil {
		t.Fatal(err)
	}
	b2, err := e.connect(client, "orders", msk.SchemeIAM)
	if err != nil {
		t.Fatal(err)
	}
	c1, err := e.connect(third, "orders", msk.SchemeTLS)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		vc   msk.VpcConnection
		boot string
	}{{b1, "vpce-b1:14001"}, {b2, "vpce-b2:14001"}, {c1, "vpce-c1:14002"}} {
		if err := e.msk.SetVpcConnectionState(ctx, s.vc.ARN, msk.StateAvailable, s.boot, ""); err != nil {
			t.Fatal(err)
		}
	}
	boot := func(account string) msk.Bootstrap {
		b, err := e.msk.GetBootstrapBrokers(ctx, e.callers[account], e.arn("orders"))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for account, want := range map[string]msk.Bootstrap{
		client: {"bootstrapBrokerStringVpcConnectivitySaslIam": "vpce-b1:14001,vpce-b2:14001"},
		third:  {"bootstrapBrokerStringVpcConnectivityTls": "vpce-c1:14002"},
		owner: {"bootstrapBrokerStringTls": "b-1.orders.test:TLS", "bootstrapBrokerStringSaslScram": "b-1.orders.test:SASL_SCRAM",
			"bootstrapBrokerStringSaslIam": "b-1.orders.test:SASL_IAM"},
	} {
		if got := boot(account); !mapEqual(got, want) {
			t.Errorf("GetBootstrapBrokers as %s: got %v; want %v", account, got, want)
		}
	}
	all, err := e.msk.BootstrapStrings(ctx, e.arn("orders"))
	if err != nil || all["bootstrapBrokerStringVpcConnectivitySaslIam"] != "vpce-b1:14001,vpce-b2:14001" ||
		all["bootstrapBrokerStringVpcConnectivityTls"] != "vpce-c1:14002" || all["bootstrapBrokerStringSaslIam"] == "" {
		t.Errorf("BootstrapStrings: got %v %v; want every string", all, err)
	}

	// Each account lists and describes its own; the owner lists them all.
	for account, want := range map[string][]string{client: {b1.ARN, b2.ARN}, third: {c1.ARN}, owner: nil} {
		got, err := e.msk.ListVpcConnections(ctx, e.callers[account])
		if err != nil || !slices.Equal(arns(got), want) {
			t.Errorf("ListVpcConnections as %s: got %v %v; want %v", account, arns(got), err, want)
		}
	}
	got, err := e.msk.ListClientVpcConnections(ctx, e.callers[owner], e.arn("orders"))
	if err != nil || !slices.Equal(arns(got), []string{b1.ARN, b2.ARN, c1.ARN}) {
		t.Errorf("ListClientVpcConnections: got %v %v", arns(got), err)
	}
	_, err = e.msk.ListClientVpcConnections(ctx, e.callers[client], e.arn("orders"))
	wantError(t, "ListClientVpcConnections by a client", err, "ForbiddenException")
	_, err = e.msk.DescribeVpcConnection(ctx, e.callers[third], b1.ARN)
	wantError(t, "DescribeVpcConnection of another account's", err, "NotFoundException")
	_, err = e.msk.DescribeVpcConnection(ctx, e.callers[client], strings.Replace(b1.ARN, client, third, 1))
	wantError(t, "DescribeVpcConnection with another account in the ARN", err, "NotFoundException")

	// Rejection: only by the owner, only of the cluster's, only once; it
	// closes at once and stays rejected.
	wantError(t, "reject by a client", e.msk.RejectClientVpcConnection(ctx, e.callers[client], e.arn("orders"), b1.ARN), "ForbiddenException")
	wantError(t, "reject through another cluster", e.msk.RejectClientVpcConnection(ctx, e.callers[owner], e.arn("mixed"), b1.ARN), "NotFoundException")
	if err := e.msk.RejectClientVpcConnection(ctx, e.callers[owner], e.arn("orders"), b1.ARN); err != nil {
		t.Fatal(err)
	}
	wantError(t, "reject again", e.msk.RejectClientVpcConnection(ctx, e.callers[owner], e.arn("orders"), b1.ARN), "BadRequestException")
	if got := boot(client)["bootstrapBrokerStringVpcConnectivitySaslIam"]; got != "vpce-b2:14001" {
		t.Errorf("bootstrap after reject: got %q; want only the other connection's", got)
	}
	if err := e.msk.SetVpcConnectionState(ctx, b1.ARN, msk.StateAvailable, "vpce-b1:14001", ""); err != nil {
		t.Fatal(err)
	}
	vc, err := e.msk.DescribeVpcConnection(ctx, e.callers[client], b1.ARN)
	if err != nil || vc.State != msk.StateRejected || vc.Bootstrap != "" {
		t.Errorf("a rejected connection realized again: got %s %q %v; want REJECTED without a bootstrap", vc.State, vc.Bootstrap, err)
	}

	// Deletion: by its account only.
	_, err = e.msk.DeleteVpcConnection(ctx, e.callers[owner], c1.ARN)
	wantError(t, "delete by the cluster owner", err, "NotFoundException")
	del, err := e.msk.DeleteVpcConnection(ctx, e.callers[third], c1.ARN)
	if err != nil || del.State != msk.StateDeleting {
		t.Errorf("DeleteVpcConnection: got %s %v; want DELETING", del.State, err)
	}
	_, err = e.msk.DeleteVpcConnection(ctx, e.callers[third], c1.ARN)
	wantError(t, "delete again", err, "NotFoundException")
	wantError(t, "realize a deleted connection", e.msk.SetVpcConnectionState(ctx, c1.ARN, msk.StateAvailable, "x", ""), "NotFoundException")
	if got := boot(third); len(got) != 0 {
		t.Errorf("bootstrap after delete: got %v; want nothing", got)
	}
	got, _ = e.msk.ListClientVpcConnections(ctx, e.callers[owner], e.arn("orders"))
	if !slices.Equal(arns(got), []string{b1.ARN, b2.ARN}) {
		t.Errorf("ListClientVpcConnections after delete: got %v", arns(got))
	}
	// A failed realization is recorded with its reason.
	if err := e.msk.SetVpcConnectionState(ctx, b2.ARN, msk.StateFailed, "", "no port left"); err != nil {
		t.Fatal(err)
	}
	if vc, _ := e.msk.DescribeVpcConnection(ctx, e.callers[client], b2.ARN); vc.State != msk.StateFailed || vc.Reason != "no port left" {
		t.Errorf("after FAILED: got %s %q", vc.State, vc.Reason)
	}
}

func TestVpcConnectionARNs(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	for _, arn := range []string{
		"", "x", "arn:aws:kafka:us-east-1:222222222222:cluster/orders/x",
		"arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders",
		"arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders/not-a-uuid",
		"arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders/5d7f3b0e-4a4e-4c71-9a60-3c7e4d1e0b11/x",
		"arn:aws:s3:us-east-1:222222222222:vpc-connection/111111111111/orders/5d7f3b0e-4a4e-4c71-9a60-3c7e4d1e0b11",
	} {
		_, err := e.msk.DescribeVpcConnection(ctx, e.callers[client], arn)
		wantError(t, fmt.Sprintf("DescribeVpcConnection(%q)", arn), err, "BadRequestException")
	}
	_, err := e.msk.DescribeVpcConnection(ctx, e.callers[client], "arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders/5d7f3b0e-4a4e-4c71-9a60-3c7e4d1e0b11")
	wantError(t, "DescribeVpcConnection of nothing", err, "NotFoundException")
	for _, arn := range []string{"", "orders", "arn:aws:kafka:us-east-1:111111111111:cluster/orders", "arn:aws:kafka:us-east-1:111111111111:cluster//x",
		"arn:aws:kafka:us-east-1:111111111111:cluster/orders/x/y", "arn:aws:ec2:us-east-1:111111111111:cluster/orders/x"} {
		_, err := e.msk.DescribeCluster(ctx, e.callers[owner], arn, "kafka:DescribeCluster")
		wantError(t, fmt.Sprintf("DescribeCluster(%q)", arn), err, "BadRequestException")
	}
	for _, arn := range []string{
		strings.Replace(e.arn("orders"), "us-east-1", "eu-west-1", 1),
		strings.Replace(e.arn("orders"), owner, client, 1),
		strings.Replace(e.arn("orders"), "-1", "-2", 1),
	} {
		_, err := e.msk.DescribeCluster(ctx, e.callers[owner], arn, "kafka:DescribeCluster")
		wantError(t, fmt.Sprintf("DescribeCluster(%q)", arn), err, "NotFoundException")
	}
}

func TestClusterPolicy(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	arn := e.arn("orders")
	_, err := e.msk.GetClusterPolicy(ctx, e.callers[owner], arn)
	wantError(t, "GetClusterPolicy of none", err, "NotFoundException")
	for name, doc := range map[string]string{
		"not JSON":     "{",
		"no statement": `{"Version":"2012-10-17"}`,
		"no principal": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kafka:*","Resource":"*"}]}`,
		"too long":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"kafka:*","Resource":"*"}]}` + strings.Repeat(" ", 20<<10),
	} {
		_, err := e.msk.PutClusterPolicy(ctx, e.callers[owner], arn, doc, "")
		if me := wantError(t, "PutClusterPolicy "+name, err, "BadRequestException"); me.Parameter != "policy" {
			t.Errorf("PutClusterPolicy %s: parameter %q; want policy", name, me.Parameter)
		}
	}
	e.allow("orders", client)
	p, err := e.msk.GetClusterPolicy(ctx, e.callers[owner], arn)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.msk.PutClusterPolicy(ctx, e.callers[owner], arn, p.Policy, "stale")
	if me := wantError(t, "PutClusterPolicy with a stale version", err, "BadRequestException"); me.Parameter != "currentVersion" {
		t.Errorf("stale version: parameter %q; want currentVersion", me.Parameter)
	}
	v, err := e.msk.PutClusterPolicy(ctx, e.callers[owner], arn, p.Policy, p.CurrentVersion)
	if err != nil || v == p.CurrentVersion {
		t.Errorf("PutClusterPolicy with the current version: got %q %v; want a new version", v, err)
	}
	_, err = e.msk.PutClusterPolicy(ctx, e.callers[client], arn, p.Policy, "")
	wantError(t, "PutClusterPolicy by a client", err, "ForbiddenException")
	wantError(t, "DeleteClusterPolicy by a client", e.msk.DeleteClusterPolicy(ctx, e.callers[client], arn), "ForbiddenException")
	if _, err := e.msk.DescribeCluster(ctx, e.callers[client], arn, "kafka:DescribeClusterV2"); err != nil {
		t.Errorf("DescribeClusterV2 by a client the policy names: %v", err)
	}
	_, err = e.msk.DescribeCluster(ctx, e.callers[third], arn, "kafka:DescribeCluster")
	wantError(t, "DescribeCluster by an account the policy does not name", err, "ForbiddenException")
	if err := e.msk.DeleteClusterPolicy(ctx, e.callers[owner], arn); err != nil {
		t.Fatal(err)
	}
	_, err = e.msk.DescribeCluster(ctx, e.callers[client], arn, "kafka:DescribeCluster")
	wantError(t, "DescribeCluster by a client after the policy is gone", err, "ForbiddenException")
}

func arns(vcs []msk.VpcConnection) []string {
	var out []string
	for _, vc := range vcs {
		out = append(out, vc.ARN)
	}
	return out
}

func mapEqual(got, want msk.Bootstrap) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}
