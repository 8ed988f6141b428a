// Package gateway carries Kafka traffic between clients and an upstream
// cluster. Listener sets accept client connections; each connection is a
// session with one upstream connection to the broker that the listener (its
// port, address or TLS server name) stands for. Frames stream through
// untouched except the responses that name brokers (Metadata,
// FindCoordinator, DescribeCluster, KIP-951 leader endpoints, share-group
// endpoints) and ApiVersions, which are decoded with kmsg and rewritten so
// that no upstream address ever reaches a client. On authenticated listener
// sets the gateway also answers SASL itself and, with an Authorizer,
// decodes and decides every request before it reaches the upstream
// (authorize.go).
package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/store"
)

// DefaultMaxFrameBytes is the largest frame a session accepts (100 MiB).
const DefaultMaxFrameBytes = 100 << 20

// DefaultDiscoveryInterval is how often upstream brokers are listed.
const DefaultDiscoveryInterval = 5 * time.Second

// Dialer opens kafkalink's connection to one upstream broker, ready for
// client frames (TLS and SASL done).
type Dialer interface {
	Dial(ctx context.Context, addr string) (net.Conn, error)
}

// Discoverer lists the upstream cluster's brokers: node id → host:port.
type Discoverer interface {
	Brokers(ctx context.Context) (map[int32]string, error)
}

// Options configure a Gateway.
type Options struct {
	Store         store.Store
	Logger        *slog.Logger
	MaxFrameBytes int32 // DefaultMaxFrameBytes if 0
	// OnChange is called (from any goroutine) after the brokers or the
	// addresses of any listener set changed.
	OnChange func()
}

// ClusterConfig declares one upstream cluster and its listener sets.
type ClusterConfig struct {
	Name              string
	Dialer            Dialer
	Discoverer        Discoverer
	DiscoveryInterval time.Duration // DefaultDiscoveryInterval if 0
	ListenerSets      []ListenerSetConfig
}

// ListenerSetConfig declares one listener set: a strategy for addressing
// brokers and how clients connect.
type ListenerSetConfig struct {
	Name     string
	Strategy brokermap.Strategy
	// TLS, if set, makes the listeners TLS; the SNI strategy requires it.
	TLS *tls.Config
	// Auth, if set, authenticates every client before any request reaches
	// the upstream; it requires TLS.
	Auth Authenticator
	// SessionLifetime bounds an authenticated session before the client
	// must re-authenticate (KIP-368); 0 means only the credentials' expiry
	// does.
	SessionLifetime time.Duration
	// Authorizer, if set with Auth, decides every request of an
	// authenticated session; without one, an authenticated client may
	// send any request the gateway offers.
	Authorizer Authorizer
	// LocalHandlers are APIs the gateway answers itself on a listener set
	// with an Authorizer, once the request is authorized.
	LocalHandlers map[kmsg.Key]LocalHandler
	// Admit, if set, is asked about every accepted connection before
	// anything else happens on it (before TLS): remote is the client's
	// address, local the listener's. A non-nil error closes the connection
	// at once and is logged (at Info) as the reason; this is how, e.g.,
	// security-group inbound rules are enforced. It is called from the
	// connection's own goroutine, concurrently for several connections.
	Admit func(remote, local net.Addr) error
	// Context holds extra facts about every session of the listener set,
	// e.g. "aws:SourceVpc", "aws:SourceVpce" or "kafkalink:VpcConnection".
	// Each connection's ConnInfo carries a copy of it, so that the
	// Authenticator and the Authorizer see it (e.g. as IAM condition
	// keys). The gateway copies it when the listener set is added: later
	// changes to the map have no effect.
	Context map[string]string
}

// Gateway runs the listener sets of every cluster.
type Gateway struct {
	log      *slog.Logger
	st       store.Store
	api      *apiTable
	maxFrame int32
	onChange func()

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu       sync.Mutex
	clusters []*cluster
}

// New returns a gateway with no clusters.
func New(o Options) *Gateway {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = DefaultMaxFrameBytes
	}
	if o.OnChange == nil {
		o.OnChange = func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Gateway{
		log:      o.Logger,
		st:       o.Store,
		api:      newAPITable(),
		maxFrame: o.MaxFrameBytes,
		onChange: o.OnChange,
		ctx:      ctx,
		cancel:   cancel,
	}
}

// AddCluster starts serving a cluster: it discovers the brokers once (so
// the listeners exist when AddCluster returns) and then keeps discovering
// them every interval.
func (g *Gateway) AddCluster(ctx context.Context, cfg ClusterConfig) error {
	if cfg.Name == "" || cfg.Dialer == nil || cfg.Discoverer == nil {
		return errors.New("gateway: a cluster needs a name, a dialer and a discoverer")
	}
	if cfg.DiscoveryInterval <= 0 {
		cfg.DiscoveryInterval = DefaultDiscoveryInterval
	}
	c := &cluster{gw: g, cfg: cfg, alloc: brokermap.NewAllocator(g.st, cfg.Name), upstream: map[int32]string{}}
	for i, lc := range cfg.ListenerSets {
		if err := validateSet(cfg.Name, lc); err != nil {
			return err
		}
		for _, prev := range cfg.ListenerSets[:i] {
			if prev.Name == lc.Name {
				return fmt.Errorf("gateway: cluster %s: two listener sets named %q", cfg.Name, lc.Name)
			}
		}
		c.sets = append(c.sets, newListenerSet(c, lc))
	}
	if err := c.discover(ctx); err != nil {
		c.close()
		return fmt.Errorf("gateway: cluster %s: %w", cfg.Name, err)
	}
	dctx, stop := context.WithCancel(g.ctx)
	c.stop = stop
	g.mu.Lock()
	g.clusters = append(g.clusters, c)
	g.mu.Unlock()
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		c.discoverLoop(dctx)
	}()
	return nil
}

// RemoveCluster stops serving a cluster: its discovery ends, and every
// listener set closes with its live sessions.
func (g *Gateway) RemoveCluster(name string) error {
	g.mu.Lock()
	i := slices.IndexFunc(g.clusters, func(c *cluster) bool { return c.cfg.Name == name })
	if i < 0 {
		g.mu.Unlock()
		return fmt.Errorf("gateway: no cluster named %q", name)
	}
	c := g.clusters[i]
	g.clusters = slices.Delete(g.clusters, i, i+1)
	g.mu.Unlock()
	c.stop()
	c.mu.Lock()
	sets := c.sets
	c.mu.Unlock()
	c.close()
	n := 0
	for _, s := range sets {
		n += s.closeConns()
	}
	g.log.Info("cluster removed; its connections are closed", "cluster", name, "connections", n)
	go g.onChange()
	return nil
}

// validateSet checks a listener set's configuration.
func validateSet(cluster string, lc ListenerSetConfig) error {
	if err := brokermap.Validate(lc.Strategy); err != nil {
		return fmt.Errorf("gateway: cluster %s listener set %s: %w", cluster, lc.Name, err)
	}
	if lc.Auth != nil && lc.TLS == nil {
		return fmt.Errorf("gateway: cluster %s listener set %s: an authenticated listener set needs TLS", cluster, lc.Name)
	}
	if lc.Strategy.Kind() == brokermap.SNIPerBroker && lc.TLS == nil {
		return fmt.Errorf("gateway: cluster %s listener set %s: the sni strategy needs TLS", cluster, lc.Name)
	}
	return nil
}

// Close stops every listener and session and waits for them.
func (g *Gateway) Close() {
	g.cancel()
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.clusters {
		c.close()
	}
	g.wg.Wait()
}

// Status describes a listener set for people and programs.
type Status struct {
	Cluster   string
	Name      string
	Strategy  brokermap.Kind
	TLS       bool
	Auth      string // the Authenticator's name, "" when unauthenticated
	Bootstrap []string
	Brokers   map[int32]string // upstream broker id → address clients use
	// Slots is each live broker's slot (names like b-{n} use slot+1);
	// Listen is the address its listener is bound to (one shared address
	// for SNI sets).
	Slots  map[int32]int
	Listen map[int32]string
	Errors []string // e.g. an exhausted range
}

// ClusterStatus describes a cluster.
type ClusterStatus struct {
	Name         string
	Upstream     map[int32]string
	ListenerSets []Status
}

// Status returns the state of every cluster.
func (g *Gateway) Status() []ClusterStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []ClusterStatus
	for _, c := range g.clusters {
		out = append(out, c.status())
	}
	return out
}
