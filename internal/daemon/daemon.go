// Package daemon wires kafkalink together: the store, the upstream dialers,
// broker discovery and the gateway, from one configuration. `kafkalink
// serve` and `kafkalink dev` both start a Daemon; tests start it too.
package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/kafkalink/kafkalink/internal/acl"
	"github.com/kafkalink/kafkalink/internal/authn"
	"github.com/kafkalink/kafkalink/internal/authz"
	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/dns"
	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/msk"
	"github.com/kafkalink/kafkalink/internal/netdriver"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
	"github.com/kafkalink/kafkalink/internal/ram"
	"github.com/kafkalink/kafkalink/internal/route53"
	"github.com/kafkalink/kafkalink/internal/sigv4"

	"github.com/google/uuid"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/config"
	"github.com/kafkalink/kafkalink/internal/controlplane"
	"github.com/kafkalink/kafkalink/internal/gateway"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/scram"
	"github.com/kafkalink/kafkalink/internal/store"
	"github.com/kafkalink/kafkalink/internal/upstream"
)

// Daemon is one running kafkalink.
type Daemon struct {
	cfg     *config.Config
	log     *slog.Logger
	store   store.Store
	gw      *gateway.Gateway
	clients []*kgo.Client

	iam         *iam.Service
	verifier    *sigv4.Verifier    // data-plane signatures (AWS_MSK_IAM, OAUTHBEARER)
	replays     *authn.Replays     // IAM tokens seen, shared by every IAM listener set
	acls        *acl.Authorizer    // Kafka ACLs of SCRAM and mTLS principals
	scram       *scram.Credentials // SCRAM credentials kafkalink keeps
	gen         authz.Generation   // moves when IAM or a cluster policy changes
	audit       *authz.Audit
	ec2         *ec2.Service // VPCs, subnets and security groups
	provMu      sync.Mutex
	provisioned map[string]*provisioned // clusters CreateClusterV2 started
	msk         *msk.Service            // MSK clusters and VPC connections
	netdrv      *netdriver.Loopback     // where VPC addresses live on this machine
	ctx         context.Context         // ends with Close
	cancel      context.CancelFunc
	api         *http.Server
	apiAddr     string // the front door's address, "" when there is none

	embedded *kfake.Cluster       // dev mode's upstream, nil otherwise
	caFile   string               // dev mode's CA certificate
	admin    *DevAdminCredentials // dev mode's super user
	accounts []DevAccount         // the configured accounts and their root keys
	changed  chan struct{}        // signalled when listener addresses change

	region    string
	dns       *dns.Server          // every VPC's resolver
	route53   *route53.Service     // private hosted zones
	resolver  *r53resolver.Service // resolver endpoints and rules
	ram       *ram.Service         // resource shares
	dnsDirty  chan struct{}        // signalled when the resolvers must be realized again
	dnsMu     sync.Mutex
	kept      map[string]keptSet // by cluster/listener set
	resolvers []DevResolver      // as realized
	done      chan struct{}      // closed by Close
}

// Options are what a Daemon needs besides its configuration.
type Options struct {
	Logger *slog.Logger
}

// Start opens the store and serves every configured cluster. It returns
// once every cluster's listeners are open.
func Start(ctx context.Context, cfg *config.Config, o Options) (*Daemon, error) {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	st, err := openStore(cfg.StateDir)
	if err != nil {
		return nil, fmt.Errorf("daemon: %w", err)
	}
	d := &Daemon{cfg: cfg, log: o.Logger, store: st, changed: make(chan struct{}, 1), done: make(chan struct{}), provisioned: map[string]*provisioned{},
		dnsDirty: make(chan struct{}, 1), kept: map[string]keptSet{}}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	d.audit = &authz.Audit{Log: o.Logger.With("log", "audit"), Allows: cfg.AuditAllows}
	d.gw = gateway.New(gateway.Options{
		Store:         st,
		Logger:        o.Logger,
		MaxFrameBytes: cfg.MaxFrameBytes,
		OnChange:      d.signalChanged,
	})
	d.iam, err = iam.NewInDir(st, cfg.StateDir)
	if err == nil {
		d.verifier = &sigv4.Verifier{Keys: d.iam}
		d.replays = &authn.Replays{}
	}
	if err == nil {
		d.acls, err = acl.New(d.ctx, st, o.Logger)
	}
	if err == nil {
		d.scram = scram.New(st, scram.WithLogger(o.Logger))
		err = d.gen.Follow(d.ctx, st, o.Logger, "global/iam/", "clusters/")
	}
	if err != nil {
		d.Close()
		return nil, fmt.Errorf("daemon: %w", err)
	}
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	if d.ec2, err = ec2.New(st, region, nil, nil); err != nil {
		d.Close()
		return nil, fmt.Errorf("daemon: %w", err)
	}
	d.msk = msk.New(st, d.iam, msk.EC2Network{EC2: d.ec2}, region, nil)
	first, last, _ := cfg.Loopback() // validated
	d.netdrv = &netdriver.Loopback{Store: st, First: first, Last: last}
	d.region = region
	d.dns = dns.New(dns.Options{Logger: o.Logger.With("log", "dns"), Upstream: cfg.DNS.Upstream})
	d.route53 = route53.New(st, d.iam, d.ec2, nil)
	d.route53.SetEndpointNames(d.isEndpointName)
	d.resolver = r53resolver.New(st, d.iam, d.ec2, nil)
	d.ram = ram.New(st, d.iam, region, nil)
	d.ram.SetLogger(o.Logger)
	d.ram.Register("route53resolver", "resolver-rule", "route53resolver:ResolverRule", d.resolver)
	d.resolver.SetSharing(d.ram)
	if cfg.APIListen != "" {
		ln, err := net.Listen("tcp", cfg.APIListen)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("daemon: api: %w", err)
		}
		d.apiAddr = ln.Addr().String()
		front := controlplane.New(d.iam, region, o.Logger, controlplane.WithEC2(d.ec2), controlplane.WithKafka(d.msk),
			controlplane.WithRoute53(d.route53), controlplane.WithRoute53Resolver(d.resolver), controlplane.WithRAM(d.ram))
		d.api = &http.Server{Handler: front, ReadHeaderTimeout: 10 * time.Second}
		go d.api.Serve(ln)
	}
	if err := d.ensureAccounts(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("daemon: %w", err)
	}
	for _, cl := range cfg.Clusters {
		client, err := d.addCluster(ctx, cl, nil)
		if err != nil {
			d.Close()
			return nil, fmt.Errorf("daemon: %w", err)
		}
		d.clients = append(d.clients, client)
		if err := d.registerMSK(ctx, cl, clusterNetwork{}); err != nil {
			// The data plane serves it all the same; only the MSK API
			// does not know it.
			d.log.Warn("the cluster is not served by the MSK API", "cluster", cl.Name, "err", err)
		}
	}
	go d.realizeVpcConnections(d.ctx)
	if err := d.resolver.Reconcile(ctx); err != nil {
		d.log.Warn("cannot tidy resolver rule associations", "err", err)
	}
	go d.followDNS(d.ctx)
	d.msk.AttachConnectivityRealizer()
	go d.followConnectivity(d.ctx)
	if cfg.Provisioner == config.ProvisionerEmbedded {
		d.msk.EnableProvisioning()
		go d.provisionClusters(d.ctx)
	}
	return d, nil
}

// addCluster serves a cluster; the client it returns discovers its
// brokers, and is the caller's to close. admit, if set, is every listener
// set's admission rule.
func (d *Daemon) addCluster(ctx context.Context, cl config.Cluster, admit func(remote, local net.Addr) error) (*kgo.Client, error) {
	dialer, err := upstream.NewDialer(cl.Upstream)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cl.Name, err)
	}
	kc, err := kgo.NewClient(dialer.KgoOpts()...)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", cl.Name, err)
	}
	gc := gateway.ClusterConfig{
		Name:              cl.Name,
		Dialer:            dialer,
		Discoverer:        gateway.KgoDiscoverer{Client: kc},
		DiscoveryInterval: cl.DiscoveryInterval,
	}
	fail := func(err error) (*kgo.Client, error) {
		kc.Close()
		return nil, err
	}
	for _, l := range cl.Listeners {
		ls, err := d.configuredListenerSet(ctx, cl, l, admit)
		if err != nil {
			return fail(err)
		}
		gc.ListenerSets = append(gc.ListenerSets, ls)
	}
	d.acls.SetAllowEveryoneIfNoACL(cl.Name, cl.AllowEveryoneIfNoACLFound)
	d.acls.SetSuperUsers(cl.Name, cl.SuperUsers)
	if err := d.gw.AddCluster(ctx, gc); err != nil {
		return fail(err)
	}
	return kc, nil
}

// listenerSet is the gateway's listener set for one of a cluster's
// listeners (or an endpoint that authenticates as it does): its
// authentication and authorization.
func (d *Daemon) listenerSet(ctx context.Context, cl config.Cluster, l config.ListenerSet, name string, strat brokermap.Strategy, tc *tls.Config) (gateway.ListenerSetConfig, error) {
	ls := gateway.ListenerSetConfig{Name: name, Strategy: strat, TLS: tc, SessionLifetime: l.SessionLifetime}
	var az gateway.Authorizer = &authz.ACL{ACLs: d.acls, Cluster: cl.Name, Audit: d.audit}
	switch l.Auth {
	case config.AuthIAM:
		ls.Auth = &authn.IAM{Verifier: d.verifier, IAM: d.iam, Region: d.cfg.Region, Replays: d.replays}
		id, err := d.clusterIdentity(ctx, cl)
		if err != nil {
			return ls, err
		}
		az = &authz.IAM{IAM: d.iam, Store: d.store, Cluster: id, Gen: &d.gen, Audit: d.audit}
	case config.AuthSCRAM:
		ls.Auth = &authn.SCRAM{Credentials: d.scram}
	case config.AuthMTLS:
		ls.Auth = &authn.Certificate{Mapping: l.Principal}
	}
	if l.Authorizes() {
		ls.Authorizer, ls.LocalHandlers = az, d.localHandlers(cl.Name)
	}
	return ls, nil
}

// signalChanged tells whoever follows the daemon's addresses (dev.json,
// the resolvers' names) that they changed.
func (d *Daemon) signalChanged() {
	d.signalDevJSON()
	d.pokeDNS()
}

// signalDevJSON asks for dev.json to be written again.
func (d *Daemon) signalDevJSON() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// configuredListenerSet is the gateway's listener set for one of a
// cluster's listeners as configured (its strategy and certificate), with
// an admission rule.
func (d *Daemon) configuredListenerSet(ctx context.Context, cl config.Cluster, l config.ListenerSet, admit func(remote, local net.Addr) error) (gateway.ListenerSetConfig, error) {
	strat, err := l.BrokerStrategy()
	if err != nil {
		return gateway.ListenerSetConfig{}, fmt.Errorf("cluster %s listener set %s: %w", cl.Name, l.Name, err)
	}
	tc, err := l.TLS.ServerConfig()
	if err != nil {
		return gateway.ListenerSetConfig{}, fmt.Errorf("cluster %s listener set %s: %w", cl.Name, l.Name, err)
	}
	ls, err := d.listenerSet(ctx, cl, l, l.Name, strat, tc)
	ls.Admit = admit
	return ls, err
}

// localHandlers are the Kafka APIs the gateway answers itself for a
// cluster: its ACLs and its SCRAM credentials, which kafkalink keeps.
func (d *Daemon) localHandlers(cluster string) map[kmsg.Key]gateway.LocalHandler {
	return map[kmsg.Key]gateway.LocalHandler{
		kmsg.CreateACLs: func(ctx context.Context, r kmsg.Request) kmsg.Response {
			return d.acls.HandleCreate(ctx, cluster, r.(*kmsg.CreateACLsRequest))
		},
		kmsg.DescribeACLs: func(ctx context.Context, r kmsg.Request) kmsg.Response {
			return d.acls.HandleDescribe(ctx, cluster, r.(*kmsg.DescribeACLsRequest))
		},
		kmsg.DeleteACLs: func(ctx context.Context, r kmsg.Request) kmsg.Response {
			return d.acls.HandleDelete(ctx, cluster, r.(*kmsg.DeleteACLsRequest))
		},
		kmsg.AlterUserSCRAMCredentials: func(ctx context.Context, r kmsg.Request) kmsg.Response {
			return d.scram.HandleAlter(ctx, cluster, r.(*kmsg.AlterUserSCRAMCredentialsRequest))
		},
		kmsg.DescribeUserSCRAMCredentials: func(ctx context.Context, r kmsg.Request) kmsg.Response {
			return d.scram.HandleDescribe(ctx, cluster, r.(*kmsg.DescribeUserSCRAMCredentialsRequest))
		},
	}
}

// clusterIdentity is the cluster as IAM names it: its account, region and
// a UUID kept in the store, so that its ARN never changes.
func (d *Daemon) clusterIdentity(ctx context.Context, cl config.Cluster) (authz.Cluster, error) {
	id := authz.Cluster{Name: cl.Name, Account: cl.Account, Region: d.cfg.Region}
	if id.Region == "" {
		id.Region = "us-east-1"
	}
	if id.Account == "" && len(d.cfg.Accounts) > 0 {
		id.Account = d.cfg.Accounts[0].ID
	}
	if id.Account == "" {
		return id, fmt.Errorf("cluster %s: auth iam needs the account that owns the cluster (account: or accounts:)", cl.Name)
	}
	key := "clusters/" + cl.Name + "/uuid"
	fresh := uuid.NewString()
	_, _, cur, err := d.store.CompareAndSwap(ctx, key, []byte(fresh), 0)
	if err != nil {
		return id, fmt.Errorf("cluster %s: %w", cl.Name, err)
	}
	id.UUID = fresh
	if cur.ModRevision != 0 {
		id.UUID = string(cur.Value)
	}
	return id, nil
}

// ClusterARN is the ARN of a configured cluster.
func (d *Daemon) ClusterARN(ctx context.Context, name string) (string, error) {
	for _, cl := range d.cfg.Clusters {
		if cl.Name == name {
			id, err := d.clusterIdentity(ctx, cl)
			return id.ARN(), err
		}
	}
	return "", fmt.Errorf("no cluster %q", name)
}

// SCRAM returns the SCRAM credentials kafkalink keeps.
func (d *Daemon) SCRAM() *scram.Credentials { return d.scram }

// ACLs returns the Kafka ACLs kafkalink keeps.
func (d *Daemon) ACLs() *acl.Authorizer { return d.acls }

// Gateway returns the daemon's gateway.
func (d *Daemon) Gateway() *gateway.Gateway { return d.gw }

// IAM returns the daemon's identity and access management.
func (d *Daemon) IAM() *iam.Service { return d.iam }

// APIAddr is the front door's address, "" when there is none.
func (d *Daemon) APIAddr() string { return d.apiAddr }

// Embedded returns dev mode's embedded upstream cluster, or nil.
func (d *Daemon) Embedded() *kfake.Cluster { return d.embedded }

// Close stops everything the daemon started.
func (d *Daemon) Close() error {
	close(d.done)
	d.cancel()
	if d.acls != nil {
		d.acls.Close()
	}
	if d.scram != nil {
		d.scram.Close()
	}
	if d.api != nil {
		d.api.Close()
	}
	if d.dns != nil {
		d.dns.Close()
	}
	if d.gw != nil {
		d.gw.Close()
	}
	for _, c := range d.clients {
		c.Close()
	}
	if d.embedded != nil {
		d.embedded.Close()
	}
	var err error
	if d.store != nil {
		err = d.store.Close()
	}
	return err
}

// Run starts the daemon and serves until ctx ends, calling ready (if not
// nil) once it serves.
func Run(ctx context.Context, cfg *config.Config, o Options, ready func(*Daemon)) error {
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return fmt.Errorf("daemon: %w", err)
	}
	d, err := Start(ctx, cfg, o)
	if err != nil {
		return err
	}
	defer d.Close()
	if ready != nil {
		ready(d)
	}
	<-ctx.Done()
	if errors.Is(context.Cause(ctx), context.Canceled) {
		return nil
	}
	return context.Cause(ctx)
}
