package daemon

import (
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkalink/kafkalink/internal/dns"
	"github.com/kafkalink/kafkalink/internal/dns/digtest"
	"github.com/kafkalink/kafkalink/internal/freeport"
)

// resolverOf is the address of a VPC's resolver, from dev.json, waiting
// for it to be realized.
func resolverOf(t *testing.T, d *Daemon, vpc string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, r := range d.Resolvers() {
			if r.VPC == vpc && r.Endpoint == "" {
				if r.Error != "" {
					t.Fatalf("the resolver of %s: %s", vpc, r.Error)
				}
				return r.Resolver
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has no resolver; resolvers: %+v", vpc, d.Resolvers())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventually digs until the answer is what want says (kafkalink realizes
// changes asynchronously, within a second), or fails after 5 s.
func eventually(t *testing.T, resolver, name, qtype, wantStatus string, want ...string) {
	t.Helper()
	w := digtest.Want(wantStatus, want...)
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := digtest.Dig(t, resolver, name, qtype)
		if got.Same(w) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("dig %s %s @%s: got %v; want %v", name, qtype, resolver, got, w)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// vpcDialer dials brokers by name, resolving them with a VPC's resolver
// through Go's own DNS client, as a client in that VPC would.
func vpcDialer(resolver string, tc *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, resolver)
	}}
	return func(ctx context.Context, _, addr string) (net.Conn, error) {
		host, _, _ := net.SplitHostPort(addr)
		return tlsDialTo(ctx, &net.Dialer{Resolver: r}, addr, host, tc)
	}
}

// createServerless creates a serverless cluster in a VPC and waits for
// it; it returns the ARN and the bootstrap string.
func createServerless(t *testing.T, info DevInfo, profile, name string, vpc testVPC) (string, string) {
	t.Helper()
	var created struct{ ClusterArn string }
	mustCLI(t, info, profile, &created, "kafka", "create-cluster-v2", "--cluster-name", name, "--serverless",
		`{"VpcConfigs":[{"SubnetIds":["`+strings.Join(vpc.Subnets, `","`)+`"]}],"ClientAuthentication":{"Sasl":{"Iam":{"Enabled":true}}}}`)
	waitClusterActive(t, info, profile, created.ClusterArn, 20*time.Second, "CREATING")
	var boot struct{ BootstrapBrokerStringSaslIam string }
	mustCLI(t, info, profile, &boot, "kafka", "get-bootstrap-brokers", "--cluster-arn", created.ClusterArn)
	return created.ClusterArn, boot.BootstrapBrokerStringSaslIam
}

// endpointOf is a cluster's endpoint in a VPC, from dev.json.
func endpointOf(t *testing.T, d *Daemon, cluster, vpc string) DevEndpoint {
	t.Helper()
	for _, c := range d.DevInfo().Clusters {
		for _, e := range c.Endpoints {
			if c.Name == cluster && e.VPC == vpc {
				return e
			}
		}
	}
	t.Fatalf("dev.json lists no endpoint of %s in %s", cluster, vpc)
	return DevEndpoint{}
}

// Seed 003, the private hosted zone pattern: a serverless cluster's names
// resolve in its own VPC from the zone kafkalink keeps; account A's
// private zone with a wildcard alias to the cluster's endpoint, associated
// (after A's authorization) with account B's VPC, makes them resolve
// there too; B's client produces and consumes by name; a broker replaced
// gets a new name that resolves at once.
func TestSeed003PrivateHostedZone(t *testing.T) {
	d, info := startMSKDev(t, devOptions(t, t.TempDir()))
	svc := createVPC(t, info, "kl-a", "10.40.0.0/16", 0, "use1-az1", "use1-az2")
	client := createVPC(t, info, "kl-b", "10.41.0.0/16", 0, "use1-az1")
	allowTCP(t, info, "kl-a", svc.SG, "9098", "127.0.0.0/8")
	_, bootstrap := createServerless(t, info, "kl-a", "events", svc)
	bootName, _, _ := net.SplitHostPort(bootstrap)
	ep := endpointOf(t, d, "events", svc.ID)

	// In the cluster's VPC, kafkalink's own zone answers.
	eventually(t, resolverOf(t, d, svc.ID), bootName, "A", "NOERROR", bootName+". A "+ep.Addresses[0])
	// Elsewhere nothing does: no zone, no upstream.
	eventually(t, resolverOf(t, d, client.ID), bootName, "A", "REFUSED")

	var zone struct{ HostedZone struct{ Id string } }
	mustCLI(t, info, "kl-a", &zone, "route53", "create-hosted-zone", "--name", "kafka-serverless.us-east-1.amazonaws.com",
		"--caller-reference", "seed003", "--vpc", "VPCRegion=us-east-1,VPCId="+svc.ID, "--hosted-zone-config", "PrivateZone=true")
	zoneID := strings.TrimPrefix(zone.HostedZone.Id, "/hostedzone/")
	mustCLI(t, info, "kl-a", nil, "route53", "change-resource-record-sets", "--hosted-zone-id", zoneID, "--change-batch",
		`{"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"*.kafka-serverless.us-east-1.amazonaws.com","Type":"A",
		"AliasTarget":{"HostedZoneId":"Z7HUB22UULQXV","DNSName":"`+ep.Name+`","EvaluateTargetHealth":false}}}]}`)

	// B cannot associate its VPC before A authorizes it.
	cliFails(t, info, "kl-b", "NotAuthorizedException", "route53", "associate-vpc-with-hosted-zone", "--hosted-zone-id", zoneID, "--vpc", "VPCRegion=us-east-1,VPCId="+client.ID)
	mustCLI(t, info, "kl-a", nil, "route53", "create-vpc-association-authorization", "--hosted-zone-id", zoneID, "--vpc", "VPCRegion=us-east-1,VPCId="+client.ID)
	mustCLI(t, info, "kl-b", nil, "route53", "associate-vpc-with-hosted-zone", "--hosted-zone-id", zoneID, "--vpc", "VPCRegion=us-east-1,VPCId="+client.ID)
	mustCLI(t, info, "kl-a", nil, "route53", "delete-vpc-association-authorization", "--hosted-zone-id", zoneID, "--vpc", "VPCRegion=us-east-1,VPCId="+client.ID)

	// The association stays: B's VPC resolves the cluster's names to the
	// endpoint in A's VPC.
	clientResolver := resolverOf(t, d, client.ID)
	eventually(t, clientResolver, bootName, "A", "NOERROR", bootName+". A "+ep.Addresses[0])
	cl := iamClient(t, devAccount(info, accountA), []string{bootstrap}, "seed003", kgo.Dialer(vpcDialer(clientResolver, devClientTLS(t, info.CAFile))))
	mustProduceConsume(t, cl, "clicks", "a client in B's VPC, by name")

	// A broker is replaced: its successor's name resolves at once, in
	// the cluster's VPC and, through the wildcard, in B's.
	d.provMu.Lock()
	kf := d.provisioned["events"].kf
	d.provMu.Unlock()
	added, _, err := kf.AddNode(-1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := kf.RemoveNode(0); err != nil {
		t.Fatal(err)
	}
	// (kfake does not move a removed broker's data: a new client, on a
	// new topic)
	after := iamClient(t, devAccount(info, accountA), []string{bootstrap}, "seed003-after", kgo.Dialer(vpcDialer(clientResolver, devClientTLS(t, info.CAFile))))
	mustProduceConsume(t, after, "clicks-after", "a client after a broker was replaced")
	name := brokerName(t, d, "events", "serverless-0", added, bootName)
	eventually(t, resolverOf(t, d, svc.ID), name, "A", "NOERROR", name+". A "+ep.Addresses[0])
	eventually(t, clientResolver, name, "A", "NOERROR", name+". A "+ep.Addresses[0])
}

// brokerName waits for the gateway to serve a broker in a serverless
// listener set and returns its name, b<slot+1>-<id8>.….
func brokerName(t *testing.T, d *Daemon, cluster, set string, id int32, bootName string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, cs := range d.gw.Status() {
			for _, st := range cs.ListenerSets {
				if slot, ok := st.Slots[id]; ok && cs.Name == cluster && st.Name == set {
					return strings.Replace(bootName, "boot-", "b"+strconv.Itoa(slot+1)+"-", 1)
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway serves no broker %d in %s/%s", id, cluster, set)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// resolverEndpoint makes an INBOUND or OUTBOUND resolver endpoint with one
// address in each subnet (at .53) and returns its id.
func resolverEndpoint(t *testing.T, info DevInfo, profile, direction string, vpc testVPC, prefix string) string {
	t.Helper()
	args := []string{"route53resolver", "create-resolver-endpoint", "--creator-request-id", direction + vpc.ID, "--direction", direction,
		"--security-group-ids", vpc.SG, "--ip-addresses"}
	for i, sn := range vpc.Subnets {
		ip := ""
		if direction == "INBOUND" {
			ip = ",Ip=" + prefix + "." + strconv.Itoa(i) + ".53"
		}
		args = append(args, "SubnetId="+sn+ip)
	}
	var ep struct{ ResolverEndpoint struct{ Id string } }
	mustCLI(t, info, profile, &ep, args...)
	return ep.ResolverEndpoint.Id
}

// Seed 003, the resolver rule pattern: two serverless clusters in one
// service VPC of account A; an inbound and an outbound endpoint there; a
// FORWARD rule for the serverless domain to the inbound endpoint, shared
// with account B through RAM; once B accepts and associates it with its
// VPC, both clusters' names resolve there. An on-premises server answers
// a domain forwarded to it.
func TestSeed003ResolverRules(t *testing.T) {
	d, info := startMSKDev(t, devOptions(t, t.TempDir()))
	svc := createVPC(t, info, "kl-a", "10.42.0.0/16", 0, "use1-az1", "use1-az2")
	client := createVPC(t, info, "kl-b", "10.43.0.0/16", 0, "use1-az1", "use1-az2")
	allowTCP(t, info, "kl-a", svc.SG, "9098", "127.0.0.0/8")
	_, boot1 := createServerless(t, info, "kl-a", "orders", svc)
	_, boot2 := createServerless(t, info, "kl-a", "payments", svc)
	ep1, ep2 := endpointOf(t, d, "orders", svc.ID), endpointOf(t, d, "payments", svc.ID)
	if ep1.Addresses[0] == ep2.Addresses[0] {
		t.Fatalf("both clusters listen at %s", ep1.Addresses[0])
	}
	resolverEndpoint(t, info, "kl-a", "INBOUND", svc, "10.42")
	out := resolverEndpoint(t, info, "kl-a", "OUTBOUND", svc, "10.42")
	var rule struct{ ResolverRule struct{ Id, Arn string } }
	mustCLI(t, info, "kl-a", &rule, "route53resolver", "create-resolver-rule", "--creator-request-id", "serverless", "--rule-type", "FORWARD",
		"--domain-name", "kafka-serverless.us-east-1.amazonaws.com", "--target-ips", "Ip=10.42.0.53", "Ip=10.42.1.53", "--resolver-endpoint-id", out)

	// Before the share is accepted, B cannot use the rule.
	var share struct {
		ResourceShare struct{ ResourceShareArn string }
	}
	mustCLI(t, info, "kl-a", &share, "ram", "create-resource-share", "--name", "serverless-dns", "--resource-arns", rule.ResolverRule.Arn, "--principals", accountB)
	cliFails(t, info, "kl-b", "ResourceNotFoundException", "route53resolver", "associate-resolver-rule", "--resolver-rule-id", rule.ResolverRule.Id, "--vpc-id", client.ID)
	var inv struct {
		ResourceShareInvitations []struct{ ResourceShareInvitationArn, Status string }
	}
	mustCLI(t, info, "kl-b", &inv, "ram", "get-resource-share-invitations")
	if len(inv.ResourceShareInvitations) != 1 || inv.ResourceShareInvitations[0].Status != "PENDING" {
		t.Fatalf("get-resource-share-invitations: got %+v; want one PENDING", inv.ResourceShareInvitations)
	}
	mustCLI(t, info, "kl-b", nil, "ram", "accept-resource-share-invitation", "--resource-share-invitation-arn", inv.ResourceShareInvitations[0].ResourceShareInvitationArn)
	mustCLI(t, info, "kl-b", nil, "route53resolver", "associate-resolver-rule", "--resolver-rule-id", rule.ResolverRule.Id, "--vpc-id", client.ID)

	clientResolver := resolverOf(t, d, client.ID)
	for _, c := range []struct{ boot, addr string }{{boot1, ep1.Addresses[0]}, {boot2, ep2.Addresses[0]}} {
		name, _, _ := net.SplitHostPort(c.boot)
		eventually(t, clientResolver, name, "A", "NOERROR", name+". A "+c.addr)
	}
	cl := iamClient(t, devAccount(info, accountA), []string{boot2}, "seed003-rules", kgo.Dialer(vpcDialer(clientResolver, devClientTLS(t, info.CAFile))))
	mustProduceConsume(t, cl, "payments", "a client in B's VPC, through the shared rule")

	// A second rule, to an on-premises DNS server.
	onprem := startOnPrem(t, "corp.example.", "db.corp.example. 60 IN A 192.0.2.10")
	var corp struct{ ResolverRule struct{ Id string } }
	host, port, _ := net.SplitHostPort(onprem)
	mustCLI(t, info, "kl-b", &corp, "route53resolver", "create-resolver-rule", "--creator-request-id", "corp", "--rule-type", "FORWARD",
		"--domain-name", "corp.example", "--target-ips", "Ip="+host+",Port="+port, "--resolver-endpoint-id", resolverEndpoint(t, info, "kl-b", "OUTBOUND", client, "10.43"))
	mustCLI(t, info, "kl-b", nil, "route53resolver", "associate-resolver-rule", "--resolver-rule-id", corp.ResolverRule.Id, "--vpc-id", client.ID)
	eventually(t, clientResolver, "db.corp.example", "A", "NOERROR", "db.corp.example. A 192.0.2.10")
}

// startOnPrem is a DNS server outside every VPC (kafkalink's own server
// with one zone), as an on-premises one; it returns its address.
func startOnPrem(t *testing.T, zone string, records ...string) string {
	t.Helper()
	z := dns.NewZone(zone)
	for _, r := range records {
		rr, err := mdns.NewRR(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := z.Add(rr); err != nil {
			t.Fatal(err)
		}
	}
	s := dns.New(dns.Options{})
	t.Cleanup(s.Close)
	s.Update(map[string]*dns.View{"onprem": {Zones: map[string]*dns.Zone{z.Name: z}}}, nil)
	port, err := freeport.Range(1)
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	if err := s.Listen(addr, "onprem"); err != nil {
		t.Fatal(err)
	}
	return addr
}

// Seed 004: two regions, each with a serverless cluster in a service VPC
// and inbound and outbound endpoints there; in each region a rule
// forwards the other region's serverless domain to the other region's
// inbound endpoint, so a client VPC in either region resolves both.
func TestSeed004TwoRegions(t *testing.T) {
	type region struct {
		d      *Daemon
		info   DevInfo
		name   string
		svc    testVPC
		client testVPC
		boot   string
		ep     DevEndpoint
	}
	regions := []*region{{name: "us-east-1"}, {name: "us-west-2"}}
	for i, r := range regions {
		o := devOptions(t, t.TempDir())
		o.Region = r.name
		o.LoopbackRange = []string{"160-199", "200-239"}[i]
		t.Setenv("AWS_REGION", r.name)
		r.d, r.info = startMSKDev(t, o)
		azs := [][]string{{"use1-az1", "use1-az2"}, {"usw2-az1", "usw2-az2"}}[i]
		r.svc = createVPC(t, r.info, "kl-a", "10.50.0.0/16", 0, azs...)
		r.client = createVPC(t, r.info, "kl-b", "10.51.0.0/16", 0, azs...)
		allowTCP(t, r.info, "kl-a", r.svc.SG, "9098", "127.0.0.0/8")
		_, r.boot = createServerless(t, r.info, "kl-a", "events", r.svc)
		r.ep = endpointOf(t, r.d, "events", r.svc.ID)
		resolverEndpoint(t, r.info, "kl-a", "INBOUND", r.svc, "10.50")
	}
	for i, r := range regions {
		other := regions[1-i]
		var inbound string
		for _, e := range other.d.Resolvers() {
			if e.Endpoint != "" {
				inbound = e.Resolver
			}
		}
		host, port, _ := net.SplitHostPort(inbound)
		out := resolverEndpoint(t, r.info, "kl-b", "OUTBOUND", r.client, "10.51")
		var rule struct{ ResolverRule struct{ Id string } }
		mustCLI(t, r.info, "kl-b", &rule, "route53resolver", "create-resolver-rule", "--creator-request-id", "remote", "--rule-type", "FORWARD",
			"--domain-name", "kafka-serverless."+other.name+".amazonaws.com", "--target-ips", "Ip="+host+",Port="+port, "--resolver-endpoint-id", out)
		mustCLI(t, r.info, "kl-b", nil, "route53resolver", "associate-resolver-rule", "--resolver-rule-id", rule.ResolverRule.Id, "--vpc-id", r.client.ID)
	}
	for _, r := range regions {
		for _, target := range regions {
			name, _, _ := net.SplitHostPort(target.boot)
			if target == r {
				// The client VPC has no zone of its own region's
				// clusters, nor a rule: refused.
				eventually(t, resolverOf(t, r.d, r.client.ID), name, "A", "REFUSED")
				continue
			}
			eventually(t, resolverOf(t, r.d, r.client.ID), name, "A", "NOERROR", name+". A "+target.ep.Addresses[0])
		}
	}
}
