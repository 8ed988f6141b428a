package daemon

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// With `advertise: names`, a VPC connection's bootstrap strings and
// Metadata give MSK's multi-VPC broker names (b-<n>.iam.<cluster>.<id6>.
// c1.kafka.<region>.<domain>:1400<n>); the client VPC's resolver maps
// them to the endpoint, and a client that resolves them there produces
// and consumes, and signs the names.
func TestVpcConnectionAdvertisesNames(t *testing.T) {
	ctx := context.Background()
	o := devOptions(t, t.TempDir())
	o.Advertise = "names"
	d, info := startMSKDev(t, o)
	arn, err := d.ClusterARN(ctx, "dev")
	if err != nil {
		t.Fatal(err)
	}
	var desc struct {
		ClusterInfo struct{ CurrentVersion string }
	}
	mustCLI(t, info, "kl-a", &desc, "kafka", "describe-cluster-v2", "--cluster-arn", arn)
	mustCLI(t, info, "kl-a", nil, "kafka", "update-connectivity", "--cluster-arn", arn, "--current-version", desc.ClusterInfo.CurrentVersion,
		"--connectivity-info", `{"VpcConnectivity":{"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}}`)
	waitClusterActive(t, info, "kl-a", arn, 5*time.Second, "UPDATING")
	mustCLI(t, info, "kl-a", nil, "kafka", "put-cluster-policy", "--cluster-arn", arn, "--policy", `{"Version":"2012-10-17","Statement":[
	{"Effect":"Allow","Principal":{"AWS":"`+accountB+`"},"Action":["kafka:*","kafka-cluster:*"],"Resource":"arn:aws:kafka:us-east-1:`+accountA+`:*"}]}`)
	vpc := createVPC(t, info, "kl-b", "10.40.0.0/16", 0, "use1-az1", "use1-az2")
	allowTCP(t, info, "kl-b", vpc.SG, "14001-14100", "127.0.0.1/32")
	var vc struct{ VpcConnectionArn string }
	mustCLI(t, info, "kl-b", &vc, "kafka", "create-vpc-connection", "--target-cluster-arn", arn, "--authentication", "SASL_IAM",
		"--vpc-id", vpc.ID, "--security-groups", vpc.SG, "--client-subnets", vpc.Subnets[0], vpc.Subnets[1])
	var boot struct{ BootstrapBrokerStringVpcConnectivitySaslIam string }
	for start := time.Now(); boot.BootstrapBrokerStringVpcConnectivitySaslIam == ""; {
		mustCLI(t, info, "kl-b", &boot, "kafka", "get-bootstrap-brokers", "--cluster-arn", arn)
		if time.Since(start) > 10*time.Second {
			t.Fatal("the VPC connection has no bootstrap string 10 s after its creation")
		}
	}
	name := regexp.MustCompile(`^b-[1-3]\.iam\.dev\.[0-9a-f]{6}\.c1\.kafka\.us-east-1\.amazonaws\.com:1400[1-3]$`)
	seeds := strings.Split(boot.BootstrapBrokerStringVpcConnectivitySaslIam, ",")
	for _, s := range seeds {
		if !name.MatchString(s) {
			t.Errorf("bootstrap %q: want b-<n>.iam.dev.<id6>.c1.kafka.us-east-1.amazonaws.com:1400<n>", s)
		}
	}
	if len(seeds) != 3 {
		t.Fatalf("bootstrap: got %d brokers; want 3 (the same names in both subnets)", len(seeds))
	}

	// Every name resolves, from the client VPC's resolver, to the
	// endpoint's address in each subnet (its fifth: AWS reserves four).
	v, err := d.ec2.VPC(ctx, accountB, vpc.ID)
	if err != nil {
		t.Fatal(err)
	}
	sns, err := d.ec2.Subnets(ctx, accountB, vpc.Subnets)
	if err != nil {
		t.Fatal(err)
	}
	resolver := resolverOf(t, d, vpc.ID)
	for _, seed := range seeds {
		host, _, _ := net.SplitHostPort(seed)
		var want []string
		for _, sn := range sns {
			endpoint, err := d.subnetHost(ctx, v, sn, 4)
			if err != nil {
				t.Fatal(err)
			}
			want = append(want, host+". A "+endpoint.String())
		}
		eventually(t, resolver, host, "A", "NOERROR", want...)
	}
	viaDNS := vpcDialer(resolver, devClientTLS(t, info.CAFile))
	var mu sync.Mutex
	dialed := map[string]bool{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		dialed[addr] = true
		mu.Unlock()
		return viaDNS(ctx, network, addr)
	}
	cl := iamClient(t, devAccount(info, accountB), seeds, "names", kgo.Dialer(dial))
	mustProduceConsume(t, cl, "named", "a client of the named endpoint")
	mu.Lock()
	defer mu.Unlock()
	for addr := range dialed {
		if !name.MatchString(addr) {
			t.Errorf("the client dialed %s: Metadata advertised something other than the names", addr)
		}
	}
}

// With `advertise: names`, a provisioned cluster's brokers are
// b-<n>.<cluster>.<id6>.c1.kafka.<region>.<domain>:9098, each name
// resolving, in the cluster's VPC, to its broker's own address.
func TestProvisionedClusterAdvertisesNames(t *testing.T) {
	ctx := context.Background()
	o := devOptions(t, t.TempDir())
	o.Advertise = "names"
	d, info := startMSKDev(t, o)
	vpc := createVPC(t, info, "kl-a", "10.50.0.0/16", 0, "use1-az1", "use1-az2")
	allowTCP(t, info, "kl-a", vpc.SG, "9098", "127.0.0.1/32")
	var created struct{ ClusterArn string }
	mustCLI(t, info, "kl-a", &created, "kafka", "create-cluster-v2", "--cluster-name", "named", "--provisioned",
		`{"BrokerNodeGroupInfo":{"ClientSubnets":["`+vpc.Subnets[0]+`","`+vpc.Subnets[1]+`"],"InstanceType":"kafka.m5.large"},"KafkaVersion":"3.6.0","NumberOfBrokerNodes":2,"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}`)
	var boot struct{ BootstrapBrokerStringSaslIam string }
	for start := time.Now(); boot.BootstrapBrokerStringSaslIam == ""; {
		mustCLI(t, info, "kl-a", &boot, "kafka", "get-bootstrap-brokers", "--cluster-arn", created.ClusterArn)
		if time.Since(start) > 20*time.Second {
			t.Fatal("the cluster has no IAM bootstrap string 20 s after its creation")
		}
	}
	name := regexp.MustCompile(`^b-([12])\.named\.[0-9a-f]{6}\.c1\.kafka\.us-east-1\.amazonaws\.com:9098$`)
	seeds := strings.Split(boot.BootstrapBrokerStringSaslIam, ",")
	for _, s := range seeds {
		if !name.MatchString(s) {
			t.Errorf("bootstrap %q: want b-<n>.named.<id6>.c1.kafka.us-east-1.amazonaws.com:9098", s)
		}
	}
	// Each name resolves, in the cluster's VPC, to its broker's own
	// address.
	v, err := d.ec2.VPC(ctx, accountA, vpc.ID)
	if err != nil {
		t.Fatal(err)
	}
	sns, err := d.ec2.Subnets(ctx, accountA, vpc.Subnets[:1])
	if err != nil {
		t.Fatal(err)
	}
	resolver := resolverOf(t, d, vpc.ID)
	for _, seed := range seeds {
		host, _, _ := net.SplitHostPort(seed)
		n, _ := strconv.Atoi(name.FindStringSubmatch(seed)[1])
		ip, err := d.subnetHost(ctx, v, sns[0], placementOffset(0)+n-1)
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, resolver, host, "A", "NOERROR", host+". A "+ip.String())
	}
	dial := vpcDialer(resolver, devClientTLS(t, info.CAFile))
	cl := iamClient(t, devAccount(info, accountA), seeds, "named", kgo.Dialer(dial))
	mustProduceConsume(t, cl, "named", "a client of the named brokers")
}
