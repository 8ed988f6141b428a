package daemon

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// CreateClusterV2 in kafkalink dev starts a cluster with the requested
// brokers, served on MSK's IAM port at addresses of its VPC; the owner
// produces and consumes through GetBootstrapBrokers' string, and
// DeleteCluster takes it away.
func TestCreateClusterV2ProvisionsAndDeleteClusterRemoves(t *testing.T) {
	ctx := context.Background()
	d, info := startMSKDev(t, devOptions(t, t.TempDir()))

	vpc := createVPC(t, info, "kl-a", "10.20.0.0/16", 0, "use1-az1", "use1-az2", "use1-az3")
	subnets := vpc.Subnets
	allowTCP(t, info, "kl-a", vpc.SG, "9092-9098", "127.0.0.1/32") // the cluster's default group admits this host
	provisioned := func(brokers int, subnets ...string) string {
		return fmt.Sprintf(`{"BrokerNodeGroupInfo":{"ClientSubnets":["%s"],"InstanceType":"kafka.m5.large"},"KafkaVersion":"3.6.0","NumberOfBrokerNodes":%d,"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}`,
			strings.Join(subnets, `","`), brokers)
	}
	cliFails(t, info, "kl-a", "BadRequestException", "kafka", "create-cluster-v2", "--cluster-name", "orders", "--provisioned", provisioned(4, subnets...))
	cliFails(t, info, "kl-a", "BadRequestException", "kafka", "create-cluster-v2", "--cluster-name", "orders", "--serverless", `{"VpcConfigs":[{"SubnetIds":["`+subnets[0]+`"]}]}`)
	var created struct{ ClusterArn, State string }
	mustCLI(t, info, "kl-a", &created, "kafka", "create-cluster-v2", "--cluster-name", "orders", "--provisioned", provisioned(3, subnets...))
	if created.State != "CREATING" {
		t.Errorf("create-cluster-v2: got state %s; want CREATING", created.State)
	}
	cliFails(t, info, "kl-a", "ConflictException", "kafka", "create-cluster-v2", "--cluster-name", "orders", "--provisioned", provisioned(3, subnets...))
	waitClusterActive(t, info, "kl-a", created.ClusterArn, 20*time.Second, "CREATING")
	var boot struct{ BootstrapBrokerStringSaslIam string }
	mustCLI(t, info, "kl-a", &boot, "kafka", "get-bootstrap-brokers", "--cluster-arn", created.ClusterArn)
	seeds := strings.Split(boot.BootstrapBrokerStringSaslIam, ",")
	if len(seeds) != 3 || !strings.HasSuffix(seeds[0], ":9098") || !strings.HasPrefix(seeds[0], "127.") {
		t.Fatalf("get-bootstrap-brokers: got %q; want three brokers on port 9098", boot.BootstrapBrokerStringSaslIam)
	}
	var nodes struct{ NodeInfoList []any }
	mustCLI(t, info, "kl-a", &nodes, "kafka", "list-nodes", "--cluster-arn", created.ClusterArn)
	if len(nodes.NodeInfoList) != 3 {
		t.Errorf("list-nodes: got %d nodes; want 3", len(nodes.NodeInfoList))
	}
	var list struct {
		ClusterInfoList []struct{ ClusterName string }
	}
	mustCLI(t, info, "kl-a", &list, "kafka", "list-clusters-v2")
	if len(list.ClusterInfoList) != 2 {
		t.Errorf("list-clusters-v2: got %+v; want dev and orders", list.ClusterInfoList)
	}

	cl := iamClient(t, devAccount(info, accountA), seeds, "provisioned", kgo.DialTLSConfig(devClientTLS(t, info.CAFile)))
	mustProduceConsume(t, cl, "payments", "the owner on the new cluster")
	// The cluster's security group admits 127.0.0.1 only.
	dialer := &net.Dialer{Timeout: time.Second, LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	if c, err := tls.DialWithDialer(dialer, "tcp", seeds[0], devClientTLS(t, info.CAFile)); err == nil {
		c.Close()
		t.Errorf("a connection from 127.0.0.2 completed its TLS handshake; want it refused by the security group")
	}

	// UpdateConnectivity on a provisioned cluster: UPDATING, then ACTIVE
	// again (the connectivity realizer's to finish, not the provisioner's).
	var before struct {
		ClusterInfo struct{ CurrentVersion string }
	}
	mustCLI(t, info, "kl-a", &before, "kafka", "describe-cluster-v2", "--cluster-arn", created.ClusterArn)
	mustCLI(t, info, "kl-a", nil, "kafka", "update-connectivity", "--cluster-arn", created.ClusterArn, "--current-version", before.ClusterInfo.CurrentVersion,
		"--connectivity-info", `{"VpcConnectivity":{"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}}`)
	if got := waitClusterActive(t, info, "kl-a", created.ClusterArn, 5*time.Second, "UPDATING"); got.CurrentVersion == before.ClusterInfo.CurrentVersion {
		t.Errorf("after update-connectivity: got version %s; want a new one", got.CurrentVersion)
	}

	// UpdateSecurity turns SCRAM on (its listeners open on 9096) and off.
	for _, on := range []bool{true, false} {
		var desc struct {
			ClusterInfo struct{ CurrentVersion string }
		}
		mustCLI(t, info, "kl-a", &desc, "kafka", "describe-cluster-v2", "--cluster-arn", created.ClusterArn)
		auth := fmt.Sprintf(`{"Sasl":{"Scram":{"Enabled":%v}}}`, on)
		mustCLI(t, info, "kl-a", nil, "kafka", "update-security", "--cluster-arn", created.ClusterArn, "--current-version", desc.ClusterInfo.CurrentVersion, "--client-authentication", auth)
		cliFails(t, info, "kl-a", "BadRequestException", "kafka", "update-security", "--cluster-arn", created.ClusterArn, "--current-version", desc.ClusterInfo.CurrentVersion, "--client-authentication", auth)
		start := time.Now()
		waitClusterActive(t, info, "kl-a", created.ClusterArn, 10*time.Second, "UPDATING") // UPDATING while the listeners change
		for {
			var b struct{ BootstrapBrokerStringSaslScram, BootstrapBrokerStringSaslIam string }
			mustCLI(t, info, "kl-a", &b, "kafka", "get-bootstrap-brokers", "--cluster-arn", created.ClusterArn)
			if (b.BootstrapBrokerStringSaslScram != "") == on && b.BootstrapBrokerStringSaslIam != "" {
				if on && !strings.HasSuffix(strings.Split(b.BootstrapBrokerStringSaslScram, ",")[0], ":9096") {
					t.Errorf("SCRAM bootstrap: got %q; want port 9096", b.BootstrapBrokerStringSaslScram)
				}
				break
			}
			if time.Since(start) > 10*time.Second {
				t.Fatalf("after update-security (SCRAM %v): got %+v", on, b)
			}
		}
	}

	mustCLI(t, info, "kl-a", nil, "kafka", "delete-cluster", "--cluster-arn", created.ClusterArn)
	start := time.Now()
	for {
		out, failed := awsCLI(t, info, "kl-a", "kafka", "describe-cluster-v2", "--cluster-arn", created.ClusterArn)
		if failed && strings.Contains(out, "(NotFoundException)") {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("describe-cluster-v2 after delete-cluster: got %q; want NotFoundException", out)
		}
	}
	if c, err := net.DialTimeout("tcp", seeds[0], time.Second); err == nil {
		c.Close()
		t.Errorf("the deleted cluster's broker %s still accepts connections", seeds[0])
	}
	arn, _ := d.ClusterARN(ctx, "dev")
	cliFails(t, info, "kl-a", "BadRequestException", "kafka", "delete-cluster", "--cluster-arn", arn)
}

// A serverless cluster: IAM only, one endpoint per VPC on 9098 where the
// TLS server name picks the broker; the bootstrap name stays while broker
// names are b<n>-<id>.
func TestCreateServerlessCluster(t *testing.T) {
	ctx := context.Background()
	d, info := startMSKDev(t, devOptions(t, t.TempDir()))
	vpc := createVPC(t, info, "kl-a", "10.30.0.0/16", 0, "use1-az1", "use1-az2")
	subnets := vpc.Subnets
	allowTCP(t, info, "kl-a", vpc.SG, "9098", "127.0.0.1/32")
	serverless := `{"VpcConfigs":[{"SubnetIds":["` + strings.Join(subnets, `","`) + `"]}],"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}`
	cliFails(t, info, "kl-a", "BadRequestException", "kafka", "create-cluster-v2", "--cluster-name", "events", "--serverless", `{"VpcConfigs":[{"SubnetIds":["`+subnets[0]+`"]}]}`)
	var created struct{ ClusterArn, ClusterType string }
	mustCLI(t, info, "kl-a", &created, "kafka", "create-cluster-v2", "--cluster-name", "events", "--serverless", serverless)
	if created.ClusterType != "SERVERLESS" {
		t.Errorf("create-cluster-v2: got type %s; want SERVERLESS", created.ClusterType)
	}
	waitClusterActive(t, info, "kl-a", created.ClusterArn, 20*time.Second, "CREATING")
	cliFails(t, info, "kl-a", "BadRequestException", "kafka", "describe-cluster", "--cluster-arn", created.ClusterArn)
	var list struct {
		ClusterInfoList []struct{ ClusterName string }
	}
	mustCLI(t, info, "kl-a", &list, "kafka", "list-clusters-v2", "--cluster-type-filter", "SERVERLESS")
	if len(list.ClusterInfoList) != 1 || list.ClusterInfoList[0].ClusterName != "events" {
		t.Errorf("list-clusters-v2 --cluster-type-filter SERVERLESS: got %+v; want events", list.ClusterInfoList)
	}
	var boot struct{ BootstrapBrokerStringSaslIam string }
	mustCLI(t, info, "kl-a", &boot, "kafka", "get-bootstrap-brokers", "--cluster-arn", created.ClusterArn)
	if !strings.HasPrefix(boot.BootstrapBrokerStringSaslIam, "boot-") || !strings.HasSuffix(boot.BootstrapBrokerStringSaslIam, ".c1.kafka-serverless.us-east-1.amazonaws.com:9098") {
		t.Fatalf("get-bootstrap-brokers: got %q; want boot-<id>.c1.kafka-serverless.us-east-1.amazonaws.com:9098", boot.BootstrapBrokerStringSaslIam)
	}

	// Names resolve to the endpoint in the VPC, as DNS will make them.
	v, err := d.ec2.VPC(ctx, accountA, vpc.ID)
	if err != nil {
		t.Fatal(err)
	}
	sns, err := d.ec2.Subnets(ctx, accountA, subnets[:1])
	if err != nil {
		t.Fatal(err)
	}
	host, err := d.subnetHost(ctx, v, sns[0], placementOffset(0))
	if err != nil {
		t.Fatal(err)
	}
	tc := devClientTLS(t, info.CAFile)
	var mu sync.Mutex // the client dials from several goroutines
	var names []string
	dial := func(ctx context.Context, _, addr string) (net.Conn, error) {
		name, _, _ := net.SplitHostPort(addr)
		mu.Lock()
		names = append(names, name)
		mu.Unlock()
		return tlsDialTo(ctx, &net.Dialer{}, host.String()+":9098", name, tc)
	}
	cl := iamClient(t, devAccount(info, accountA), []string{boot.BootstrapBrokerStringSaslIam}, "serverless", kgo.Dialer(dial))
	mustProduceConsume(t, cl, "clicks", "the owner on the serverless cluster")
	brokerNames := 0
	mu.Lock()
	defer mu.Unlock()
	for _, n := range names {
		if strings.HasPrefix(n, "b") && !strings.HasPrefix(n, "boot-") && strings.HasSuffix(n, ".c1.kafka-serverless.us-east-1.amazonaws.com") {
			brokerNames++
		}
	}
	if brokerNames == 0 {
		t.Errorf("the client dialed %v; want broker names b<n>-<id>.c1.kafka-serverless…", names)
	}
	var desc struct {
		ClusterInfo struct{ CurrentVersion string }
	}
	mustCLI(t, info, "kl-a", &desc, "kafka", "describe-cluster-v2", "--cluster-arn", created.ClusterArn)
	cliFails(t, info, "kl-a", "BadRequestException", "kafka", "update-connectivity", "--cluster-arn", created.ClusterArn, "--current-version", desc.ClusterInfo.CurrentVersion,
		"--connectivity-info", `{"VpcConnectivity":{"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}}`)
}
