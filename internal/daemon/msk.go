package daemon

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/config"
	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/msk"
	"github.com/kafkalink/kafkalink/internal/pki"
)

// The MSK control plane in the daemon: clusters registered with their
// networks, and VPC connections realized as gateway listener sets on the
// network driver's addresses.

// KafkaVersion is the Apache Kafka version kafkalink reports for a
// cluster (the protocol its gateway speaks).
const KafkaVersion = "3.8.x"

// multiVPCFirstPort is the first multi-VPC endpoint port (14001–14100).
const multiVPCFirstPort = 14001

// clusterNetwork is the VPC kafkalink keeps for a cluster in its owner's
// account: one subnet in each of the region's first three zones.
type clusterNetwork struct {
	VPC            string   `json:"vpc"`
	Subnets        []string `json:"subnets"`
	ZoneIDs        []string `json:"zoneIds"`
	SecurityGroups []string `json:"securityGroups"`
}

func (d *Daemon) ensureClusterNetwork(ctx context.Context, cluster, account string) (clusterNetwork, error) {
	key := "clusters/" + cluster + "/network"
	var cn clusterNetwork
	if kv, ok, err := d.store.Get(ctx, key); err != nil {
		return cn, err
	} else if ok {
		return cn, json.Unmarshal(kv.Value, &cn)
	}
	if _, err := d.iam.Account(ctx, account); err != nil {
		return cn, fmt.Errorf("cluster %s: account %s: %w", cluster, account, err)
	}
	vpc, err := d.ec2.CreateVPC(ctx, account, "10.0.0.0/16", ec2.TagSpecification{ResourceType: "vpc", Tags: []ec2.Tag{{Key: "Name", Value: "kafkalink cluster " + cluster}}})
	if err != nil {
		return cn, fmt.Errorf("cluster %s: %w", cluster, err)
	}
	cn.VPC, cn.SecurityGroups = vpc.ID, []string{vpc.DefaultSecurityGroupID}
	for i, z := range d.ec2.Zones()[:3] {
		sn, err := d.ec2.CreateSubnet(ctx, account, ec2.CreateSubnetInput{VPCID: vpc.ID, CIDRBlock: fmt.Sprintf("10.0.%d.0/24", i), AvailabilityZoneID: z.ID})
		if err != nil {
			return cn, fmt.Errorf("cluster %s: %w", cluster, err)
		}
		cn.Subnets, cn.ZoneIDs = append(cn.Subnets, sn.ID), append(cn.ZoneIDs, z.ID)
	}
	b, err := json.Marshal(cn)
	if err != nil {
		return cn, err
	}
	_, _, cur, err := d.store.CompareAndSwap(ctx, key, b, 0)
	if err == nil && cur.ModRevision != 0 {
		err = json.Unmarshal(cur.Value, &cn)
	}
	return cn, err
}

// registerMSK makes a cluster an MSK cluster: its ARN, zones, client
// authentication and bootstrap strings. A cluster of the configuration
// (cn zero) gets a network kafkalink keeps in its owner's account; a
// provisioned one has the network it was created in.
func (d *Daemon) registerMSK(ctx context.Context, cl config.Cluster, cn clusterNetwork) error {
	id, err := d.clusterIdentity(ctx, cl)
	if err != nil {
		return nil // no owning account: not an MSK cluster
	}
	provisioned := cn.VPC != ""
	if !provisioned {
		if cn, err = d.ensureClusterNetwork(ctx, cl.Name, id.Account); err != nil {
			return err
		}
	}
	spec := msk.Spec{Identity: id, KafkaVersion: KafkaVersion, ACLsInForce: !cl.AllowEveryoneIfNoACLFound,
		Subnets: cn.Subnets, SecurityGroups: cn.SecurityGroups, ZoneIDs: cn.ZoneIDs}
	for _, l := range cl.Listeners {
		switch l.Auth {
		case config.AuthIAM:
			spec.Auth.IAM = true
		case config.AuthSCRAM:
			spec.Auth.SCRAM = true
		case config.AuthMTLS:
			spec.Auth.TLS = true
		default:
			spec.Auth.Unauthenticated = true
		}
	}
	for _, cs := range d.gw.Status() {
		if cs.Name == cl.Name {
			spec.Brokers = len(cs.Upstream)
		}
	}
	spec.Bootstrap = func(scheme string) string {
		for _, cs := range d.gw.Status() {
			if cs.Name != cl.Name {
				continue
			}
			for _, ls := range cs.ListenerSets {
				if strings.HasPrefix(ls.Name, endpointSetPrefix) || ls.Strategy == brokermap.SNIPerBroker {
					continue
				}
				if ls.Auth == authenticatorName[scheme] || (scheme == "PLAINTEXT" && ls.Auth == "") {
					return strings.Join(ls.Bootstrap, ",")
				}
			}
		}
		return ""
	}
	spec.Nodes = func() []msk.Node {
		var nodes []msk.Node
		for _, cs := range d.gw.Status() {
			if cs.Name != cl.Name {
				continue
			}
			for id := range cs.Upstream {
				n := msk.Node{ID: id}
				for _, ls := range cs.ListenerSets {
					if strings.HasPrefix(ls.Name, endpointSetPrefix) {
						continue
					}
					if host, _, err := net.SplitHostPort(ls.Brokers[id]); err == nil && !slices.Contains(n.Hosts, host) {
						n.Hosts = append(n.Hosts, host)
					}
				}
				nodes = append(nodes, n)
			}
		}
		return nodes
	}
	if provisioned {
		return d.msk.Provisioned(ctx, spec)
	}
	return d.msk.Register(ctx, spec)
}

// schemeLabel names a scheme in multi-VPC broker names.
var schemeLabel = map[msk.Scheme]string{msk.SchemeIAM: "iam", msk.SchemeSCRAM: "scram", msk.SchemeTLS: "tls"}

// authenticatorName is the gateway's name for the authenticator of a
// scheme.
var authenticatorName = map[string]string{string(msk.SchemeIAM): "IAM", string(msk.SchemeSCRAM): "SASL_SCRAM", string(msk.SchemeTLS): "TLS"}

// endpointSetPrefix names the listener sets of VPC connection endpoints.
const endpointSetPrefix = "vpce-"

// schemeAuth is the listener auth that serves a VPC connection scheme.
var schemeAuth = map[msk.Scheme]string{msk.SchemeIAM: config.AuthIAM, msk.SchemeSCRAM: config.AuthSCRAM, msk.SchemeTLS: config.AuthMTLS}

// realized is what the daemon opened for one VPC connection.
type realized struct {
	cluster string
	vpc     string
	sets    []string
}

// realizeVpcConnections keeps the gateway's endpoint listener sets equal
// to the VPC connections the store holds: it opens those CREATING or
// AVAILABLE, and closes (with their live sessions) those rejected or
// deleted, as soon as the store says so.
func (d *Daemon) realizeVpcConnections(ctx context.Context) {
	open := map[string]realized{} // by VPC connection ARN
	d.follow(ctx, d.msk.VpcConnectionPrefix(), func() { d.reconcileEndpoints(ctx, open) })
	for arn, r := range open {
		d.closeEndpoint(ctx, arn, r)
	}
}

func (d *Daemon) reconcileEndpoints(ctx context.Context, open map[string]realized) {
	conns, err := d.msk.VpcConnections(ctx)
	if err != nil {
		d.log.Warn("cannot list VPC connections", "err", err)
		return
	}
	want := map[string]msk.VpcConnection{}
	for _, vc := range conns {
		if vc.State == msk.StateCreating || vc.State == msk.StateAvailable {
			want[vc.ARN] = vc
		}
	}
	for arn, r := range open {
		if _, ok := want[arn]; !ok {
			d.closeEndpoint(ctx, arn, r)
			delete(open, arn)
		}
	}
	for arn, vc := range want {
		if _, ok := open[arn]; ok {
			continue
		}
		r, bootstrap, err := d.openEndpoint(ctx, vc)
		state, reason := msk.StateAvailable, ""
		if err != nil {
			d.log.Error("cannot open the endpoint of a VPC connection", "vpc_connection", arn, "err", err)
			state, reason = msk.StateFailed, err.Error()
		} else {
			open[arn] = r
			d.log.Info("VPC connection endpoint open", "vpc_connection", arn, "bootstrap", bootstrap)
		}
		if vc.State != state || vc.Bootstrap != bootstrap {
			if err := d.msk.SetVpcConnectionState(ctx, arn, state, bootstrap, reason); err != nil {
				d.log.Warn("cannot record a VPC connection's state", "vpc_connection", arn, "err", err)
			}
			d.signalChanged() // dev.json lists the new bootstrap string
		}
	}
}

// openEndpoint opens a VPC connection's endpoint: in each of its subnets,
// one listener per broker (ports from 14001) at an address of the client
// VPC, authenticating as the cluster's listener of the scheme does,
// admitting only what the security groups allow, and tagging every
// session with the VPC and the endpoint.
func (d *Daemon) openEndpoint(ctx context.Context, vc msk.VpcConnection) (realized, string, error) {
	r := realized{cluster: vc.Cluster, vpc: vc.VpcID}
	var l config.ListenerSet
	cl, found := d.clusterConfig(vc.Cluster)
	if found {
		found = false
		for _, x := range cl.Listeners {
			if x.Auth == schemeAuth[vc.Auth] && !found {
				l, found = x, true
			}
		}
	}
	if !found {
		return r, "", fmt.Errorf("cluster %s has no %s listener set", vc.Cluster, vc.Auth)
	}
	id, err := d.clusterIdentity(ctx, cl)
	if err != nil {
		return r, "", err
	}
	vpc, err := d.ec2.VPC(ctx, vc.Owner, vc.VpcID)
	if err != nil {
		return r, "", err
	}
	subnets, err := d.ec2.Subnets(ctx, vc.Owner, vc.Subnets)
	if err != nil {
		return r, "", err
	}
	idx, err := d.netdrv.EndpointIndex(ctx, vc.VpcID, vc.ID, 8)
	if err != nil {
		return r, "", err
	}
	baseTLS, err := l.TLS.ServerConfig()
	if err != nil {
		return r, "", err
	}
	vpce := "vpce-" + strings.ReplaceAll(vc.ID, "-", "")[:17]
	var bootstrap []string
	for i, sn := range subnets {
		declared := sn.CIDRBlock.Masked().Addr()
		for range 4 + idx { // AWS reserves the first four addresses
			declared = declared.Next()
		}
		host, err := d.netdrv.Host(ctx, vpc.ID, vpc.CIDRBlock, declared)
		if err != nil {
			d.closeEndpoint(ctx, vc.ARN, r)
			return r, "", err
		}
		strat := brokermap.Ports{BindHost: host.String(), FirstPort: multiVPCFirstPort, LastPort: multiVPCFirstPort + 99}
		names := []string{host.String()}
		if d.cfg.Advertise == config.AdvertiseNames {
			domain := schemeLabel[vc.Auth] + "." + d.clusterDomain(id)
			strat.AdvertisedHost = "b-{n}." + domain
			names = append(names, "*."+domain)
		}
		tc, err := d.endpointTLS(baseTLS, names...)
		if err != nil {
			d.closeEndpoint(ctx, vc.ARN, r)
			return r, "", err
		}
		name := fmt.Sprintf("%s%s-%d", endpointSetPrefix, vc.ID, i)
		ls, err := d.listenerSet(ctx, cl, l, name, strat, tc)
		if err != nil {
			d.closeEndpoint(ctx, vc.ARN, r)
			return r, "", err
		}
		ls.Context = map[string]string{"aws:SourceVpc": vc.VpcID, "aws:SourceVpce": vpce, "kafkalink:VpcConnectionArn": vc.ARN}
		domain := d.clusterDomain(id)
		d.keepNames(vc.Cluster, name, keptSet{vpc: vc.VpcID, zone: domain, broker: "b-{n}." + schemeLabel[vc.Auth] + "." + domain, endpoint: d.endpointName(vpce)})
		ls.Admit = d.admit(vc.Owner, vc.VpcID, vc.SecurityGroups, vpc.CIDRBlock)
		if err := d.gw.AddListenerSet(ctx, vc.Cluster, ls); err != nil {
			d.closeEndpoint(ctx, vc.ARN, r)
			return r, "", err
		}
		r.sets = append(r.sets, name)
		for _, cs := range d.gw.Status() {
			for _, st := range cs.ListenerSets {
				if cs.Name != vc.Cluster || st.Name != name {
					continue
				}
				for _, b := range st.Bootstrap {
					if !slices.Contains(bootstrap, b) { // names are the same in every subnet
						bootstrap = append(bootstrap, b)
					}
				}
			}
		}
	}
	return r, strings.Join(bootstrap, ","), nil
}

// admit enforces security groups at accept time: the client's address,
// mapped back into the VPC, must be allowed by an inbound rule of one of
// the account's groups on the port it connected to.
func (d *Daemon) admit(account, vpcID string, groupIDs []string, cidr netip.Prefix) func(remote, local net.Addr) error {
	return func(remote, local net.Addr) error {
		if len(groupIDs) == 0 {
			return errors.New("no security group")
		}
		ra, la := addrPort(remote), addrPort(local)
		src, _ := d.netdrv.Declared(d.ctx, vpcID, cidr, ra.Addr())
		groups, err := d.ec2.SecurityGroups(d.ctx, account, groupIDs)
		if err != nil {
			return fmt.Errorf("security groups %s: %w", strings.Join(groupIDs, ", "), err)
		}
		if _, ok := ec2.AdmitsTCP(groups, src, nil, la.Port()); !ok {
			return fmt.Errorf("no inbound rule of %s admits TCP from %s to port %d", strings.Join(groupIDs, ", "), src, la.Port())
		}
		return nil
	}
}

func addrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort()
	}
	ap, _ := netip.ParseAddrPort(a.String())
	return ap
}

// endpointTLS is the TLS configuration of an endpoint known by names
// (addresses or host names): a certificate for them from the state
// directory's CA (dev mode), else the cluster listener's own.
func (d *Daemon) endpointTLS(base *tls.Config, names ...string) (*tls.Config, error) {
	if _, err := os.Stat(filepath.Join(d.cfg.StateDir, "ca.pem")); err != nil || base == nil {
		return base, nil
	}
	ca, err := pki.LoadOrCreateCA(d.cfg.StateDir, "kafkalink dev CA")
	if err != nil {
		return nil, err
	}
	cert, err := ca.Issue(names...)
	if err != nil {
		return nil, err
	}
	tc := base.Clone()
	tc.Certificates, tc.GetCertificate = []tls.Certificate{cert}, nil
	return tc, nil
}

// closeEndpoint closes a VPC connection's listener sets and their live
// sessions, and frees its addresses.
func (d *Daemon) closeEndpoint(ctx context.Context, arn string, r realized) {
	for _, name := range slices.Backward(r.sets) {
		if err := d.gw.RemoveListenerSet(r.cluster, name); err != nil {
			d.log.Warn("cannot close an endpoint listener set", "vpc_connection", arn, "set", name, "err", err)
		}
	}
	id := arn[strings.LastIndex(arn, "/")+1:]
	if err := d.netdrv.ReleaseEndpoint(ctx, r.vpc, id); err != nil && ctx.Err() == nil {
		d.log.Warn("cannot free an endpoint's addresses", "vpc_connection", arn, "err", err)
	}
	d.log.Info("VPC connection endpoint closed", "vpc_connection", arn)
}
