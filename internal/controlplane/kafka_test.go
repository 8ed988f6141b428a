package controlplane_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/internal/authz"
	"github.com/kafkalink/kafkalink/internal/controlplane"
	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/msk"
	"github.com/kafkalink/kafkalink/internal/store"
)

const (
	kafkaOwner  = "111111111111" // profile a: owns the clusters
	kafkaClient = "222222222222" // profile b: opens VPC connections
)

// kafkaEnv is a front door serving iam, sts, ec2 and kafka over one
// store, with two accounts, account a's clusters and account b's client
// networks.
type kafkaEnv struct {
	tb       testing.TB
	st       *store.Bolt
	iam      *iam.Service
	ec2      *ec2.Service
	msk      *msk.Service
	handler  http.Handler
	url      string
	dir      string
	accounts map[string]iam.Credentials // profile → root credentials

	// Account a's clusters: orders (IAM, SCRAM, TLS; ACLs in force),
	// plain (unauthenticated only), loose (IAM, SCRAM; no ACLs).
	orders, plain, loose string
	vpcA, groupA         string   // groupA: vpcA's default security group
	subnetsA             []string // use1-az1..3

	// Account b's networks: vpcB has a subnet in use1-az1..4 and a
	// second one in use1-az1; otherVpcB has one subnet and its group.
	vpcB, otherVpcB     string
	subnetB             map[string]string // by zone id
	subnetBAgain        string            // vpcB, use1-az1
	otherSubnetB        string
	groupB, otherGroupB string
	clientSubnets       []string // vpcB's subnets in use1-az1..3
}

// kafkaBootstrap is the fixture the clusters' Bootstrap funcs return.
func kafkaBootstrap(cluster string, ports map[string]int) func(string) string {
	return func(scheme string) string {
		p, ok := ports[scheme]
		if !ok {
			return ""
		}
		var hosts []string
		for i := 1; i <= 3; i++ {
			hosts = append(hosts, fmt.Sprintf("b-%d.%s.kafkalink.test:%d", i, cluster, p))
		}
		return strings.Join(hosts, ",")
	}
}

func newKafkaEnv(tb testing.TB) *kafkaEnv {
	tb.Helper()
	ctx := context.Background()
	ts := newTestServices(tb)
	st, svc, net, dir := ts.st, ts.iam, ts.ec2, ts.dir
	m := msk.New(st, svc, msk.EC2Network{EC2: net}, "us-east-1", nil)
	e := &kafkaEnv{tb: tb, st: st, iam: svc, ec2: net, msk: m, dir: dir, subnetB: map[string]string{},
		accounts: ts.createAccounts(map[string]string{"a": kafkaOwner, "b": kafkaClient})}

	// Account a: the clusters' VPC.
	vpc, err := net.CreateVPC(ctx, kafkaOwner, "10.0.0.0/16")
	if err != nil {
		tb.Fatal(err)
	}
	e.vpcA, e.groupA = vpc.ID, vpc.DefaultSecurityGroupID
	zones := []string{"use1-az1", "use1-az2", "use1-az3"}
	for i, z := range zones {
		e.subnetsA = append(e.subnetsA, e.subnet(kafkaOwner, vpc.ID, fmt.Sprintf("10.0.%d.0/24", i), z))
	}
	for _, c := range []struct {
		arn  *string
		name string
		auth msk.ClientAuth
		acls bool
		boot map[string]int
	}{
		{&e.orders, "orders", msk.ClientAuth{IAM: true, SCRAM: true, TLS: true}, true,
			map[string]int{string(msk.SchemeIAM): 9098, string(msk.SchemeSCRAM): 9096, string(msk.SchemeTLS): 9094}},
		{&e.plain, "plain", msk.ClientAuth{Unauthenticated: true}, false, map[string]int{"PLAINTEXT": 9092}},
		{&e.loose, "loose", msk.ClientAuth{IAM: true, SCRAM: true}, false,
			map[string]int{string(msk.SchemeIAM): 9098, string(msk.SchemeSCRAM): 9096}},
	} {
		id := authz.Cluster{Name: c.name, Account: kafkaOwner, Region: "us-east-1", UUID: fmt.Sprintf("0b9c6a3e-%04x-4e2f-9d1a-7c5b3e8f2a10-1", len(c.name))}
		spec := msk.Spec{
			Identity: id, KafkaVersion: "3.6.0", Brokers: 3, Auth: c.auth, ACLsInForce: c.acls,
			Subnets: e.subnetsA, SecurityGroups: []string{vpc.DefaultSecurityGroupID}, ZoneIDs: zones,
			Bootstrap: kafkaBootstrap(c.name, c.boot),
			Nodes: func() []msk.Node {
				return []msk.Node{{ID: 1, Hosts: []string{"b-1." + c.name + ".kafkalink.test"}}, {ID: 2, Hosts: []string{"b-2." + c.name + ".kafkalink.test"}},
					{ID: 3, Hosts: []string{"b-3." + c.name + ".kafkalink.test"}}}
			},
		}
		if err := m.Register(ctx, spec); err != nil {
			tb.Fatal(err)
		}
		*c.arn = id.ARN()
	}

	// Account b: the client networks.
	vpcB, err := net.CreateVPC(ctx, kafkaClient, "10.1.0.0/16")
	if err != nil {
		tb.Fatal(err)
	}
	e.vpcB, e.groupB = vpcB.ID, vpcB.DefaultSecurityGroupID
	for i, z := range []string{"use1-az1", "use1-az2", "use1-az3", "use1-az4"} {
		e.subnetB[z] = e.subnet(kafkaClient, vpcB.ID, fmt.Sprintf("10.1.%d.0/24", i), z)
	}
	e.subnetBAgain = e.subnet(kafkaClient, vpcB.ID, "10.1.9.0/24", "use1-az1")
	other, err := net.CreateVPC(ctx, kafkaClient, "10.2.0.0/16")
	if err != nil {
		tb.Fatal(err)
	}
	e.otherVpcB, e.otherGroupB = other.ID, other.DefaultSecurityGroupID
	e.otherSubnetB = e.subnet(kafkaClient, other.ID, "10.2.0.0/24", "use1-az2")
	e.clientSubnets = []string{e.subnetB["use1-az1"], e.subnetB["use1-az2"], e.subnetB["use1-az3"]}

	e.handler = controlplane.New(svc, "us-east-1", slog.New(slog.DiscardHandler), controlplane.WithEC2(net), controlplane.WithKafka(m))
	srv := httptest.NewServer(e.handler)
	tb.Cleanup(srv.Close)
	e.url = srv.URL
	return e
}

func (e *kafkaEnv) subnet(account, vpc, cidr, zone string) string {
	e.tb.Helper()
	sn, err := e.ec2.CreateSubnet(context.Background(), account, ec2.CreateSubnetInput{VPCID: vpc, CIDRBlock: cidr, AvailabilityZoneID: zone})
	if err != nil {
		e.tb.Fatal(err)
	}
	return sn.ID
}

// cli returns the aws CLI driver for the environment, with profiles a and
// b (the accounts' root users).
func (e *kafkaEnv) cli(t *testing.T) *env {
	t.Helper()
	return cliFor(t, e.iam, e.url, e.dir, e.accounts)
}

// user creates an IAM user of account with an inline identity policy and
// returns its credentials.
func (e *kafkaEnv) user(account, name, policyDoc string) iam.Credentials {
	e.tb.Helper()
	return createUser(e.tb, e.iam, account, name, policyDoc)
}

// basicPolicy is the cluster policy of MSK's "basic" form: account may
// create VPC connections, get bootstrap brokers and describe the cluster.
func basicPolicy(clusterARN, account string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},` +
		`"Action":["kafka:CreateVpcConnection","kafka:GetBootstrapBrokers","kafka:DescribeCluster","kafka:DescribeClusterV2"],"Resource":"` + clusterARN + `"}]}`
}

// putPolicy attaches a cluster policy (as the owner) through the service.
func (e *kafkaEnv) putPolicy(clusterARN, doc string) {
	e.tb.Helper()
	if st, _, body := e.do(e.accounts["a"], http.MethodPut, "/v1/clusters/"+url.PathEscape(clusterARN)+"/policy", nil,
		mustJSON(map[string]any{"policy": doc})); st != http.StatusOK {
		e.tb.Fatalf("put cluster policy: got %d %s; want 200", st, body)
	}
}

// connectivity turns multi-VPC connectivity on for schemes of a cluster.
func (e *kafkaEnv) connectivity(clusterARN string, schemes ...msk.Scheme) {
	e.tb.Helper()
	ctx := context.Background()
	caller, err := e.iam.Resolve(ctx, e.accounts["a"].AccessKeyID)
	if err != nil {
		e.tb.Fatal(err)
	}
	c, err := e.msk.DescribeCluster(ctx, caller, clusterARN, "kafka:DescribeCluster")
	if err != nil {
		e.tb.Fatal(err)
	}
	want := map[msk.Scheme]bool{}
	for _, s := range schemes {
		want[s] = true
	}
	if _, err := e.msk.UpdateConnectivity(ctx, caller, clusterARN, c.CurrentVersion, want); err != nil {
		e.tb.Fatal(err)
	}
}

// signedRequest is a kafka request signed (SigV4, service kafka) with
// creds. path is sent as given (already escaped).
func signedRequest(tb testing.TB, creds iam.Credentials, method, base, path string, query url.Values, body []byte) *http.Request {
	tb.Helper()
	u := base + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	signV4(tb, creds, "kafka", req, body)
	return req
}

// do sends a signed kafka request to the front door over HTTP.
func (e *kafkaEnv) do(creds iam.Credentials, method, path string, query url.Values, body []byte) (int, http.Header, []byte) {
	e.tb.Helper()
	resp, err := http.DefaultClient.Do(signedRequest(e.tb, creds, method, e.url, path, query, body))
	if err != nil {
		e.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// restJSONProblem says what is wrong with a kafka answer ("" if nothing):
// a 2xx answer is a JSON object (or, for 204 and HEAD, nothing); an error carries
// x-amzn-ErrorType naming an MSK error whose status it has, and a JSON
// object with a string message.
func restJSONProblem(method string, status int, h http.Header, body []byte) string {
	if h.Get("x-amzn-RequestId") == "" {
		return "no x-amzn-RequestId"
	}
	if method == http.MethodHead && len(body) == 0 {
		return "" // the server drops the body of an answer to HEAD
	}
	if status == http.StatusNoContent {
		if len(body) != 0 {
			return fmt.Sprintf("204 with a body %q", body)
		}
		return ""
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		return fmt.Sprintf("Content-Type %q; want application/json", ct)
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Sprintf("body is not a JSON object: %v", err)
	}
	if status >= 200 && status < 300 {
		if h.Get("x-amzn-ErrorType") != "" {
			return "a success with x-amzn-ErrorType"
		}
		return ""
	}
	code := h.Get("x-amzn-ErrorType")
	want, known := kafkaErrorStatus[code]
	if !known {
		return fmt.Sprintf("x-amzn-ErrorType %q is not an MSK error", code)
	}
	if want != status {
		return fmt.Sprintf("%s with status %d; want %d", code, status, want)
	}
	if msg, ok := obj["message"].(string); !ok || msg == "" {
		return fmt.Sprintf("error body %s has no message", body)
	}
	for k, v := range obj {
		if _, ok := v.(string); !ok || (k != "message" && k != "invalidParameter") {
			return fmt.Sprintf("error body member %q: %v", k, v)
		}
	}
	return ""
}

// kafkaErrorStatus are the kafka model's error shapes and their statuses,
// and the front door's authentication errors (answered before any kafka
// operation is known).
var kafkaErrorStatus = map[string]int{
	"BadRequestException": 400, "UnauthorizedException": 401, "ForbiddenException": 403, "NotFoundException": 404,
	"ConflictException": 409, "TooManyRequestsException": 429, "InternalServerErrorException": 500, "ServiceUnavailableException": 503,
	"RequestEntityTooLarge": 413,
}

// clusterInfo is describe-cluster's ClusterInfo of a cluster.
func clusterInfo(c *env, profile, arn string) map[string]any {
	c.t.Helper()
	info, _ := get(c.ok(profile, "kafka", "describe-cluster", "--cluster-arn", arn), "ClusterInfo").(map[string]any)
	return info
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := []string{}
	for _, s := range l {
		str, _ := s.(string)
		out = append(out, str)
	}
	return out
}

func TestKafkaClustersWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	e := newKafkaEnv(t)
	c := e.cli(t)

	info := clusterInfo(c, "a", e.orders)
	for _, m := range []struct {
		path []string
		want any
	}{
		{[]string{"ClusterArn"}, e.orders},
		{[]string{"ClusterName"}, "orders"},
		{[]string{"State"}, "ACTIVE"},
		{[]string{"NumberOfBrokerNodes"}, float64(3)},
		{[]string{"CurrentBrokerSoftwareInfo", "KafkaVersion"}, "3.6.0"},
		{[]string{"ClientAuthentication", "Sasl", "Iam", "Enabled"}, true},
		{[]string{"ClientAuthentication", "Sasl", "Scram", "Enabled"}, true},
		{[]string{"ClientAuthentication", "Tls", "Enabled"}, true},
		{[]string{"ClientAuthentication", "Unauthenticated", "Enabled"}, false},
		{[]string{"BrokerNodeGroupInfo", "ConnectivityInfo", "PublicAccess", "Type"}, "DISABLED"},
		{[]string{"BrokerNodeGroupInfo", "ConnectivityInfo", "VpcConnectivity", "ClientAuthentication", "Sasl", "Iam", "Enabled"}, false},
		{[]string{"BrokerNodeGroupInfo", "ConnectivityInfo", "VpcConnectivity", "ClientAuthentication", "Tls", "Enabled"}, false},
	} {
		if got := get(info, m.path...); got != m.want {
			t.Errorf("describe-cluster %s: got %v; want %v", strings.Join(m.path, "."), got, m.want)
		}
	}
	if got := strs(get(info, "BrokerNodeGroupInfo", "ClientSubnets")); !slices.Equal(got, e.subnetsA) {
		t.Errorf("describe-cluster client subnets: got %v; want %v", got, e.subnetsA)
	}
	if got := strs(get(info, "BrokerNodeGroupInfo", "ZoneIds")); !slices.Equal(got, []string{"use1-az1", "use1-az2", "use1-az3"}) {
		t.Errorf("describe-cluster zone ids: got %v; want use1-az1..3", got)
	}
	version := str(info, "CurrentVersion")
	if len(version) != 14 || strings.ToUpper(version) != version {
		t.Errorf("describe-cluster current version: got %q; want 14 upper-case letters and digits", version)
	}

	v2 := get(c.ok("a", "kafka", "describe-cluster-v2", "--cluster-arn", e.orders), "ClusterInfo").(map[string]any)
	for _, m := range []struct {
		path []string
		want any
	}{
		{[]string{"ClusterArn"}, e.orders},
		{[]string{"ClusterType"}, "PROVISIONED"},
		{[]string{"CurrentVersion"}, version},
		{[]string{"Provisioned", "NumberOfBrokerNodes"}, float64(3)},
		{[]string{"Provisioned", "ClientAuthentication", "Sasl", "Iam", "Enabled"}, true},
		{[]string{"Provisioned", "BrokerNodeGroupInfo", "ConnectivityInfo", "VpcConnectivity", "ClientAuthentication", "Sasl", "Scram", "Enabled"}, false},
	} {
		if got := get(v2, m.path...); got != m.want {
			t.Errorf("describe-cluster-v2 %s: got %v; want %v", strings.Join(m.path, "."), got, m.want)
		}
	}
	if got := get(clusterInfo(c, "a", e.plain), "ClientAuthentication", "Unauthenticated", "Enabled"); got != true {
		t.Errorf("describe-cluster plain: unauthenticated got %v; want true", got)
	}

	names := func(profile string, args ...string) []string {
		var out []string
		for _, cl := range items(c.ok(profile, append([]string{"kafka", "list-clusters-v2"}, args...)...), "ClusterInfoList") {
			out = append(out, str(cl, "ClusterName"))
		}
		return out
	}
	for _, l := range []struct {
		profile string
		args    []string
		want    []string
	}{
		{"a", nil, []string{"loose", "orders", "plain"}},
		{"a", []string{"--cluster-name-filter", "or"}, []string{"orders"}},
		{"a", []string{"--cluster-name-filter", "p"}, []string{"plain"}},
		{"a", []string{"--cluster-name-filter", "x"}, nil},
		{"a", []string{"--cluster-type-filter", "SERVERLESS"}, nil},
		{"a", []string{"--cluster-type-filter", "PROVISIONED", "--cluster-name-filter", "lo"}, []string{"loose"}},
		{"a", []string{"--page-size", "1"}, []string{"loose", "orders", "plain"}}, // the CLI follows NextToken
		{"a", []string{"--max-results", "2"}, []string{"loose", "orders"}},        // … unless told one page
		{"b", nil, nil},
	} {
		if got := names(l.profile, l.args...); !slices.Equal(got, l.want) {
			t.Errorf("list-clusters-v2 %v as %s: got %v; want %v", l.args, l.profile, got, l.want)
		}
	}

	boot := c.ok("a", "kafka", "get-bootstrap-brokers", "--cluster-arn", e.orders)
	want := map[string]any{
		"BootstrapBrokerStringSaslIam":   "b-1.orders.kafkalink.test:9098,b-2.orders.kafkalink.test:9098,b-3.orders.kafkalink.test:9098",
		"BootstrapBrokerStringSaslScram": "b-1.orders.kafkalink.test:9096,b-2.orders.kafkalink.test:9096,b-3.orders.kafkalink.test:9096",
		"BootstrapBrokerStringTls":       "b-1.orders.kafkalink.test:9094,b-2.orders.kafkalink.test:9094,b-3.orders.kafkalink.test:9094",
	}
	if !mapsEqual(boot, want) {
		t.Errorf("get-bootstrap-brokers orders: got %v; want %v", boot, want)
	}
	if boot := c.ok("a", "kafka", "get-bootstrap-brokers", "--cluster-arn", e.plain); !mapsEqual(boot, map[string]any{
		"BootstrapBrokerString": "b-1.plain.kafkalink.test:9092,b-2.plain.kafkalink.test:9092,b-3.plain.kafkalink.test:9092"}) {
		t.Errorf("get-bootstrap-brokers plain: got %v; want the PLAINTEXT string only", boot)
	}

	// Account b has no cluster policy: nothing of a's clusters.
	for _, args := range [][]string{
		{"describe-cluster", "--cluster-arn", e.orders},
		{"describe-cluster-v2", "--cluster-arn", e.orders},
		{"get-bootstrap-brokers", "--cluster-arn", e.orders},
	} {
		stderr := c.fails("ForbiddenException", "b", append([]string{"kafka"}, args...)...)
		if !strings.Contains(stderr, "arn:aws:iam::222222222222:root is not authorized to perform: kafka:") {
			t.Errorf("kafka %s as b: got %q; want a denial naming b and the action", args[0], stderr)
		}
	}
	// With the basic cluster policy, b may describe it and get (no)
	// bootstrap brokers — the cluster's own are the owner's alone.
	e.putPolicy(e.orders, basicPolicy(e.orders, kafkaClient))
	if got := str(clusterInfo(c, "b", e.orders), "ClusterArn"); got != e.orders {
		t.Errorf("describe-cluster as b with the basic policy: got %q; want %s", got, e.orders)
	}
	if boot := c.ok("b", "kafka", "get-bootstrap-brokers", "--cluster-arn", e.orders); len(boot) != 0 {
		t.Errorf("get-bootstrap-brokers as b: got %v; want nothing (b has no VPC connection)", boot)
	}
	c.fails("ForbiddenException", "b", "kafka", "get-bootstrap-brokers", "--cluster-arn", e.plain)

	// Unknown and malformed cluster ARNs, in every operation that takes one.
	unknownName := strings.Replace(e.orders, "/orders/", "/nothing/", 1)
	unknownUUID := e.orders[:len(e.orders)-1] + "9"
	otherAccount := strings.Replace(e.orders, kafkaOwner, kafkaClient, 1)
	for _, op := range [][]string{
		{"describe-cluster"}, {"describe-cluster-v2"}, {"get-bootstrap-brokers"}, {"get-cluster-policy"}, {"delete-cluster-policy"},
		{"list-client-vpc-connections"}, {"put-cluster-policy", "--policy", basicPolicy(e.orders, kafkaClient)},
		{"update-connectivity", "--current-version", version, "--connectivity-info", `{"VpcConnectivity":{"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}}`},
		{"reject-client-vpc-connection", "--vpc-connection-arn", "arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders/5d7f3b0e-4a4e-4c71-9a60-3c7e4d1e0b11"},
	} {
		for _, arn := range []string{unknownName, unknownUUID, otherAccount} {
			args := append([]string{"kafka", op[0], "--cluster-arn", arn}, op[1:]...)
			if stderr := c.fails("NotFoundException", "a", args...); !strings.Contains(stderr, arn) {
				t.Errorf("kafka %s --cluster-arn %s: got %q; want the ARN named", op[0], arn, stderr)
			}
		}
		for _, arn := range []string{"orders", "arn:aws:kafka:us-east-1:111111111111:topic/orders/x", "arn:aws:s3:::orders", "arn:aws:kafka:us-east-1:111111111111:cluster/orders"} {
			args := append([]string{"kafka", op[0], "--cluster-arn", arn}, op[1:]...)
			c.fails("BadRequestException", "a", args...)
		}
	}
	// None of it changed the cluster.
	if got := str(clusterInfo(c, "a", e.orders), "CurrentVersion"); got != version {
		t.Errorf("current version after refused calls: got %s; want %s", got, version)
	}
}

// mapsEqual compares a CLI output object with want (string members).
func mapsEqual(got, want map[string]any) bool {
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

func TestKafkaUpdateConnectivityWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	e := newKafkaEnv(t)
	c := e.cli(t)
	on := func(schemes ...string) string {
		ca := map[string]any{}
		for _, s := range schemes {
			switch s {
			case "Iam", "Scram":
				sasl, _ := ca["Sasl"].(map[string]any)
				if sasl == nil {
					sasl = map[string]any{}
					ca["Sasl"] = sasl
				}
				sasl[s] = map[string]bool{"Enabled": true}
			case "Tls":
				ca["Tls"] = map[string]bool{"Enabled": true}
			}
		}
		return string(mustJSON(map[string]any{"VpcConnectivity": map[string]any{"ClientAuthentication": ca}}))
	}
	versions := map[string]string{}
	for name, arn := range map[string]string{"orders": e.orders, "plain": e.plain, "loose": e.loose} {
		versions[name] = str(clusterInfo(c, "a", arn), "CurrentVersion")
	}

	for _, f := range []struct {
		name, code, message, profile, arn, version, info string
	}{
		{"stale version", "BadRequestException", "is not the current version", "a", e.orders, "AAAAAAAAAAAAAA", on("Iam")},
		{"unauthenticated-only cluster", "BadRequestException", "unauthenticated cluster", "a", e.plain, versions["plain"], on("Iam")},
		{"SCRAM without ACLs", "BadRequestException", "allow.everyone.if.no.acl.found", "a", e.loose, versions["loose"], on("Scram")},
		{"a scheme the cluster lacks", "BadRequestException", "TLS client authentication", "a", e.loose, versions["loose"], on("Tls")},
		{"public access", "BadRequestException", "public access", "a", e.orders, versions["orders"], `{"PublicAccess":{"Type":"SERVICE_PROVIDED_EIPS"}}`},
		{"another account", "ForbiddenException", "kafka:UpdateConnectivity", "b", e.orders, versions["orders"], on("Iam")},
	} {
		stderr := c.fails(f.code, f.profile, "kafka", "update-connectivity", "--cluster-arn", f.arn, "--current-version", f.version, "--connectivity-info", f.info)
		if !strings.Contains(stderr, f.message) {
			t.Errorf("update-connectivity, %s: got %q; want %q", f.name, strings.TrimSpace(stderr), f.message)
		}
	}
	for name, arn := range map[string]string{"orders": e.orders, "plain": e.plain, "loose": e.loose} {
		if got := str(clusterInfo(c, "a", arn), "CurrentVersion"); got != versions[name] {
			t.Errorf("%s after refused updates: current version %s; want %s", name, got, versions[name])
		}
	}

	out := c.ok("a", "kafka", "update-connectivity", "--cluster-arn", e.orders, "--current-version", versions["orders"], "--connectivity-info", on("Iam", "Tls"))
	if str(out, "ClusterArn") != e.orders || !strings.HasPrefix(str(out, "ClusterOperationArn"), "arn:aws:kafka:us-east-1:111111111111:cluster-operation/orders/") {
		t.Errorf("update-connectivity: got %v", out)
	}
	info := clusterInfo(c, "a", e.orders)
	vc := get(info, "BrokerNodeGroupInfo", "ConnectivityInfo", "VpcConnectivity", "ClientAuthentication").(map[string]any)
	if get(vc, "Sasl", "Iam", "Enabled") != true || get(vc, "Tls", "Enabled") != true || get(vc, "Sasl", "Scram", "Enabled") != false {
		t.Errorf("vpc connectivity after update: got %v; want IAM and TLS on", vc)
	}
	next := str(info, "CurrentVersion")
	if next == versions["orders"] || len(next) != 14 {
		t.Errorf("current version after update: got %q (was %q); want a new one", next, versions["orders"])
	}
	// The version it replaced is stale now.
	c.fails("BadRequestException", "a", "kafka", "update-connectivity", "--cluster-arn", e.orders, "--current-version", versions["orders"], "--connectivity-info", on("Iam"))
	// Connectivity info without VPC connectivity keeps it as it is.
	c.ok("a", "kafka", "update-connectivity", "--cluster-arn", e.orders, "--current-version", next, "--connectivity-info", `{"PublicAccess":{"Type":"DISABLED"}}`)
	info = clusterInfo(c, "a", e.orders)
	if got := get(info, "BrokerNodeGroupInfo", "ConnectivityInfo", "VpcConnectivity", "ClientAuthentication", "Tls", "Enabled"); got != true {
		t.Errorf("TLS connectivity after a public-access-only update: got %v; want true", got)
	}
	// IAM alone is fine without ACLs; turning everything off too. A user
	// needs kafka:UpdateConnectivity, nothing else.
	c.profile("netops", e.user(kafkaOwner, "netops", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kafka:UpdateConnectivity","Resource":"*"}]}`))
	c.ok("netops", "kafka", "update-connectivity", "--cluster-arn", e.loose, "--current-version", versions["loose"], "--connectivity-info", on("Iam"))
	c.ok("a", "kafka", "update-connectivity", "--cluster-arn", e.orders, "--current-version", str(info, "CurrentVersion"), "--connectivity-info", on())
	if got := get(clusterInfo(c, "a", e.orders), "BrokerNodeGroupInfo", "ConnectivityInfo", "VpcConnectivity", "ClientAuthentication", "Sasl", "Iam", "Enabled"); got != false {
		t.Errorf("IAM connectivity after turning it off: got %v; want false", got)
	}
}

// With a connectivity realizer attached (the daemon's; here the test
// holds it), update-connectivity leaves the cluster UPDATING: both
// describe calls say so, further updates and new VPC connections are
// refused, and the cluster is ACTIVE once the realizer records the change.
func TestKafkaUpdateConnectivityUpdatingWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	e := newKafkaEnv(t)
	c := e.cli(t)
	e.msk.AttachConnectivityRealizer()
	e.putPolicy(e.orders, basicPolicy(e.orders, kafkaClient))
	on := `{"VpcConnectivity":{"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}}`
	state := func(command string) string {
		t.Helper()
		return str(get(c.ok("a", "kafka", command, "--cluster-arn", e.orders), "ClusterInfo").(map[string]any), "State")
	}

	before := str(clusterInfo(c, "a", e.orders), "CurrentVersion")
	c.ok("a", "kafka", "update-connectivity", "--cluster-arn", e.orders, "--current-version", before, "--connectivity-info", on)
	for _, command := range []string{"describe-cluster", "describe-cluster-v2"} {
		if got := state(command); got != msk.StateUpdating {
			t.Errorf("%s after update-connectivity: got state %s; want UPDATING", command, got)
		}
	}
	rec, err := e.msk.PendingConnectivity(context.Background())
	if err != nil || len(rec) != 1 || rec[0].Identity.ARN() != e.orders {
		t.Fatalf("PendingConnectivity: got %v %v; want orders", rec, err)
	}
	next := rec[0].CurrentVersion
	for _, f := range []struct {
		profile string
		args    []string
	}{
		{"a", []string{"update-connectivity", "--cluster-arn", e.orders, "--current-version", next, "--connectivity-info", on}},
		{"b", []string{"create-vpc-connection", "--target-cluster-arn", e.orders, "--authentication", "SASL_IAM", "--vpc-id", e.vpcB,
			"--client-subnets", e.clientSubnets[0], e.clientSubnets[1], "--security-groups", e.groupB}},
	} {
		if stderr := c.fails("BadRequestException", f.profile, append([]string{"kafka"}, f.args...)...); !strings.Contains(stderr, "UPDATING") {
			t.Errorf("%s while UPDATING: got %q; want the state named", f.args[0], strings.TrimSpace(stderr))
		}
	}

	if done, err := e.msk.ConnectivityRealized(context.Background(), e.orders, next); !done || err != nil {
		t.Fatalf("ConnectivityRealized: got %v %v; want true, nil", done, err)
	}
	info := get(c.ok("a", "kafka", "describe-cluster-v2", "--cluster-arn", e.orders), "ClusterInfo").(map[string]any)
	if str(info, "State") != msk.StateActive || str(info, "CurrentVersion") != next ||
		get(info, "Provisioned", "BrokerNodeGroupInfo", "ConnectivityInfo", "VpcConnectivity", "ClientAuthentication", "Sasl", "Iam", "Enabled") != true {
		t.Errorf("describe-cluster-v2 once realized: got %v; want ACTIVE, version %s, IAM connectivity on", info, next)
	}
}

func TestKafkaClusterPolicyWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	e := newKafkaEnv(t)
	c := e.cli(t)
	c.fails("NotFoundException", "a", "kafka", "get-cluster-policy", "--cluster-arn", e.orders)

	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":[` +
		strings.Repeat(`"kafka:DescribeCluster",`, 1000) + `"kafka:DescribeClusterV2"],"Resource":"` + e.orders + `"}]}`
	for _, f := range []struct{ name, doc, message string }{
		{"not JSON", "not json", ""},
		{"bad effect", strings.Replace(basicPolicy(e.orders, kafkaClient), `"Allow"`, `"Alow"`, 1), ""},
		{"no principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kafka:*","Resource":"*"}]}`, ""},
		{"over 20 KB", big, "limit is 20480"},
	} {
		stderr := c.fails("BadRequestException", "a", "kafka", "put-cluster-policy", "--cluster-arn", e.orders, "--policy", f.doc)
		if !strings.Contains(stderr, f.message) {
			t.Errorf("put-cluster-policy, %s: got %q; want %q", f.name, strings.TrimSpace(stderr), f.message)
		}
	}
	c.fails("NotFoundException", "a", "kafka", "get-cluster-policy", "--cluster-arn", e.orders)

	doc := basicPolicy(e.orders, kafkaClient)
	v1 := str(c.ok("a", "kafka", "put-cluster-policy", "--cluster-arn", e.orders, "--policy", doc), "CurrentVersion")
	if v1 == "" {
		t.Fatal("put-cluster-policy: no CurrentVersion")
	}
	got := c.ok("a", "kafka", "get-cluster-policy", "--cluster-arn", e.orders)
	if str(got, "Policy") != doc || str(got, "CurrentVersion") != v1 {
		t.Errorf("get-cluster-policy: got %v; want the policy at version %s", got, v1)
	}
	if stderr := c.fails("BadRequestException", "a", "kafka", "put-cluster-policy", "--cluster-arn", e.orders, "--policy", doc, "--current-version", "K0"); !strings.Contains(stderr, "not the current version") {
		t.Errorf("put-cluster-policy with a stale version: got %q", stderr)
	}
	if got := str(c.ok("a", "kafka", "get-cluster-policy", "--cluster-arn", e.orders), "CurrentVersion"); got != v1 {
		t.Errorf("after a stale put: version %s; want %s", got, v1)
	}
	v2 := str(c.ok("a", "kafka", "put-cluster-policy", "--cluster-arn", e.orders, "--policy", doc, "--current-version", v1), "CurrentVersion")
	if v2 == "" || v2 == v1 {
		t.Errorf("put-cluster-policy with the current version: got version %q; want a new one (was %s)", v2, v1)
	}
	c.fails("BadRequestException", "a", "kafka", "put-cluster-policy", "--cluster-arn", e.orders, "--policy", doc, "--current-version", v1)

	// The policy gives b what it says and no more.
	c.ok("b", "kafka", "describe-cluster", "--cluster-arn", e.orders)
	for _, args := range [][]string{
		{"get-cluster-policy", "--cluster-arn", e.orders},
		{"delete-cluster-policy", "--cluster-arn", e.orders},
		{"put-cluster-policy", "--cluster-arn", e.orders, "--policy", basicPolicy(e.orders, kafkaClient)},
		{"list-client-vpc-connections", "--cluster-arn", e.orders},
	} {
		c.fails("ForbiddenException", "b", append([]string{"kafka"}, args...)...)
	}

	c.ok("a", "kafka", "delete-cluster-policy", "--cluster-arn", e.orders)
	c.fails("NotFoundException", "a", "kafka", "get-cluster-policy", "--cluster-arn", e.orders)
	c.fails("ForbiddenException", "b", "kafka", "describe-cluster", "--cluster-arn", e.orders)
}

func TestKafkaVpcConnectionsWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	e := newKafkaEnv(t)
	c := e.cli(t)
	e.connectivity(e.orders, msk.SchemeIAM)
	create := func(args ...string) []string {
		base := []string{"kafka", "create-vpc-connection", "--target-cluster-arn", e.orders, "--authentication", "SASL_IAM", "--vpc-id", e.vpcB,
			"--client-subnets"}
		return append(append(base, e.clientSubnets...), append([]string{"--security-groups", e.groupB}, args...)...)
	}

	// Without a cluster policy, account b may not connect.
	if stderr := c.fails("ForbiddenException", "b", create()...); !strings.Contains(stderr, "kafka:CreateVpcConnection") {
		t.Errorf("create-vpc-connection without a cluster policy: got %q; want a denial of kafka:CreateVpcConnection", stderr)
	}
	e.putPolicy(e.orders, basicPolicy(e.orders, kafkaClient))

	// b's users need the action in their identity policy too.
	for name, doc := range map[string]string{
		"reader":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka:Describe*","kafka:List*","ec2:*"],"Resource":"*"}]}`,
		"noendpoint": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kafka:*","Resource":"*"}]}`,
	} {
		c.profile(name, e.user(kafkaClient, name, doc))
		c.fails("ForbiddenException", name, create()...)
	}
	c.profile("app", e.user(kafkaClient, "app", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kafka:*","ec2:CreateVPCEndpoint"],"Resource":"*"}]}`))

	// What MSK refuses.
	withSubnets := func(subnets ...string) []string {
		return append(append([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", e.orders, "--authentication", "SASL_IAM", "--vpc-id", e.vpcB,
			"--client-subnets"}, subnets...), "--security-groups", e.groupB)
	}
	for _, f := range []struct {
		name, message string
		args          []string
	}{
		{"one subnet", "at least two subnets", withSubnets(e.subnetB["use1-az1"])},
		{"a zone the cluster lacks", "use1-az4", withSubnets(e.subnetB["use1-az1"], e.subnetB["use1-az4"])},
		{"two subnets in one zone", "same Availability Zone", withSubnets(e.subnetB["use1-az1"], e.subnetBAgain)},
		{"a subnet of another VPC", "is not in the VPC", withSubnets(e.subnetB["use1-az1"], e.otherSubnetB)},
		{"a subnet of another account", "does not exist", withSubnets(e.subnetB["use1-az1"], e.subnetsA[1])},
		{"an unknown subnet", "subnet-0123456789abcdef0", withSubnets(e.subnetB["use1-az1"], "subnet-0123456789abcdef0")},
		{"an unknown VPC", "vpc-0123456789abcdef0", slices.Concat([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", e.orders,
			"--authentication", "SASL_IAM", "--vpc-id", "vpc-0123456789abcdef0", "--client-subnets"}, e.clientSubnets, []string{"--security-groups", e.groupB})},
		{"a VPC of another account", e.vpcA, slices.Concat([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", e.orders,
			"--authentication", "SASL_IAM", "--vpc-id", e.vpcA, "--client-subnets"}, e.clientSubnets, []string{"--security-groups", e.groupB})},
		{"a security group of another VPC", "is not in the VPC", slices.Concat([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", e.orders,
			"--authentication", "SASL_IAM", "--vpc-id", e.vpcB, "--client-subnets"}, e.clientSubnets, []string{"--security-groups", e.otherGroupB})},
		{"no security group", "security group", slices.Concat([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", e.orders,
			"--authentication", "SASL_IAM", "--vpc-id", e.vpcB, "--client-subnets"}, e.clientSubnets, []string{"--security-groups"})},
		{"an auth scheme not turned on", "not turned on for SASL_SCRAM", slices.Concat([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", e.orders,
			"--authentication", "SASL_SCRAM", "--vpc-id", e.vpcB, "--client-subnets"}, e.clientSubnets, []string{"--security-groups", e.groupB})},
		{"an unknown auth scheme", "SASL_IAM, SASL_SCRAM or TLS", slices.Concat([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", e.orders,
			"--authentication", "PLAINTEXT", "--vpc-id", e.vpcB, "--client-subnets"}, e.clientSubnets, []string{"--security-groups", e.groupB})},
		{"a reserved tag", "aws:", create("--tags", "aws:x=y")},
		{"a malformed cluster ARN", "not valid", slices.Concat([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", "orders",
			"--authentication", "SASL_IAM", "--vpc-id", e.vpcB, "--client-subnets"}, e.clientSubnets, []string{"--security-groups", e.groupB})},
	} {
		stderr := c.fails("BadRequestException", "app", f.args...)
		if !strings.Contains(stderr, f.message) {
			t.Errorf("create-vpc-connection, %s: got %q; want %q", f.name, strings.TrimSpace(stderr), f.message)
		}
	}
	// A cluster b may not see: Forbidden; one that does not exist: NotFound.
	c.fails("ForbiddenException", "app", slices.Concat([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", e.loose,
		"--authentication", "SASL_IAM", "--vpc-id", e.vpcB, "--client-subnets"}, e.clientSubnets, []string{"--security-groups", e.groupB})...)
	c.fails("NotFoundException", "app", slices.Concat([]string{"kafka", "create-vpc-connection", "--target-cluster-arn", strings.Replace(e.orders, "/orders/", "/gone/", 1),
		"--authentication", "SASL_IAM", "--vpc-id", e.vpcB, "--client-subnets"}, e.clientSubnets, []string{"--security-groups", e.groupB})...)
	if got := items(c.ok("b", "kafka", "list-vpc-connections"), "VpcConnections"); len(got) != 0 {
		t.Fatalf("list-vpc-connections after refused creates: got %v; want none", got)
	}

	// A connection, by b's user.
	out := c.ok("app", create("--tags", "team=data")...)
	arn := str(out, "VpcConnectionArn")
	if !strings.HasPrefix(arn, "arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders/") || str(out, "State") != "CREATING" ||
		str(out, "Authentication") != "SASL_IAM" || str(out, "VpcId") != e.vpcB || !slices.Equal(strs(get(out, "ClientSubnets")), e.clientSubnets) ||
		!slices.Equal(strs(get(out, "SecurityGroups")), []string{e.groupB}) || get(out, "Tags", "team") != "data" || str(out, "CreationTime") == "" {
		t.Errorf("create-vpc-connection: got %v", out)
	}
	d := c.ok("b", "kafka", "describe-vpc-connection", "--arn", arn)
	if str(d, "VpcConnectionArn") != arn || str(d, "TargetClusterArn") != e.orders || str(d, "State") != "CREATING" || str(d, "VpcId") != e.vpcB ||
		!slices.Equal(strs(get(d, "Subnets")), e.clientSubnets) || get(d, "Tags", "team") != "data" {
		t.Errorf("describe-vpc-connection: got %v", d)
	}
	c.fails("NotFoundException", "a", "kafka", "describe-vpc-connection", "--arn", arn) // the owner's account only
	c.fails("NotFoundException", "b", "kafka", "describe-vpc-connection", "--arn", arn[:strings.LastIndex(arn, "/")+1]+"00000000-0000-4000-8000-000000000000")
	c.fails("BadRequestException", "b", "kafka", "describe-vpc-connection", "--arn", "arn:aws:kafka:us-east-1:222222222222:vpc-connection/nope")

	if got := items(c.ok("b", "kafka", "list-vpc-connections"), "VpcConnections"); len(got) != 1 || str(got[0], "VpcConnectionArn") != arn ||
		str(got[0], "TargetClusterArn") != e.orders || str(got[0], "State") != "CREATING" || str(got[0], "Authentication") != "SASL_IAM" {
		t.Errorf("list-vpc-connections as b: got %v", got)
	}
	if got := items(c.ok("a", "kafka", "list-vpc-connections"), "VpcConnections"); len(got) != 0 {
		t.Errorf("list-vpc-connections as a: got %v; want none", got)
	}
	clients := items(c.ok("a", "kafka", "list-client-vpc-connections", "--cluster-arn", e.orders), "ClientVpcConnections")
	if len(clients) != 1 || str(clients[0], "VpcConnectionArn") != arn || str(clients[0], "Owner") != kafkaClient || str(clients[0], "State") != "CREATING" {
		t.Errorf("list-client-vpc-connections: got %v; want b's connection", clients)
	}
	if got := items(c.ok("a", "kafka", "list-client-vpc-connections", "--cluster-arn", e.plain), "ClientVpcConnections"); len(got) != 0 {
		t.Errorf("list-client-vpc-connections of plain: got %v; want none", got)
	}

	// The realizer opens its endpoint: b's bootstrap string, not a's.
	ctx := context.Background()
	if err := e.msk.SetVpcConnectionState(ctx, arn, msk.StateAvailable, "vpce-1.orders.kafkalink.test:14001", ""); err != nil {
		t.Fatal(err)
	}
	if boot := c.ok("b", "kafka", "get-bootstrap-brokers", "--cluster-arn", e.orders); !mapsEqual(boot, map[string]any{
		"BootstrapBrokerStringVpcConnectivitySaslIam": "vpce-1.orders.kafkalink.test:14001"}) {
		t.Errorf("get-bootstrap-brokers as b: got %v; want its VPC connection's string", boot)
	}
	if boot := c.ok("a", "kafka", "get-bootstrap-brokers", "--cluster-arn", e.orders); get(boot, "BootstrapBrokerStringVpcConnectivitySaslIam") != nil || get(boot, "BootstrapBrokerStringSaslIam") == nil {
		t.Errorf("get-bootstrap-brokers as a: got %v; want its own strings only", boot)
	}

	// The owner rejects it.
	c.fails("ForbiddenException", "b", "kafka", "reject-client-vpc-connection", "--cluster-arn", e.orders, "--vpc-connection-arn", arn)
	c.fails("NotFoundException", "a", "kafka", "reject-client-vpc-connection", "--cluster-arn", e.plain, "--vpc-connection-arn", arn)
	c.ok("a", "kafka", "reject-client-vpc-connection", "--cluster-arn", e.orders, "--vpc-connection-arn", arn)
	if got := str(c.ok("b", "kafka", "describe-vpc-connection", "--arn", arn), "State"); got != "REJECTED" {
		t.Errorf("describe-vpc-connection after reject: state %s; want REJECTED", got)
	}
	if got := str(items(c.ok("a", "kafka", "list-client-vpc-connections", "--cluster-arn", e.orders), "ClientVpcConnections")[0], "State"); got != "REJECTED" {
		t.Errorf("list-client-vpc-connections after reject: state %s; want REJECTED", got)
	}
	if boot := c.ok("b", "kafka", "get-bootstrap-brokers", "--cluster-arn", e.orders); len(boot) != 0 {
		t.Errorf("get-bootstrap-brokers as b after reject: got %v; want nothing", boot)
	}
	c.fails("BadRequestException", "a", "kafka", "reject-client-vpc-connection", "--cluster-arn", e.orders, "--vpc-connection-arn", arn)
	if err := e.msk.SetVpcConnectionState(ctx, arn, msk.StateAvailable, "vpce-1.orders.kafkalink.test:14001", ""); err != nil {
		t.Fatal(err)
	}
	if got := str(c.ok("b", "kafka", "describe-vpc-connection", "--arn", arn), "State"); got != "REJECTED" {
		t.Errorf("a rejected connection realized late: state %s; want REJECTED", got)
	}

	// b deletes its connections; a sees them gone.
	second := str(c.ok("b", create()...), "VpcConnectionArn")
	c.fails("NotFoundException", "a", "kafka", "delete-vpc-connection", "--arn", second)
	for _, vc := range []string{arn, second} {
		del := c.ok("b", "kafka", "delete-vpc-connection", "--arn", vc)
		if str(del, "VpcConnectionArn") != vc || str(del, "State") != "DELETING" {
			t.Errorf("delete-vpc-connection: got %v; want %s DELETING", del, vc)
		}
		c.fails("NotFoundException", "b", "kafka", "describe-vpc-connection", "--arn", vc)
		c.fails("NotFoundException", "b", "kafka", "delete-vpc-connection", "--arn", vc)
	}
	if got := items(c.ok("a", "kafka", "list-client-vpc-connections", "--cluster-arn", e.orders), "ClientVpcConnections"); len(got) != 0 {
		t.Errorf("list-client-vpc-connections after delete: got %v; want none", got)
	}
	if got := items(c.ok("b", "kafka", "list-vpc-connections"), "VpcConnections"); len(got) != 0 {
		t.Errorf("list-vpc-connections after delete: got %v; want none", got)
	}
}

// kafkaBoto3Out is what kafka_boto3.py prints.
type kafkaBoto3Out struct {
	boto3Out
	Conns    []string          `json:"conns"`
	Created  map[string]string `json:"created"`
	Versions map[string]string `json:"versions"`
}

// boto3 runs a phase of kafka_boto3.py with fixture and returns what it
// printed, having checked that every response conformed to the model.
func (e *kafkaEnv) boto3(t *testing.T, phase string, fixture map[string]any) kafkaBoto3Out {
	t.Helper()
	what := "kafka_boto3.py phase " + phase
	var out kafkaBoto3Out
	decodeBoto3(t, what, execBoto3(t, "kafka_boto3.py", e.url, e.dir, e.accounts, fixture, "PHASE="+phase), &out)
	out.conforms(t, what)
	return out
}

// checkBoto3Errors checks the error codes (and message parts) the script
// recorded.
func checkBoto3Errors(t *testing.T, out kafkaBoto3Out, want map[string][2]string) {
	t.Helper()
	for name, w := range want {
		if got, ok := out.Errors[name]; !ok || got != w[0] {
			t.Errorf("boto3 %s: got error %q; want %s", name, got, w[0])
		}
		if got := out.Messages[name]; !strings.Contains(got, w[1]) {
			t.Errorf("boto3 %s: got message %q; want %q", name, got, w[1])
		}
	}
}

// checkBoto3Values checks values the script recorded, compared as JSON.
func checkBoto3Values(t *testing.T, out kafkaBoto3Out, want map[string]any) {
	t.Helper()
	for name, w := range want {
		if got, want := string(mustJSON(out.Values[name])), string(mustJSON(w)); got != want {
			t.Errorf("boto3 %s: got %s; want %s", name, got, want)
		}
	}
}

func TestKafkaWithBoto3(t *testing.T) {
	t.Parallel()
	e := newKafkaEnv(t)
	e.msk.EnableProvisioning() // CreateClusterV2 records clusters; nothing provisions them but the test
	fixture := map[string]any{
		"orders": e.orders, "plain": e.plain, "loose": e.loose, "vpcB": e.vpcB, "groupB": e.groupB, "clientSubnets": e.clientSubnets,
		"subnetAz4": e.subnetB["use1-az4"], "subnetBAgain": e.subnetBAgain, "otherSubnetB": e.otherSubnetB, "otherGroupB": e.otherGroupB,
		"subnetsA": e.subnetsA, "groupA": e.groupA,
	}
	out := e.boto3(t, "1", fixture)
	if out.Calls < 50 {
		t.Errorf("the model check saw %d calls; want every one (over 50)", out.Calls)
	}

	for _, p := range []struct {
		op         string
		wantPages  []int
		wantListed []string
	}{
		{"list_clusters_v2", []int{1, 1, 1}, []string{"loose", "orders", "plain"}},
		{"list_vpc_connections", []int{3, 3, 1}, out.Conns},
		{"list_client_vpc_connections", []int{3, 3, 1}, out.Conns},
	} {
		if got := out.Pages[p.op]; !slices.Equal(got, p.wantPages) {
			t.Errorf("%s paginator: got pages of %v; want %v", p.op, got, p.wantPages)
		}
		if got := out.Listed[p.op]; !slices.Equal(got, p.wantListed) {
			t.Errorf("%s paginator: listed %v; want %v", p.op, got, p.wantListed)
		}
	}
	if len(out.Conns) != 7 {
		t.Fatalf("created %d VPC connections; want 7", len(out.Conns))
	}
	metrics, events := out.Created["metrics"], out.Created["events"]
	for name, arn := range map[string]string{"metrics": metrics, "events": events} {
		if want := "arn:aws:kafka:us-east-1:" + kafkaOwner + ":cluster/" + name + "/"; !strings.HasPrefix(arn, want) {
			t.Fatalf("create-cluster-v2 %s: got ARN %q; want %s…", name, arn, want)
		}
	}
	for name, want := range map[string][]string{
		"list_clusters_v2_filtered":    {"loose"},
		"list_clusters_v2_b":           nil,
		"list_vpc_connections_a":       nil,
		"client_after_delete":          slices.Concat(out.Conns[:1], out.Conns[2:]),
		"list_clusters_v2_serverless":  {"events"},
		"list_clusters_v2_provisioned": {"loose", "metrics", "orders", "plain"},
		"list_clusters_v2_created":     {events, e.loose, metrics, e.orders, e.plain},
	} {
		if got := out.Listed[name]; !slices.Equal(got, want) {
			t.Errorf("%s: listed %v; want %v", name, got, want)
		}
	}

	for name, want := range map[string]string{
		"connectivity_stale": "BadRequestException", "connectivity_unauthenticated": "BadRequestException",
		"connectivity_no_acls": "BadRequestException", "connectivity_b": "ForbiddenException",
		"get_policy_none": "NotFoundException", "create_without_policy": "ForbiddenException",
		"put_policy_invalid": "BadRequestException", "put_policy_big": "BadRequestException", "put_policy_stale": "BadRequestException",
		"get_policy_deleted": "NotFoundException",
		"create_one_subnet":  "BadRequestException", "create_zone_lacking": "BadRequestException", "create_same_zone": "BadRequestException",
		"create_other_vpc_subnet": "BadRequestException", "create_unknown_vpc": "BadRequestException", "create_other_vpc_group": "BadRequestException",
		"create_scheme_off": "BadRequestException", "create_unknown_cluster": "NotFoundException", "create_malformed_cluster": "BadRequestException",
		"bad_token": "BadRequestException", "bad_max_results": "BadRequestException",
		"big_max_results": "BadRequestException", "create_no_subnets": "BadRequestException",
		"reject_again": "BadRequestException", "reject_by_b": "ForbiddenException", "delete_by_a": "NotFoundException",
		"describe_deleted": "NotFoundException", "describe_unknown": "NotFoundException", "describe_v2_unknown": "NotFoundException",
		"bootstrap_unknown": "NotFoundException", "describe_malformed": "BadRequestException", "vpc_connection_malformed": "BadRequestException",
		"describe_b_forbidden": "ForbiddenException",
	} {
		if got, ok := out.Errors[name]; !ok || got != want {
			t.Errorf("boto3 %s: got error %q; want %s", name, got, want)
		}
	}
	checkBoto3Errors(t, out, map[string][2]string{
		"create_existing":               {"ConflictException", "already exists"},
		"create_serverless_without_iam": {"BadRequestException", "IAM client authentication only"},
		"describe_serverless":           {"BadRequestException", "DescribeClusterV2"},
		"update_security_creating":      {"BadRequestException", "CREATING state"},
		"delete_configured":             {"BadRequestException", "configuration"},
		"delete_by_b":                   {"ForbiddenException", "kafka:DeleteCluster"},
	})

	values := string(mustJSON(out.Values))
	for _, want := range []string{
		`"describe_cluster":{"brokers":3,"creation_time_type":"datetime","name":"orders","state":"ACTIVE"}`,
		`"describe_cluster_v2":{"iam":true,"type":"PROVISIONED","version":"`,
		`"bootstrap_plain":{"BootstrapBrokerString":"b-1.plain.kafkalink.test:9092,b-2.plain.kafkalink.test:9092,b-3.plain.kafkalink.test:9092"}`,
		`"create_states":["CREATING","CREATING","CREATING","CREATING","CREATING","CREATING","CREATING"]`,
		`"nodes":[1,2,3]`,
		`"policy_round_trip":true`,
		`"rejected_state":"REJECTED"`,
		`"tags":{"team":"data"}`,
		`"update_connectivity":"` + e.orders + `"`,
		`"deleted":{"arn":"` + out.Conns[1] + `","state":"DELETING"}`,
		`"describe_vpc_connection":{"arn":"` + out.Conns[0] + `","cluster":"` + e.orders + `","state":"CREATING","tags":{"n":"0"}}`,
	} {
		if !strings.Contains(values, want) {
			t.Errorf("boto3 values: got %s; want %s", values, want)
		}
	}
	zones := []string{"use1-az1", "use1-az2", "use1-az3"}
	describedMetrics := func(state string, tags map[string]string) map[string]any {
		return map[string]any{"name": "metrics", "type": "PROVISIONED", "state": state, "tags": tags, "auth": []string{"Iam", "Scram"},
			"members": []string{"Provisioned"}, "brokers": 3, "kafka": "3.6.0", "subnets": e.subnetsA, "zones": zones}
	}
	describedEvents := func(state string) map[string]any {
		return map[string]any{"name": "events", "type": "SERVERLESS", "state": state, "tags": map[string]string{}, "auth": []string{"Iam"},
			"members": []string{"Serverless"}, "vpcs": []any{map[string]any{"SubnetIds": e.subnetsA, "SecurityGroupIds": []string{e.groupA}}}}
	}
	checkBoto3Values(t, out, map[string]any{
		"create_metrics":            map[string]string{"ClusterName": "metrics", "ClusterType": "PROVISIONED", "State": "CREATING"},
		"create_events":             map[string]string{"ClusterName": "events", "ClusterType": "SERVERLESS", "State": "CREATING"},
		"describe_metrics_creating": describedMetrics("CREATING", map[string]string{"env": "dev", "owner": "a"}),
		"describe_events_creating":  describedEvents("CREATING"),
		"cluster_tags":              map[string]string{"env": "dev", "team": "data"},
		"nodes_creating":            []any{},
	})

	// The provisioner's part: start what CreateClusterV2 asked for, as its
	// request says.
	ctx := context.Background()
	requested, err := e.msk.Requested(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range requested {
		names = append(names, c.Identity.Name)
		if c.State != msk.StateCreating {
			t.Errorf("requested %s: got state %s; want CREATING", c.Identity.Name, c.State)
		}
		if got, want := c.Identity.ARN(), out.Created[c.Identity.Name]; got != want {
			t.Errorf("requested %s: got ARN %s; want %s", c.Identity.Name, got, want)
		}
		r := c.Request
		ports := map[string]int{string(msk.SchemeIAM): 9098}
		if r.Auth.SCRAM {
			ports[string(msk.SchemeSCRAM)] = 9096
		}
		spec := msk.Spec{Identity: r.Identity, KafkaVersion: r.KafkaVersion, Brokers: r.Brokers, Auth: r.Auth, ACLsInForce: true,
			Subnets: r.Subnets, SecurityGroups: r.SecurityGroups, ZoneIDs: r.SubnetZones, Serverless: r.Serverless, VpcConfigs: r.VpcConfigs,
			Bootstrap: kafkaBootstrap(r.Identity.Name, ports)}
		if !r.Serverless {
			spec.Nodes = func() []msk.Node {
				var nodes []msk.Node
				for id := 1; id <= r.Brokers; id++ {
					nodes = append(nodes, msk.Node{ID: int32(id), Hosts: []string{fmt.Sprintf("b-%d.%s.kafkalink.test", id, r.Identity.Name)}})
				}
				return nodes
			}
		}
		if err := e.msk.Provisioned(ctx, spec); err != nil {
			t.Fatalf("provisioned %s: %v", c.Identity.Name, err)
		}
	}
	if !slices.Equal(names, []string{"events", "metrics"}) {
		t.Fatalf("requested clusters: got %v; want events, metrics", names)
	}

	fixture["metrics"], fixture["events"] = metrics, events
	out2 := e.boto3(t, "2", fixture)
	if out2.Calls < 13 {
		t.Errorf("the model check saw %d calls in phase 2; want every one (13)", out2.Calls)
	}
	for _, op := range []string{"CreateClusterV2", "DescribeClusterV2", "DescribeCluster", "ListClustersV2", "UpdateSecurity", "DeleteCluster",
		"TagResource", "UntagResource", "ListTagsForResource", "ListNodes", "GetBootstrapBrokers"} {
		if !slices.Contains(out.Operations, op) && !slices.Contains(out2.Operations, op) {
			t.Errorf("the model check saw no %s call (saw %v and %v)", op, out.Operations, out2.Operations)
		}
	}
	checkBoto3Errors(t, out2, map[string][2]string{
		"update_security_stale":          {"BadRequestException", "not the current version"},
		"update_security_serverless":     {"BadRequestException", "Serverless clusters"},
		"update_security_everything_off": {"BadRequestException", "At least one client authentication"},
		"delete_stale":                   {"BadRequestException", "not the current version"},
	})
	// list-nodes: the brokers the provisioner reports, each in one of the
	// cluster's subnets.
	listed, _ := out2.Values["nodes_metrics"].([]any)
	nodes := []any{}
	for id := 1; id <= 3; id++ {
		var subnet any
		if len(listed) == 3 {
			n, _ := listed[id-1].(map[string]any)
			subnet = n["subnet"]
		}
		if s, _ := subnet.(string); !slices.Contains(e.subnetsA, s) {
			t.Errorf("list-nodes metrics broker %d: got client subnet %v; want one of %v", id, subnet, e.subnetsA)
		}
		nodes = append(nodes, map[string]any{"id": id, "subnet": subnet, "type": "BROKER", "endpoints": []string{fmt.Sprintf("b-%d.metrics.kafkalink.test", id)}})
	}
	checkBoto3Values(t, out2, map[string]any{
		"describe_metrics_active": describedMetrics("ACTIVE", map[string]string{"env": "dev", "team": "data"}),
		"describe_events_active":  describedEvents("ACTIVE"),
		"bootstrap_metrics": map[string]string{
			"BootstrapBrokerStringSaslIam":   "b-1.metrics.kafkalink.test:9098,b-2.metrics.kafkalink.test:9098,b-3.metrics.kafkalink.test:9098",
			"BootstrapBrokerStringSaslScram": "b-1.metrics.kafkalink.test:9096,b-2.metrics.kafkalink.test:9096,b-3.metrics.kafkalink.test:9096",
		},
		"nodes_metrics":             nodes,
		"after_update_security":     map[string]any{"state": "UPDATING", "new_version": true},
		"delete_metrics":            map[string]string{"arn": metrics, "state": "DELETING"},
		"delete_events":             map[string]string{"arn": events, "state": "DELETING"},
		"describe_metrics_deleting": "DELETING",
	})
	op, _ := get(out2.Values, "update_security", "operation").(string)
	if got := get(out2.Values, "update_security", "arn"); got != metrics || !strings.HasPrefix(op, "arn:aws:kafka:us-east-1:"+kafkaOwner+":cluster-operation/metrics/") {
		t.Errorf("update-security: got %v; want the cluster's ARN and a cluster operation of it", out2.Values["update_security"])
	}

	// What the provisioner sees next: both to stop; metrics asked for IAM
	// alone.
	requested, err = e.msk.Requested(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range requested {
		if c.State != msk.StateDeleting {
			t.Errorf("requested %s after delete-cluster: got state %s; want DELETING", c.Identity.Name, c.State)
		}
		if want := (msk.ClientAuth{IAM: true}); c.Identity.Name == "metrics" && c.Request.Auth != want {
			t.Errorf("requested metrics after update-security: got auth %+v; want %+v", c.Request.Auth, want)
		}
	}
	if len(requested) != 2 {
		t.Errorf("requested clusters after delete-cluster: got %d; want 2 (DELETING until deprovisioned)", len(requested))
	}
}

// kafkaState is what the kafka service may change in the store: cluster
// records, VPC connections and cluster policies, with their revisions.
func (e *kafkaEnv) kafkaState() map[string]string {
	e.tb.Helper()
	return storeState(e.tb, e.st, e.msk.ClusterPrefix(), e.msk.VpcConnectionPrefix(), "clusters/")
}

func TestKafkaBadRequests(t *testing.T) {
	t.Parallel()
	e := newKafkaEnv(t)
	e.connectivity(e.orders, msk.SchemeIAM)
	e.putPolicy(e.orders, basicPolicy(e.orders, kafkaClient))
	vc := mustJSON(map[string]any{"targetClusterArn": e.orders, "authentication": "SASL_IAM", "vpcId": e.vpcB, "clientSubnets": e.clientSubnets, "securityGroups": []string{e.groupB}})
	if st, h, body := e.do(e.accounts["b"], http.MethodPost, "/v1/vpc-connection", nil, vc); st != http.StatusOK || restJSONProblem(http.MethodPost, st, h, body) != "" {
		t.Fatalf("create-vpc-connection: got %d %s", st, body)
	}
	before := e.kafkaState()

	orders := "/v1/clusters/" + url.PathEscape(e.orders)
	policy := basicPolicy(e.orders, kafkaClient)
	vcWith := func(change func(m map[string]any)) []byte {
		m := map[string]any{"targetClusterArn": e.orders, "authentication": "SASL_IAM", "vpcId": e.vpcB, "clientSubnets": e.clientSubnets, "securityGroups": []string{e.groupB}}
		change(m)
		return mustJSON(m)
	}
	many := func(n int, f func(i int) string) []string {
		var out []string
		for i := range n {
			out = append(out, f(i))
		}
		return out
	}
	manyTags := map[string]string{}
	for i := range 51 {
		manyTags[fmt.Sprint("k", i)] = "v"
	}
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	token := func(s string) string { return base64URL(s) }

	for _, c := range []struct {
		name          string
		profile       string
		method, path  string
		query         url.Values
		body          []byte
		status        int
		code, message string
	}{
		// Bodies that are not the operation's JSON object.
		{"malformed JSON", "a", "PUT", orders + "/policy", nil, []byte(`{"policy":`), 400, "BadRequestException", "not valid"},
		{"not an object", "a", "PUT", orders + "/policy", nil, []byte(`["policy"]`), 400, "BadRequestException", "not valid"},
		{"a JSON string", "a", "PUT", orders + "/policy", nil, []byte(`"policy"`), 400, "BadRequestException", "not valid"},
		{"data after the object", "a", "PUT", orders + "/policy", nil, []byte(`{"policy":"x"} {}`), 400, "BadRequestException", "data after"},
		{"garbage after the object", "a", "PUT", orders + "/policy", nil, []byte(`{"policy":"x"}x`), 400, "BadRequestException", "not valid"},
		{"deep nesting", "a", "PUT", orders + "/policy", nil, []byte(`{"policy":` + deep + `}`), 400, "BadRequestException", "not valid"},
		{"unknown member", "a", "PUT", orders + "/policy", nil, mustJSON(map[string]any{"policy": policy, "colour": "red"}), 400, "BadRequestException", "colour"},
		{"unknown nested member", "a", "PUT", orders + "/connectivity", nil, []byte(`{"currentVersion":"X","connectivityInfo":{"vpcConnectivity":{"clientAuthentication":{"sasl":{"oauth":{"enabled":true}}}}}}`), 400, "BadRequestException", "oauth"},
		{"model member in the wrong case", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["VpcId"] = m["vpcId"]; delete(m, "vpcId") }), 400, "BadRequestException", "VpcId"},
		{"wrong type", "a", "PUT", orders + "/policy", nil, []byte(`{"policy":5}`), 400, "BadRequestException", "policy"},
		{"wrong nested type", "a", "PUT", orders + "/connectivity", nil, []byte(`{"currentVersion":"X","connectivityInfo":{"vpcConnectivity":{"clientAuthentication":{"sasl":{"iam":{"enabled":"yes"}}}}}}`), 400, "BadRequestException", "enabled"},
		{"a string for a list", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["clientSubnets"] = e.clientSubnets[0] }), 400, "BadRequestException", "clientSubnets"},
		{"a number in a list", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["securityGroups"] = []any{1} }), 400, "BadRequestException", "securityGroups"},
		{"a list for a map", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["tags"] = []string{"a"} }), 400, "BadRequestException", "tags"},
		{"null policy", "a", "PUT", orders + "/policy", nil, []byte(`{"policy":null}`), 400, "BadRequestException", "policy is a required parameter"},
		{"no body", "a", "PUT", orders + "/policy", nil, nil, 400, "BadRequestException", "policy is a required parameter"},
		{"no current version", "a", "PUT", orders + "/connectivity", nil, []byte(`{"connectivityInfo":{}}`), 400, "BadRequestException", "currentVersion is a required parameter"},
		{"no connectivity info", "a", "PUT", orders + "/connectivity", nil, []byte(`{"currentVersion":"X"}`), 400, "BadRequestException", "connectivityInfo is a required parameter"},
		{"no vpc connection ARN", "a", "PUT", orders + "/client-vpc-connection", nil, []byte(`{}`), 400, "BadRequestException", "vpcConnectionArn is a required parameter"},
		{"no security groups", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { delete(m, "securityGroups") }), 400, "BadRequestException", "securityGroups"},
		{"no authentication", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { delete(m, "authentication") }), 400, "BadRequestException", "authentication is a required parameter"},
		// Over-long values.
		{"a long cluster ARN", "a", "GET", "/v1/clusters/" + strings.Repeat("a", 3000), nil, nil, 400, "BadRequestException", "too long"},
		{"a long target cluster ARN", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["targetClusterArn"] = e.orders + strings.Repeat("x", 3000) }), 400, "BadRequestException", "too long"},
		{"a long VPC id", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["vpcId"] = strings.Repeat("v", 5000) }), 400, "BadRequestException", "too long"},
		{"too many subnets", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["clientSubnets"] = many(65, func(int) string { return e.clientSubnets[0] }) }), 400, "BadRequestException", "Too many"},
		{"too many tags", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["tags"] = manyTags }), 400, "BadRequestException", "Too many"},
		{"a long tag value", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["tags"] = map[string]string{"k": strings.Repeat("v", 257)} }), 400, "BadRequestException", "256"},
		{"a long tag key", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) { m["tags"] = map[string]string{strings.Repeat("k", 129): "v"} }), 400, "BadRequestException", "128"},
		{"a long policy", "a", "PUT", orders + "/policy", nil, mustJSON(map[string]any{"policy": policy[:len(policy)-1] + strings.Repeat(" ", 20<<10) + "}"}), 400, "BadRequestException", "20480"},
		{"a body over 1 MB", "a", "PUT", orders + "/policy", nil, bytes.Repeat([]byte(" "), 1<<20+1), 413, "RequestEntityTooLarge", "too large"},
		// ARNs that are not.
		{"not an ARN", "a", "GET", "/v1/clusters/orders", nil, nil, 400, "BadRequestException", "not valid"},
		{"an ARN of another service", "a", "GET", "/v1/clusters/" + url.PathEscape("arn:aws:s3:::orders"), nil, nil, 400, "BadRequestException", "not valid"},
		{"a cluster ARN in pieces", "a", "GET", "/v1/clusters/" + e.orders, nil, nil, 404, "NotFoundException", "No operation matches"},
		{"a VPC connection ARN without its id", "b", "GET", "/v1/vpc-connection/" + url.PathEscape("arn:aws:kafka:us-east-1:222222222222:vpc-connection/x"), nil, nil, 400, "BadRequestException", "not valid"},
		{"a VPC connection ARN with a bad id", "b", "DELETE", "/v1/vpc-connection/" + url.PathEscape("arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders/nope"), nil, nil, 400, "BadRequestException", "not valid"},
		{"a cluster ARN for a VPC connection", "a", "PUT", orders + "/client-vpc-connection", nil, mustJSON(map[string]string{"vpcConnectionArn": e.orders}), 400, "BadRequestException", "not valid"},
		{"a VPC connection ARN for a cluster", "b", "POST", "/v1/vpc-connection", nil, vcWith(func(m map[string]any) {
			m["targetClusterArn"] = "arn:aws:kafka:us-east-1:222222222222:vpc-connection/111111111111/orders/5d7f3b0e-4a4e-4c71-9a60-3c7e4d1e0b11"
		}), 400, "BadRequestException", "not valid"},
		// Query parameters.
		{"maxResults not a number", "a", "GET", "/api/v2/clusters", url.Values{"maxResults": {"ten"}}, nil, 400, "BadRequestException", "maxResults"},
		{"maxResults 0", "b", "GET", "/v1/vpc-connections", url.Values{"maxResults": {"0"}}, nil, 400, "BadRequestException", "maxResults"},
		{"maxResults 101", "a", "GET", orders + "/client-vpc-connections", url.Values{"maxResults": {"101"}}, nil, 400, "BadRequestException", "maxResults"},
		{"a token that is not base64", "b", "GET", "/v1/vpc-connections", url.Values{"nextToken": {"!!!"}}, nil, 400, "BadRequestException", "nextToken"},
		{"a token past the end", "a", "GET", "/api/v2/clusters", url.Values{"nextToken": {token("99")}}, nil, 400, "BadRequestException", "nextToken"},
		{"a negative token", "a", "GET", "/api/v2/clusters", url.Values{"nextToken": {token("-1")}}, nil, 400, "BadRequestException", "nextToken"},
		{"an unknown cluster type", "a", "GET", "/api/v2/clusters", url.Values{"clusterTypeFilter": {"BIG"}}, nil, 400, "BadRequestException", "clusterTypeFilter"},
		// Routes that are not.
		{"an unknown path", "a", "GET", "/v1/nothing", nil, nil, 404, "NotFoundException", "No operation matches GET /v1/nothing"},
		{"the root", "a", "GET", "/", nil, nil, 404, "NotFoundException", "No operation matches"},
		{"a method the path lacks", "a", "POST", orders, nil, []byte(`{}`), 404, "NotFoundException", "No operation matches POST"},
		{"PATCH", "b", "PATCH", "/v1/vpc-connection", nil, vc, 404, "NotFoundException", "No operation matches"},
		{"a trailing slash", "a", "GET", "/api/v2/clusters/", nil, nil, 404, "NotFoundException", "No operation matches"},
		{"a double slash", "a", "GET", "/v1//clusters", nil, nil, 404, "NotFoundException", "No operation matches"},
		{"dot segments", "a", "DELETE", orders + "/policy/../policy", nil, nil, 404, "NotFoundException", "No operation matches"},
		{"a dot segment", "a", "GET", "/api/v2/./clusters", nil, nil, 404, "NotFoundException", "No operation matches"},
		{"the v1 cluster list (not served)", "a", "GET", "/v1/clusters", nil, nil, 404, "NotFoundException", "No operation matches"},
	} {
		st, h, body := e.do(e.accounts[c.profile], c.method, c.path, c.query, c.body)
		if p := restJSONProblem(c.method, st, h, body); p != "" {
			t.Errorf("%s: not a rest-json answer: %s (got %d %s)", c.name, p, st, body)
		}
		var msg struct {
			Message string `json:"message"`
		}
		json.Unmarshal(body, &msg)
		if st != c.status || h.Get("x-amzn-ErrorType") != c.code || !strings.Contains(msg.Message, c.message) {
			t.Errorf("%s: got %d %s %q; want %d %s %q", c.name, st, h.Get("x-amzn-ErrorType"), msg.Message, c.status, c.code, c.message)
		}
	}
	if after := e.kafkaState(); !maps.Equal(after, before) {
		t.Errorf("refused requests changed the store:\n got %v\nwant %v", after, before)
	}
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
