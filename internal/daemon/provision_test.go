package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/aws"
)

// CreateClusterV2 in kafkalink dev starts a cluster with the requested
// brokers, served on MSK's IAM port at addresses of its VPC; the owner
// produces and consumes through GetBootstrapBrokers' string, and
// DeleteCluster takes it away.
func TestCreateClusterV2ProvisionsAndDeleteClusterRemoves(t *testing.T) {
	t.Setenv("AWS_REGION", DevRegion)
	ctx := context.Background()
	dir := t.TempDir()
	d, err := StartDev(ctx, devOptions(t, dir), Options{Logger: slog.New(slog.NewTextHandler(testLog(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	info := readDevJSON(t, dir)

	var vpc struct{ Vpc struct{ VpcId string } }
	mustCLI(t, info, "kl-a", &vpc, "ec2", "create-vpc", "--cidr-block", "10.20.0.0/16")
	var subnets []string
	for i, z := range []string{"use1-az1", "use1-az2", "use1-az3"} {
		var sn struct{ Subnet struct{ SubnetId string } }
		mustCLI(t, info, "kl-a", &sn, "ec2", "create-subnet", "--vpc-id", vpc.Vpc.VpcId, "--cidr-block", fmt.Sprintf("10.20.%d.0/24", i), "--availability-zone-id", z)
		subnets = append(subnets, sn.Subnet.SubnetId)
	}
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
	start := time.Now()
	for {
		var desc struct{ ClusterInfo struct{ State string } }
		mustCLI(t, info, "kl-a", &desc, "kafka", "describe-cluster-v2", "--cluster-arn", created.ClusterArn)
		if desc.ClusterInfo.State == "ACTIVE" {
			break
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("describe-cluster-v2: got %s 20 s after creation; want ACTIVE", desc.ClusterInfo.State)
		}
	}
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

	aRoot := info.Accounts[0]
	m := aws.Auth{AccessKey: aRoot.AccessKeyID, SecretKey: aRoot.SecretAccessKey}.AsManagedStreamingIAMMechanism()
	cl, err := kgo.NewClient(kgo.SeedBrokers(seeds...), kgo.DialTLSConfig(devClientTLS(t, info.CAFile)), kgo.SASL(m),
		kgo.AllowAutoTopicCreation(), kgo.RetryTimeout(3*time.Second), kgo.ConsumerGroup("provisioned"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.DisableClientMetrics())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := produceConsume(pctx, cl, "payments"); err != nil {
		t.Fatalf("the owner on the new cluster: got %v; want it to produce and consume", err)
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
	start = time.Now()
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
