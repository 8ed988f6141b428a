package daemon

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkalink/kafkalink/internal/authz"
	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/config"
	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/msk"
	"github.com/kafkalink/kafkalink/internal/pki"
	"github.com/kafkalink/kafkalink/internal/store"
	"github.com/kafkalink/kafkalink/internal/upstream"
)

// The embedded provisioner of kafkalink dev: CreateClusterV2 starts an
// in-process Kafka cluster (franz-go's kfake) with the requested brokers,
// and the gateway serves it on its own listeners (9092/9094/9096/9098 per
// enabled scheme, one address per broker) in the cluster's VPC, as the
// network driver maps it. Its data lives in memory: a restart provisions
// it again, empty.

// provisioned is a cluster the provisioner runs.
type provisioned struct {
	cfg    config.Cluster
	kf     *kfake.Cluster
	client *kgo.Client // broker discovery
	// listeners are the cluster's own listener sets, by name, whether on
	// or off; auth says which are on.
	listeners map[string]config.ListenerSet
	auth      msk.ClientAuth
	// admit enforces the cluster's security groups on its own listeners.
	admit func(remote, local net.Addr) error
}

// schemePorts are MSK's ports of a provisioned cluster's own listeners.
var schemePorts = []struct {
	auth, name string
	port       int
	on         func(msk.ClientAuth) bool
}{
	{"", "own-plaintext", 9092, func(a msk.ClientAuth) bool { return a.Unauthenticated }},
	{config.AuthMTLS, "own-mtls", 9094, func(a msk.ClientAuth) bool { return a.TLS }},
	{config.AuthSCRAM, "own-scram", 9096, func(a msk.ClientAuth) bool { return a.SCRAM }},
	{config.AuthIAM, "own-iam", 9098, func(a msk.ClientAuth) bool { return a.IAM }},
}

// clusterConfig is the configuration of a cluster: from the file, or made
// by the provisioner.
func (d *Daemon) clusterConfig(name string) (config.Cluster, bool) {
	for _, c := range d.cfg.Clusters {
		if c.Name == name {
			return c, true
		}
	}
	d.provMu.Lock()
	defer d.provMu.Unlock()
	if p, ok := d.provisioned[name]; ok {
		return p.cfg, true
	}
	return config.Cluster{}, false
}

// provisionClusters keeps the running embedded clusters equal to those
// CreateClusterV2 asked for and DeleteCluster has not removed.
func (d *Daemon) provisionClusters(ctx context.Context) {
	for ctx.Err() == nil {
		_, rev, err := d.store.List(ctx, d.msk.ClusterPrefix())
		if err == nil {
			d.reconcileProvisioned(ctx)
			var events <-chan store.Event
			if events, err = d.store.Watch(ctx, d.msk.ClusterPrefix(), rev+1); err == nil {
				for range events {
					d.reconcileProvisioned(ctx)
				}
			}
		}
		if err != nil && ctx.Err() == nil {
			d.log.Warn("cannot follow requested clusters; retrying", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	d.provMu.Lock()
	defer d.provMu.Unlock()
	for _, p := range d.provisioned {
		if p.client != nil {
			p.client.Close()
		}
		p.kf.Close()
	}
}

func (d *Daemon) reconcileProvisioned(ctx context.Context) {
	reqs, err := d.msk.Requested(ctx)
	if err != nil {
		d.log.Warn("cannot list requested clusters", "err", err)
		return
	}
	for _, c := range reqs {
		name := c.Identity.Name
		d.provMu.Lock()
		p, running := d.provisioned[name]
		d.provMu.Unlock()
		switch {
		case c.State == msk.StateDeleting:
			vpcs := []string{c.Request.VpcID} // provisioned; serverless below
			for _, vc := range c.Request.VpcConfigs {
				vpcs = append(vpcs, vc.VpcID)
			}
			for _, vpc := range vpcs {
				if err := d.netdrv.ReleaseEndpoint(ctx, placementKey(vpc), c.Identity.ARN()); err != nil {
					d.log.Warn("cannot release a deleted cluster's addresses", "cluster", name, "err", err)
				}
			}
			if running {
				if err := d.gw.RemoveCluster(name); err != nil {
					d.log.Warn("cannot stop serving a deleted cluster", "cluster", name, "err", err)
				}
				p.client.Close()
				p.kf.Close()
				d.provMu.Lock()
				delete(d.provisioned, name)
				d.provMu.Unlock()
			}
			if err := d.msk.Deprovisioned(ctx, name); err != nil {
				d.log.Warn("cannot forget a deleted cluster", "cluster", name, "err", err)
			}
			d.log.Info("cluster deleted", "cluster", name)
			d.signalChanged()
		case running && c.Request.Auth != p.auth:
			if err := d.updateSchemes(ctx, p, *c.Request); err != nil {
				d.log.Error("cannot change a cluster's client authentication", "cluster", name, "err", err)
				continue
			}
			d.log.Info("cluster client authentication changed", "cluster", name)
			d.signalChanged()
		case !running && (c.State == msk.StateCreating || c.State == msk.StateActive || c.State == msk.StateUpdating):
			if err := d.provision(ctx, *c.Request); err != nil {
				d.log.Error("cannot provision a cluster", "cluster", name, "err", err)
				continue
			}
			d.log.Info("cluster provisioned", "cluster", name, "brokers", c.Request.Brokers)
			d.signalChanged()
		}
	}
}

// provision starts a requested cluster and serves it.
func (d *Daemon) provision(ctx context.Context, r msk.Request) error {
	if r.Serverless {
		return d.provisionServerless(ctx, r)
	}
	name, owner := r.Identity.Name, r.Identity.Account
	vpc, first, groups, err := d.placement(ctx, r.Identity.ARN(), owner, r.VpcID, r.Subnets[0], r.SecurityGroups)
	if err != nil {
		return err
	}
	const capacity = 15 // MSK's most brokers per cluster
	hosts := []string{}
	for a, i := first, 0; i < capacity; a, i = a.Next(), i+1 {
		hosts = append(hosts, a.String())
	}
	domain := d.clusterDomain(r.Identity)
	certFile, keyFile, err := d.issueClusterCertificate(name, append(hosts, "*."+domain))
	if err != nil {
		return err
	}
	p, fail, err := d.startEmbedded(ctx, r)
	if err != nil {
		return err
	}
	cl := &p.cfg
	cl.SuperUsers = []string{"User:" + DevAdmin, "User:CN=" + DevAdmin}
	p.listeners = map[string]config.ListenerSet{}
	for _, sp := range schemePorts {
		l := config.ListenerSet{Name: sp.name, Strategy: brokermap.IPPerBroker, Auth: sp.auth, FirstIP: first.String(), Count: capacity, Port: sp.port}
		if d.cfg.Advertise == config.AdvertiseNames {
			l.AdvertisedHost = "b-{n}." + domain
		}
		if sp.auth != "" {
			l.TLS = &config.ServerTLS{CertFile: certFile, KeyFile: keyFile}
		}
		if sp.auth == config.AuthMTLS {
			l.TLS.ClientCAFile = filepath.Join(d.cfg.StateDir, "ca.pem")
		}
		p.listeners[sp.name] = l
		if sp.on(r.Auth) {
			cl.Listeners = append(cl.Listeners, l)
		}
		d.keepNames(name, sp.name, keptSet{vpc: vpc.ID, zone: domain, broker: "b-{n}." + domain})
	}
	p.admit = d.admit(owner, vpc.ID, groups, vpc.CIDRBlock)
	if err := d.serveEmbedded(ctx, p); err != nil {
		return fail(err)
	}
	if err := d.registerMSK(ctx, *cl, clusterNetwork{VPC: r.VpcID, Subnets: r.Subnets, ZoneIDs: r.SubnetZones, SecurityGroups: groups}); err != nil {
		return fail(err)
	}
	return nil
}

// maxPlacements is how many clusters kafkalink provisions in one VPC.
const maxPlacements = 8

// placementOffset is where the i-th cluster in a VPC starts in a subnet.
func placementOffset(i int) int { return 32 + 16*i }

// placementKey names the network driver's index of clusters in a VPC.
func placementKey(vpcID string) string { return "placements/" + vpcID }

// subnetHost is where the n-th address of a subnet lives, as the network
// driver maps the VPC.
func (d *Daemon) subnetHost(ctx context.Context, vpc ec2.VPC, sn ec2.Subnet, n int) (netip.Addr, error) {
	declared := sn.CIDRBlock.Masked().Addr()
	for range n {
		declared = declared.Next()
	}
	return d.netdrv.Host(ctx, vpc.ID, vpc.CIDRBlock, declared)
}

// serverlessNames are a serverless cluster's bootstrap name and broker
// name template (ARCHITECTURE §4).
func (d *Daemon) serverlessNames(r msk.Request) (bootstrap, broker string) {
	id8 := strings.ReplaceAll(r.Identity.UUID, "-", "")[:8]
	zone := "c1.kafka-serverless." + r.Identity.Region + "." + d.cfg.NameDomain()
	return "boot-" + id8 + "." + zone, "b{n}-" + id8 + "." + zone
}

// clusterDomain is the domain of a provisioned cluster's broker names:
// <cluster>.<id6>.c1.kafka.<region>.<domain> (ARCHITECTURE §4).
func (d *Daemon) clusterDomain(id authz.Cluster) string {
	id6 := strings.ToLower(strings.ReplaceAll(id.UUID, "-", ""))[:6]
	return fmt.Sprintf("%s.%s.c1.kafka.%s.%s", strings.ToLower(id.Name), id6, id.Region, d.cfg.NameDomain())
}

// provisionServerless starts a serverless cluster: IAM only, served in
// each of its VPCs at one address (its placement's first) on 9098, the
// broker chosen by TLS server name, with the VPC's security groups
// enforced and sessions tagged with the VPC.
func (d *Daemon) provisionServerless(ctx context.Context, r msk.Request) error {
	name, owner := r.Identity.Name, r.Identity.Account
	bootName, brokerName := d.serverlessNames(r)
	zone := bootName[strings.Index(bootName, ".")+1:]
	certFile, keyFile, err := d.issueClusterCertificate(name, []string{bootName, "*." + zone})
	if err != nil {
		return err
	}
	p, fail, err := d.startEmbedded(ctx, r)
	if err != nil {
		return err
	}
	if err := d.serveEmbedded(ctx, p); err != nil { // its listeners come per VPC below
		return fail(err)
	}
	cl := p.cfg
	spec := msk.Spec{Identity: r.Identity, KafkaVersion: KafkaVersion, Auth: r.Auth, ACLsInForce: true, Serverless: true, VpcConfigs: r.VpcConfigs,
		Bootstrap: func(scheme string) string {
			if scheme == string(msk.SchemeIAM) {
				return bootName + ":9098"
			}
			return ""
		}}
	for i, vcfg := range r.VpcConfigs {
		vpc, host, groups, err := d.placement(ctx, r.Identity.ARN(), owner, vcfg.VpcID, vcfg.Subnets[0], vcfg.SecurityGroups)
		if err != nil {
			return fail(err)
		}
		l := config.ListenerSet{Name: fmt.Sprintf("serverless-%d", i), Strategy: brokermap.SNIPerBroker, Auth: config.AuthIAM,
			TLS:    &config.ServerTLS{CertFile: certFile, KeyFile: keyFile},
			Listen: host.String() + ":9098", Port: 9098, BrokerName: brokerName, BootstrapName: bootName}
		ls, err := d.configuredListenerSet(ctx, cl, l, d.admit(owner, vpc.ID, groups, vpc.CIDRBlock))
		if err != nil {
			return fail(err)
		}
		ls.Context = map[string]string{"aws:SourceVpc": vpc.ID}
		d.keepNames(name, l.Name, keptSet{vpc: vpc.ID, zone: zone, broker: brokerName, bootstrap: bootName,
			endpoint: d.endpointName(endpointID(r.Identity.ARN() + "/" + vpc.ID))})
		if err := d.gw.AddListenerSet(ctx, name, ls); err != nil {
			return fail(err)
		}
		p.cfg.Listeners = append(p.cfg.Listeners, l)
	}
	if err := d.msk.Provisioned(ctx, spec); err != nil {
		return fail(err)
	}
	return nil
}

// placement is where a cluster kafkalink provisions listens in a VPC:
// the i-th cluster placed in the VPC from the subnet's address 32+16i on
// (room for MSK's 15 brokers; VPC connection endpoints take 4–11), and
// the security groups that guard it (the VPC's default group when none
// are named, as MSK does).
func (d *Daemon) placement(ctx context.Context, cluster, owner, vpcID, subnetID string, groups []string) (ec2.VPC, netip.Addr, []string, error) {
	vpc, err := d.ec2.VPC(ctx, owner, vpcID)
	if err != nil {
		return vpc, netip.Addr{}, nil, err
	}
	subnets, err := d.ec2.Subnets(ctx, owner, []string{subnetID})
	if err != nil {
		return vpc, netip.Addr{}, nil, err
	}
	i, err := d.netdrv.EndpointIndex(ctx, placementKey(vpcID), cluster, maxPlacements)
	if err != nil {
		return vpc, netip.Addr{}, nil, err
	}
	host, err := d.subnetHost(ctx, vpc, subnets[0], placementOffset(i))
	if len(groups) == 0 {
		groups = []string{vpc.DefaultSecurityGroupID}
	}
	return vpc, host, groups, err
}

// startEmbedded starts a requested cluster's in-memory Kafka and records
// it as provisioned; undo stops serving it and forgets it again.
func (d *Daemon) startEmbedded(ctx context.Context, r msk.Request) (p *provisioned, undo func(error) error, err error) {
	name := r.Identity.Name
	kf, err := kfake.NewCluster(kfake.NumBrokers(r.Brokers), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(3))
	if err != nil {
		return nil, nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	if _, _, _, err := d.store.CompareAndSwap(ctx, "clusters/"+name+"/uuid", []byte(r.Identity.UUID), 0); err != nil {
		kf.Close()
		return nil, nil, err
	}
	p = &provisioned{cfg: config.Cluster{Name: name, Account: r.Identity.Account, Upstream: upstream.Config{Bootstrap: kf.ListenAddrs()}}, kf: kf, auth: r.Auth}
	d.provMu.Lock()
	d.provisioned[name] = p
	d.provMu.Unlock()
	undo = func(err error) error {
		d.provMu.Lock()
		delete(d.provisioned, name)
		d.provMu.Unlock()
		d.gw.RemoveCluster(name)
		if p.client != nil {
			p.client.Close()
		}
		kf.Close()
		return err
	}
	return p, undo, nil
}

// serveEmbedded puts a provisioned cluster in the gateway with the
// listener sets of its configuration, guarded by its admission rule.
func (d *Daemon) serveEmbedded(ctx context.Context, p *provisioned) error {
	client, err := d.addCluster(ctx, p.cfg, p.admit)
	if err != nil {
		return err
	}
	d.provMu.Lock()
	p.client = client
	d.provMu.Unlock()
	return nil
}

// issueClusterCertificate writes a certificate from the state directory's
// CA for a provisioned cluster's broker addresses.
func (d *Daemon) issueClusterCertificate(name string, hosts []string) (certFile, keyFile string, err error) {
	ca, err := pki.LoadOrCreateCA(d.cfg.StateDir, "kafkalink dev CA")
	if err != nil {
		return "", "", err
	}
	cert, err := ca.Issue(hosts...)
	if err != nil {
		return "", "", err
	}
	certFile = filepath.Join(d.cfg.StateDir, "tls", "cluster-"+name+".pem")
	keyFile = filepath.Join(d.cfg.StateDir, "tls", "cluster-"+name+"-key.pem")
	return certFile, keyFile, pki.WriteFiles(cert, certFile, keyFile)
}

// updateSchemes opens the own listener sets of the schemes UpdateSecurity
// turned on and closes (with their sessions) those it turned off.
func (d *Daemon) updateSchemes(ctx context.Context, p *provisioned, r msk.Request) error {
	name := r.Identity.Name
	cl := p.cfg
	cl.Listeners = nil
	for _, sp := range schemePorts {
		l := p.listeners[sp.name]
		was, now := sp.on(p.auth), sp.on(r.Auth)
		if now {
			cl.Listeners = append(cl.Listeners, l)
		}
		switch {
		case now && !was:
			ls, err := d.configuredListenerSet(ctx, cl, l, p.admit)
			if err != nil {
				return err
			}
			if err := d.gw.AddListenerSet(ctx, name, ls); err != nil {
				return err
			}
		case was && !now:
			if err := d.gw.RemoveListenerSet(name, l.Name); err != nil {
				return err
			}
		}
	}
	d.provMu.Lock()
	p.cfg, p.auth = cl, r.Auth
	d.provMu.Unlock()
	return d.registerMSK(ctx, cl, clusterNetwork{VPC: r.VpcID, Subnets: r.Subnets, ZoneIDs: r.SubnetZones, SecurityGroups: r.SecurityGroups})
}
