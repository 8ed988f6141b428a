package daemon

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/aws"

	"github.com/kafkalink/kafkalink/internal/msk"
	"github.com/kafkalink/kafkalink/internal/prereq"
)

// awsCLI runs the real aws CLI as a dev profile and returns its output;
// failed reports whether it exited non-zero.
func awsCLI(t *testing.T, info DevInfo, profile string, args ...string) (out string, failed bool) {
	t.Helper()
	cmd := exec.Command(prereq.Tool(t, "aws"), append([]string{"--profile", profile, "--endpoint-url", info.API, "--output", "json"}, args...)...)
	cmd.Env = prereq.AWSEnv("AWS_CONFIG_FILE="+info.AWSConfigFile, "AWS_SHARED_CREDENTIALS_FILE="+info.AWSCredentialsFile)
	b, err := cmd.CombinedOutput()
	return string(b), err != nil
}

// mustCLI runs the aws CLI and decodes its JSON output into v.
func mustCLI(t *testing.T, info DevInfo, profile string, v any, args ...string) {
	t.Helper()
	out, failed := awsCLI(t, info, profile, args...)
	if failed {
		t.Fatalf("aws %s: %s", strings.Join(args, " "), out)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("aws %s: output %q: %v", strings.Join(args, " "), out, err)
		}
	}
}

// cliFails runs the aws CLI and checks it fails with the error named.
func cliFails(t *testing.T, info DevInfo, profile, want string, args ...string) {
	t.Helper()
	out, failed := awsCLI(t, info, profile, args...)
	if !failed || !strings.Contains(out, "("+want+")") {
		t.Errorf("aws %s: got %q; want it to fail with %s", strings.Join(args, " "), strings.TrimSpace(out), want)
	}
}

// clusterState is what describe-cluster-v2 says of a cluster's state.
type clusterState struct{ State, CurrentVersion string }

// waitClusterActive polls describe-cluster-v2 (each aws CLI call is the
// poll interval) until the cluster is ACTIVE and returns what it said
// then. It fails the test if the cluster is not ACTIVE within `within`,
// or is ever in a state other than ACTIVE and those of while.
func waitClusterActive(t *testing.T, info DevInfo, profile, arn string, within time.Duration, while ...string) clusterState {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		var desc struct{ ClusterInfo clusterState }
		mustCLI(t, info, profile, &desc, "kafka", "describe-cluster-v2", "--cluster-arn", arn)
		got := desc.ClusterInfo
		switch {
		case got.State == "ACTIVE":
			return got
		case !slices.Contains(while, got.State):
			t.Fatalf("describe-cluster-v2: got state %s; want %s, then ACTIVE", got.State, strings.Join(while, " or "))
		case time.Now().After(deadline):
			t.Fatalf("describe-cluster-v2: got state %s after %v; want ACTIVE", got.State, within)
		}
	}
}

// seenState is a cluster record as the store gave it, and when.
type seenState struct {
	msk.Cluster
	seen time.Time
}

// watchClusterStates delivers, from now on, every version of a cluster's
// record the store holds, in order, stamped when the watch got it.
func watchClusterStates(t *testing.T, d *Daemon, name string) <-chan seenState {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	rev, err := d.store.Revision(ctx)
	if err != nil {
		t.Fatal(err)
	}
	key := d.msk.ClusterPrefix() + name
	events, err := d.store.Watch(ctx, key, rev+1)
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan seenState, 64)
	go func() {
		defer close(out)
		for ev := range events {
			if ev.KV.Key != key || len(ev.KV.Value) == 0 {
				continue
			}
			s := seenState{seen: time.Now()}
			if err := json.Unmarshal(ev.KV.Value, &s.Cluster); err != nil {
				s.State = "undecodable: " + err.Error()
			}
			select {
			case out <- s:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// nextClusterState is the next record watchClusterStates saw, within 5 s.
func nextClusterState(t *testing.T, states <-chan seenState) seenState {
	t.Helper()
	select {
	case s, ok := <-states:
		if !ok {
			t.Fatal("the watch of the cluster's record ended")
		}
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("the cluster's record did not change within 5 s")
	}
	return seenState{}
}

// Seed 002, as written, with the aws CLI: account A turns on IAM
// multi-VPC connectivity and attaches a basic cluster policy for account
// B; B creates a VPC connection with two subnets in the cluster's zones,
// gets the bootstrap brokers, and a client in B's VPC produces and
// consumes through BootstrapBrokerStringVpcConnectivitySaslIam. Then A
// rejects the connection and the client's session ends.
func TestSeed002MultiVPCTutorial(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, info := startMSKDev(t, devOptions(t, dir))
	arn, err := d.ClusterARN(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	var desc struct {
		ClusterInfo struct {
			CurrentVersion string
			State          string
			Provisioned    struct{ BrokerNodeGroupInfo struct{ ZoneIds []string } }
		}
	}
	mustCLI(t, info, "kl-a", &desc, "kafka", "describe-cluster-v2", "--cluster-arn", arn)
	if desc.ClusterInfo.State != "ACTIVE" || len(desc.ClusterInfo.Provisioned.BrokerNodeGroupInfo.ZoneIds) != 3 {
		t.Fatalf("describe-cluster-v2: got %+v; want ACTIVE in 3 zones", desc.ClusterInfo)
	}
	zones := desc.ClusterInfo.Provisioned.BrokerNodeGroupInfo.ZoneIds

	// Step 1: A turns on multi-VPC connectivity for IAM. The cluster is
	// UPDATING, then ACTIVE again within a second (the store is watched
	// directly: the CLI's own start-up is not counted).
	states := watchClusterStates(t, d, "dev")
	iamOn := `{"VpcConnectivity":{"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}}`
	mustCLI(t, info, "kl-a", nil, "kafka", "update-connectivity", "--cluster-arn", arn, "--current-version", desc.ClusterInfo.CurrentVersion, "--connectivity-info", iamOn)
	updating := nextClusterState(t, states)
	if updating.State != "UPDATING" || updating.Operation != msk.OperationUpdateConnectivity || updating.CurrentVersion == desc.ClusterInfo.CurrentVersion {
		t.Fatalf("after update-connectivity: the store got state %s operation %q version %s (was %s); want UPDATING for %s, a new version",
			updating.State, updating.Operation, updating.CurrentVersion, desc.ClusterInfo.CurrentVersion, msk.OperationUpdateConnectivity)
	}
	active := nextClusterState(t, states)
	if active.State != "ACTIVE" || active.Operation != "" || active.CurrentVersion != updating.CurrentVersion || !active.VpcConnectivity[msk.SchemeIAM] {
		t.Fatalf("after UPDATING: the store got state %s operation %q version %s connectivity %v; want ACTIVE, version %s, IAM on",
			active.State, active.Operation, active.CurrentVersion, active.VpcConnectivity, updating.CurrentVersion)
	}
	if took := active.seen.Sub(updating.seen); took > time.Second {
		t.Errorf("UPDATING for %v after update-connectivity; want ACTIVE again within 1 s", took)
	}
	if got := waitClusterActive(t, info, "kl-a", arn, 5*time.Second, "UPDATING"); got.CurrentVersion != updating.CurrentVersion {
		t.Errorf("describe-cluster-v2 after update-connectivity: got version %s; want %s", got.CurrentVersion, updating.CurrentVersion)
	}
	cliFails(t, info, "kl-a", "BadRequestException", "kafka", "update-connectivity", "--cluster-arn", arn, "--current-version", desc.ClusterInfo.CurrentVersion, "--connectivity-info", iamOn)

	// B's network: a VPC (overlapping A's 10.0.0.0/16), two subnets in
	// the cluster's zones, one in a zone it lacks, and a security group
	// rule admitting B's network on the endpoint ports.
	vpc := createVPC(t, info, "kl-b", "10.0.0.0/16", 10, zones[0], zones[1], "use1-az6")
	subnets, sg := vpc.Subnets, vpc.SG
	allowTCP(t, info, "kl-b", sg, "14001-14100", "10.0.0.0/16")
	create := []string{"kafka", "create-vpc-connection", "--target-cluster-arn", arn, "--authentication", "SASL_IAM",
		"--vpc-id", vpc.ID, "--security-groups", sg, "--client-subnets"}

	// Without A's cluster policy, B may not connect.
	cliFails(t, info, "kl-b", "ForbiddenException", append(create, subnets[0], subnets[1])...)

	// Step 2: A's basic cluster policy for B, and data-plane access for
	// B's clients that come through B's VPC (aws:SourceVpc).
	policy := `{"Version":"2012-10-17","Statement":[
	{"Effect":"Allow","Principal":{"AWS":["` + accountB + `"]},"Action":["kafka:CreateVpcConnection","kafka:GetBootstrapBrokers","kafka:DescribeCluster","kafka:DescribeClusterV2"],"Resource":"` + arn + `"},
	{"Effect":"Allow","Principal":{"AWS":["` + accountB + `"]},"Action":["kafka-cluster:*"],"Resource":["` + arn + `","arn:aws:kafka:us-east-1:` + accountA + `:topic/dev/*","arn:aws:kafka:us-east-1:` + accountA + `:group/dev/*"],
	 "Condition":{"StringEquals":{"aws:SourceVpc":"` + vpc.ID + `"}}}]}`
	mustCLI(t, info, "kl-a", nil, "kafka", "put-cluster-policy", "--cluster-arn", arn, "--policy", policy)

	// Step 3: B's mistakes, then its VPC connection.
	cliFails(t, info, "kl-b", "BadRequestException", append(create, subnets[0])...)
	cliFails(t, info, "kl-b", "BadRequestException", append(create, subnets[0], subnets[2])...)
	var vc struct{ VpcConnectionArn, State string }
	mustCLI(t, info, "kl-b", &vc, append(create, subnets[0], subnets[1])...)
	if vc.State != "CREATING" {
		t.Errorf("create-vpc-connection: got state %s; want CREATING", vc.State)
	}
	// AVAILABLE within a second of its creation (the CLI's own start-up
	// is not counted: the store is watched directly).
	created := time.Now()
	for state := ""; state != "AVAILABLE"; {
		conns, err := d.msk.VpcConnections(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range conns {
			if c.ARN == vc.VpcConnectionArn {
				state = c.State
			}
		}
		if time.Since(created) > 5*time.Second {
			t.Fatalf("VPC connection: got state %s 5 s after its creation; want AVAILABLE", state)
		}
	}
	if took := time.Since(created); took > time.Second {
		t.Errorf("VPC connection AVAILABLE %v after create-vpc-connection returned; want within 1 s", took)
	}
	var described struct{ State, TargetClusterArn string }
	mustCLI(t, info, "kl-b", &described, "kafka", "describe-vpc-connection", "--arn", vc.VpcConnectionArn)
	if described.State != "AVAILABLE" || described.TargetClusterArn != arn {
		t.Errorf("describe-vpc-connection: got %+v; want AVAILABLE to %s", described, arn)
	}
	var boot struct{ BootstrapBrokerStringVpcConnectivitySaslIam string }
	mustCLI(t, info, "kl-b", &boot, "kafka", "get-bootstrap-brokers", "--cluster-arn", arn)
	seeds := strings.Split(boot.BootstrapBrokerStringVpcConnectivitySaslIam, ",")
	if len(seeds) < 2 || !strings.HasSuffix(seeds[0], ":14001") {
		t.Fatalf("get-bootstrap-brokers: got %q; want the endpoint's brokers from port 14001", boot.BootstrapBrokerStringVpcConnectivitySaslIam)
	}

	// A client in B's VPC (its source address is one of the VPC's).
	host, _, _ := net.SplitHostPort(seeds[0])
	ep := netip.MustParseAddr(host).As4()
	inVPC := &net.TCPAddr{IP: net.IPv4(127, ep[1], 10, 200)} // 10.0.10.200
	bRoot := devAccount(info, accountB)
	newClient := func(local *net.TCPAddr) *kgo.Client {
		dialer := &net.Dialer{Timeout: 5 * time.Second, LocalAddr: local}
		tc := devClientTLS(t, info.CAFile)
		return iamClient(t, bRoot, seeds, "seed002", kgo.Dialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			return tlsDialTo(ctx, dialer, addr, host, tc)
		}))
	}
	cl := newClient(inVPC)
	mustProduceConsume(t, cl, "orders", "a client in B's VPC")
	// The cluster's own IAM listener is not B's VPC: the cluster policy's
	// aws:SourceVpc condition does not hold there.
	var own []string
	for _, l := range info.Clusters[0].Listeners {
		if l.Auth == "IAM" {
			own = strings.Split(l.Bootstrap, ",")
		}
	}
	direct := iamClient(t, bRoot, own, "seed002-own", kgo.DialTLSConfig(devClientTLS(t, info.CAFile)))
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	if err := direct.ProduceSync(dctx, &kgo.Record{Topic: "orders", Value: []byte("v")}).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Errorf("B on the cluster's own listener: got %v; want TOPIC_AUTHORIZATION_FAILED", err)
	}

	// dev.json names the cluster's ARN and the VPC connection's bootstrap.
	since := time.Now()
	for {
		dev := readDevJSON(t, dir)
		if dev.Clusters[0].ARN == arn && dev.Clusters[0].BootstrapBrokers["bootstrapBrokerStringVpcConnectivitySaslIam"] == boot.BootstrapBrokerStringVpcConnectivitySaslIam {
			break
		}
		if time.Since(since) > 5*time.Second {
			t.Fatalf("dev.json: got cluster %+v; want arn %s and the VPC connection's bootstrap", dev.Clusters[0], arn)
		}
	}

	// list-nodes and tags, as A.
	var nodes struct {
		NodeInfoList []struct{ BrokerNodeInfo struct{ BrokerId float64 } }
	}
	mustCLI(t, info, "kl-a", &nodes, "kafka", "list-nodes", "--cluster-arn", arn)
	if len(nodes.NodeInfoList) != 3 {
		t.Errorf("list-nodes: got %d nodes; want 3", len(nodes.NodeInfoList))
	}
	mustCLI(t, info, "kl-a", nil, "kafka", "tag-resource", "--resource-arn", arn, "--tags", "team=platform")
	var tags struct{ Tags map[string]string }
	mustCLI(t, info, "kl-a", &tags, "kafka", "list-tags-for-resource", "--resource-arn", arn)
	if tags.Tags["team"] != "platform" {
		t.Errorf("list-tags-for-resource: got %v; want team=platform", tags.Tags)
	}

	// From outside B's network, the security group refuses the connection.
	outside := newClient(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	octx, ocancel := context.WithTimeout(ctx, 3*time.Second)
	defer ocancel()
	if err := outside.Ping(octx); err == nil {
		t.Errorf("a client outside B's VPC got through the security group")
	}

	// A lists and rejects the connection: B's live session ends.
	var list struct {
		ClientVpcConnections []struct{ VpcConnectionArn, Owner string }
	}
	mustCLI(t, info, "kl-a", &list, "kafka", "list-client-vpc-connections", "--cluster-arn", arn)
	if len(list.ClientVpcConnections) != 1 || list.ClientVpcConnections[0].Owner != accountB {
		t.Fatalf("list-client-vpc-connections: got %+v; want B's connection", list)
	}
	mustCLI(t, info, "kl-a", nil, "kafka", "reject-client-vpc-connection", "--cluster-arn", arn, "--vpc-connection-arn", vc.VpcConnectionArn)
	rejected := time.Now()
	for endpointOpen(d) {
		if time.Since(rejected) > 3*time.Second {
			t.Fatal("the endpoint is still open 3 s after the rejection")
		}
	}
	if took := time.Since(rejected); took > time.Second {
		t.Errorf("endpoint closed %v after the rejection; want within 1 s", took)
	}
	rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
	defer rcancel()
	if _, err := kmsg.NewPtrMetadataRequest().RequestWith(rctx, cl); err == nil {
		t.Errorf("a request after the rejection: got an answer; want the connection gone")
	}
	var after struct{ State string }
	mustCLI(t, info, "kl-b", &after, "kafka", "describe-vpc-connection", "--arn", vc.VpcConnectionArn)
	if after.State != "REJECTED" {
		t.Errorf("after rejection: got state %s; want REJECTED", after.State)
	}
}

// endpointOpen reports whether any VPC connection endpoint listens.
func endpointOpen(d *Daemon) bool {
	for _, cs := range d.gw.Status() {
		for _, ls := range cs.ListenerSets {
			if strings.HasPrefix(ls.Name, endpointSetPrefix) {
				return true
			}
		}
	}
	return false
}

// tlsDialTo connects to target from the dialer's local address and
// completes a TLS handshake for the server name.
func tlsDialTo(ctx context.Context, d *net.Dialer, target, name string, tc *tls.Config) (net.Conn, error) {
	cfg := tc.Clone()
	cfg.ServerName = name
	return (&tls.Dialer{NetDialer: d, Config: cfg}).DialContext(ctx, "tcp", target)
}

// startMSKDev starts kafkalink dev for a test of the MSK APIs and returns
// it with its dev.json. franz-go's AWS_MSK_IAM finds the region in
// AWS_REGION when brokers are addresses.
func startMSKDev(t *testing.T, o DevOptions) (*Daemon, DevInfo) {
	t.Helper()
	t.Setenv("AWS_REGION", DevRegion)
	d, err := StartDev(context.Background(), o, Options{Logger: slog.New(slog.NewTextHandler(testLog(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d, readDevJSON(t, o.StateDir)
}

// devAccount is a dev account with its root credentials.
func devAccount(info DevInfo, id string) DevAccount {
	for _, a := range info.Accounts {
		if a.ID == id {
			return a
		}
	}
	return DevAccount{}
}

// iamClient is a franz-go client of seeds with an account's root
// credentials (AWS_MSK_IAM), reaching brokers as dial says (a Dialer or
// a DialTLSConfig), a member of group when it consumes.
func iamClient(t *testing.T, a DevAccount, seeds []string, group string, dial kgo.Opt) *kgo.Client {
	t.Helper()
	m := aws.Auth{AccessKey: a.AccessKeyID, SecretKey: a.SecretAccessKey}.AsManagedStreamingIAMMechanism()
	c, err := kgo.NewClient(kgo.SeedBrokers(seeds...), dial, kgo.SASL(m), kgo.AllowAutoTopicCreation(),
		kgo.RetryTimeout(3*time.Second), kgo.ConsumerGroup(group), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableClientMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// mustProduceConsume produces a record to topic and consumes it back
// within 20 s, or fails the test saying whose client could not.
func mustProduceConsume(t *testing.T, c *kgo.Client, topic, who string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := produceConsume(ctx, c, topic); err != nil {
		t.Fatalf("%s: got %v; want it to produce and consume", who, err)
	}
}

// testVPC is a VPC made with the aws CLI: its id, its subnets (one per
// zone id, the i-th at <x.y>.(first+i).0/24) and its default security
// group.
type testVPC struct {
	ID      string
	Subnets []string
	SG      string
}

func createVPC(t *testing.T, info DevInfo, profile, cidr string, first int, zones ...string) testVPC {
	t.Helper()
	var v struct{ Vpc struct{ VpcId string } }
	mustCLI(t, info, profile, &v, "ec2", "create-vpc", "--cidr-block", cidr)
	out := testVPC{ID: v.Vpc.VpcId}
	prefix := cidr[:strings.Index(cidr, ".0.0/")]
	for i, z := range zones {
		var sn struct{ Subnet struct{ SubnetId string } }
		mustCLI(t, info, profile, &sn, "ec2", "create-subnet", "--vpc-id", out.ID, "--cidr-block", fmt.Sprintf("%s.%d.0/24", prefix, first+i), "--availability-zone-id", z)
		out.Subnets = append(out.Subnets, sn.Subnet.SubnetId)
	}
	var sgs struct{ SecurityGroups []struct{ GroupId string } }
	mustCLI(t, info, profile, &sgs, "ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values="+out.ID)
	out.SG = sgs.SecurityGroups[0].GroupId
	return out
}

// allowTCP adds an inbound rule to a security group.
func allowTCP(t *testing.T, info DevInfo, profile, sg, ports, cidr string) {
	t.Helper()
	mustCLI(t, info, profile, nil, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", ports, "--cidr", cidr)
}
