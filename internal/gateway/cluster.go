package gateway

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/brokermap"
)

// cluster is one upstream cluster and its listener sets.
type cluster struct {
	gw    *Gateway
	cfg   ClusterConfig
	alloc *brokermap.Allocator
	stop  context.CancelFunc // ends discovery

	// versions is the upstream's last ApiVersions answer, for clients that
	// ask before they have authenticated.
	versions atomic.Pointer[kmsg.ApiVersionsResponse]
	// topicIDs maps topic ids to names ([16]byte → string), for requests
	// that name topics by id.
	topicIDs sync.Map

	mu       sync.Mutex
	upstream map[int32]string // live broker id → upstream host:port
	sets     []*listenerSet
	closed   bool
}

// discoverLoop lists the upstream brokers every interval until ctx ends.
func (c *cluster) discoverLoop(ctx context.Context) {
	t := time.NewTicker(c.cfg.DiscoveryInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		dctx, cancel := context.WithTimeout(ctx, c.cfg.DiscoveryInterval)
		if err := c.discover(dctx); err != nil && ctx.Err() == nil {
			c.gw.log.Warn("broker discovery failed; serving the last known brokers", "cluster", c.cfg.Name, "err", err)
		}
		cancel()
	}
}

func (c *cluster) discover(ctx context.Context) error {
	if vd, ok := c.cfg.Discoverer.(VersionsDiscoverer); ok {
		if v, err := vd.ApiVersions(ctx); err == nil {
			c.versions.Store(v)
		}
	}
	brokers, err := c.cfg.Discoverer.Brokers(ctx)
	if err != nil {
		return fmt.Errorf("discover brokers: %w", err)
	}
	if len(brokers) == 0 {
		return errors.New("discover brokers: the upstream listed no brokers")
	}
	c.reconcile(ctx, brokers, true)
	return nil
}

// reconcile opens listeners for brokers and, when the list is complete,
// drains the listeners of brokers no longer in it.
func (c *cluster) reconcile(ctx context.Context, brokers map[int32]string, complete bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	changed := false
	ids := make([]int32, 0, len(brokers))
	for id := range brokers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if c.upstream[id] != brokers[id] {
			c.upstream[id] = brokers[id]
			changed = true
		}
		slot, err := c.alloc.Slot(ctx, id)
		if err != nil {
			c.gw.log.Error("broker has no slot", "cluster", c.cfg.Name, "broker", id, "err", err)
			continue
		}
		for _, s := range c.sets {
			changed = s.open(id, slot) || changed
		}
	}
	if complete {
		for id := range c.upstream {
			if _, ok := brokers[id]; ok {
				continue
			}
			delete(c.upstream, id)
			for _, s := range c.sets {
				s.drain(id)
			}
			changed = true
			c.gw.log.Info("broker left the upstream cluster; its listeners drain", "cluster", c.cfg.Name, "broker", id)
		}
	}
	if changed {
		for _, s := range c.sets {
			s.publish()
		}
		go c.gw.onChange()
	}
}

func (c *cluster) upstreamAddr(id int32) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.upstream[id]
}

func (c *cluster) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for _, s := range c.sets {
		s.closeListeners()
	}
}

func (c *cluster) status() ClusterStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := ClusterStatus{Name: c.cfg.Name, Upstream: map[int32]string{}}
	for id, a := range c.upstream {
		st.Upstream[id] = a
	}
	for _, s := range c.sets {
		st.ListenerSets = append(st.ListenerSets, s.status())
	}
	return st
}

// listenerSet is one addressing strategy's listeners for a cluster. Its
// mutable fields are guarded by the cluster's mutex; the session hot path
// reads only the immutable view.
type listenerSet struct {
	c     *cluster
	name  string
	strat brokermap.Strategy
	tls   *tls.Config
	api   *apiTable // what clients of this set may send

	auth     Authenticator // nil: clients are not authenticated
	lifetime time.Duration // longest session before re-authentication; 0: none
	// authorizer, if set, decides every request of authenticated
	// sessions; local are the APIs the gateway then answers itself.
	authorizer Authorizer
	local      map[kmsg.Key]LocalHandler
	// admit, if set, decides whether an accepted connection may proceed;
	// context is copied into every connection's ConnInfo.
	admit   func(remote, local net.Addr) error
	context map[string]string

	// conns are the set's live client connections (as accepted, under any
	// TLS), from admission until their session ends; removed is set once
	// the set is removed and its connections closed. Guarded by connMu,
	// not by the cluster's mutex.
	connMu  sync.Mutex
	conns   map[net.Conn]struct{}
	removed bool

	slots     map[int32]int          // live brokers with an address here
	listeners map[int32]net.Listener // per-broker strategies
	shared    net.Listener           // shared-listener strategies (SNI)
	errs      map[int32]string       // brokers without an address here

	view atomic.Pointer[setView]
}

// setView is an immutable snapshot of a listener set's addresses.
type setView struct {
	endpoints map[int32]brokermap.Endpoint // broker id → address clients use
	bySlot    map[int]int32
	slots     []int // live slots, sorted
}

func newListenerSet(c *cluster, cfg ListenerSetConfig) *listenerSet {
	s := &listenerSet{
		c: c, name: cfg.Name, strat: cfg.Strategy, tls: cfg.TLS, api: c.gw.api,
		auth: cfg.Auth, lifetime: cfg.SessionLifetime,
		admit: cfg.Admit, context: maps.Clone(cfg.Context), conns: map[net.Conn]struct{}{},
		slots: map[int32]int{}, listeners: map[int32]net.Listener{}, errs: map[int32]string{},
	}
	if cfg.Auth != nil && len(cfg.Auth.Mechanisms()) > 0 {
		s.api = s.api.withSASL()
	}
	if cfg.Auth != nil && cfg.Authorizer != nil {
		s.authorizer, s.local = cfg.Authorizer, cfg.LocalHandlers
		s.api = s.api.withAuthorization(cfg.LocalHandlers)
	}
	s.view.Store(&setView{endpoints: map[int32]brokermap.Endpoint{}, bySlot: map[int]int32{}})
	return s
}

// open gives a broker its address in this set; it reports a change.
func (s *listenerSet) open(id int32, slot int) bool {
	log := s.c.gw.log.With("cluster", s.c.cfg.Name, "listener", s.name, "broker", id)
	if slot >= s.strat.Capacity() {
		if _, seen := s.errs[id]; !seen {
			s.errs[id] = fmt.Sprintf("broker %d has no address: its slot %d is beyond the %d addresses of %s listener set %q (range exhausted)", id, slot, s.strat.Capacity(), s.strat.Kind(), s.name)
			log.Error("broker address range exhausted", "slot", slot, "capacity", s.strat.Capacity())
			return true
		}
		return false
	}
	if cur, ok := s.slots[id]; ok && cur == slot {
		return false
	}
	if bind := s.strat.Bind(slot); bind != "" {
		ln, err := net.Listen("tcp", bind)
		if err != nil {
			s.errs[id] = fmt.Sprintf("broker %d: listen on %s: %v", id, bind, err)
			log.Error("cannot listen for broker", "addr", bind, "err", err)
			return true
		}
		s.listeners[id] = ln
		s.serve(ln, id)
	} else if s.shared == nil {
		ln, err := net.Listen("tcp", s.strat.SharedBind())
		if err != nil {
			s.errs[id] = fmt.Sprintf("listen on %s: %v", s.strat.SharedBind(), err)
			log.Error("cannot listen", "addr", s.strat.SharedBind(), "err", err)
			return true
		}
		s.shared = ln
		s.serve(ln, -1)
	}
	delete(s.errs, id)
	s.slots[id] = slot
	log.Info("broker reachable", "slot", slot, "addr", s.strat.Advertised(slot).String())
	return true
}

// drain stops accepting connections for a broker that left; its live
// sessions end when its upstream connection does.
func (s *listenerSet) drain(id int32) {
	if ln, ok := s.listeners[id]; ok {
		ln.Close()
		delete(s.listeners, id)
	}
	delete(s.slots, id)
	delete(s.errs, id)
}

func (s *listenerSet) closeListeners() {
	for id := range s.listeners {
		s.drain(id)
	}
	if s.shared != nil {
		s.shared.Close()
		s.shared = nil
	}
}

func (s *listenerSet) publish() {
	v := &setView{endpoints: map[int32]brokermap.Endpoint{}, bySlot: map[int]int32{}}
	for id, slot := range s.slots {
		v.endpoints[id] = s.strat.Advertised(slot)
		v.bySlot[slot] = id
		v.slots = append(v.slots, slot)
	}
	sort.Ints(v.slots)
	s.view.Store(v)
}

func (s *listenerSet) status() Status {
	v := s.view.Load()
	st := Status{Cluster: s.c.cfg.Name, Name: s.name, Strategy: s.strat.Kind(), TLS: s.tls != nil,
		Brokers: map[int32]string{}, Slots: map[int32]int{}, Listen: map[int32]string{}}
	if s.auth != nil {
		st.Auth = s.auth.Name()
	}
	for id, ep := range v.endpoints {
		st.Brokers[id] = ep.String()
		slot := s.slots[id]
		st.Slots[id] = slot
		if st.Listen[id] = s.strat.Bind(slot); st.Listen[id] == "" {
			st.Listen[id] = s.strat.SharedBind()
		}
	}
	if len(v.slots) > 0 {
		for _, ep := range s.strat.Bootstrap(v.slots) {
			st.Bootstrap = append(st.Bootstrap, ep.String())
		}
	}
	for _, e := range s.errs {
		st.Errors = append(st.Errors, e)
	}
	sort.Strings(st.Errors)
	return st
}

// endpoint is the address clients of this set use for a broker. A broker
// named by an upstream response before discovery saw it is given its
// address now.
func (s *listenerSet) endpoint(id int32, upHost string, upPort int32) (brokermap.Endpoint, bool) {
	if ep, ok := s.view.Load().endpoints[id]; ok {
		return ep, true
	}
	if upHost == "" || id < 0 {
		return brokermap.Endpoint{}, false
	}
	ctx, cancel := context.WithTimeout(s.c.gw.ctx, 5*time.Second)
	defer cancel()
	s.c.reconcile(ctx, map[int32]string{id: net.JoinHostPort(upHost, strconv.Itoa(int(upPort)))}, false)
	ep, ok := s.view.Load().endpoints[id]
	return ep, ok
}

// serve accepts connections for one broker (id >= 0) or, for shared
// listeners, for whichever broker the client names (id -1).
func (s *listenerSet) serve(ln net.Listener, id int32) {
	g := s.c.gw
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			g.wg.Add(1)
			go func() {
				defer g.wg.Done()
				s.handle(conn, id)
			}()
		}
	}()
}

const handshakeTimeout = 10 * time.Second

func (s *listenerSet) handle(conn net.Conn, id int32) {
	g := s.c.gw
	log := g.log.With("cluster", s.c.cfg.Name, "listener", s.name, "client", conn.RemoteAddr().String())
	if s.admit != nil {
		if err := s.admit(conn.RemoteAddr(), conn.LocalAddr()); err != nil {
			log.Info("connection refused by the listener set's admission rule", "reason", err.Error())
			conn.Close()
			return
		}
	}
	if !s.track(conn) {
		log.Info("listener set removed; connection closed")
		conn.Close()
		return
	}
	defer s.untrack(conn)
	ctx, cancel := context.WithTimeout(g.ctx, handshakeTimeout)
	defer cancel()
	if s.tls != nil {
		tc := tls.Server(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			log.Info("TLS handshake failed", "err", err)
			conn.Close()
			return
		}
		conn = tc
		if id < 0 {
			var ok bool
			if id, ok = s.brokerForServerName(tc.ConnectionState().ServerName); !ok {
				log.Info("no broker for TLS server name", "server_name", tc.ConnectionState().ServerName)
				conn.Close()
				return
			}
		}
	}
	var cr *bufio.Reader
	var as *authState
	if s.auth != nil {
		cr = bufio.NewReaderSize(conn, ioBufferSize)
		var err error
		if as, err = s.authenticate(ctx, conn, cr, id); err != nil {
			log.Warn("client not authenticated; connection closed", "reason", err.Error(), "request_id", as.info.RequestID)
			conn.Close()
			return
		}
		log = log.With("principal", as.ident.Principal)
		log.Debug("client authenticated", "mechanism", as.ident.Mechanism, "request_id", as.info.RequestID, "expires", as.deadline)
	}
	addr := s.c.upstreamAddr(id)
	if addr == "" {
		log.Info("broker is gone; connection refused", "broker", id)
		conn.Close()
		return
	}
	up, err := s.c.cfg.Dialer.Dial(ctx, addr)
	if err != nil {
		log.Warn("cannot reach upstream broker", "broker", id, "err", err)
		conn.Close()
		return
	}
	cancel()
	newSession(g, s, conn, up, cr, as).run(g.ctx)
}

// authenticate learns who the client of a new connection is: from its
// certificate (mTLS) or with SASL. The whole exchange is bounded by ctx.
func (s *listenerSet) authenticate(ctx context.Context, conn net.Conn, cr *bufio.Reader, id int32) (*authState, error) {
	as := &authState{
		a: s.auth, lifetime: s.lifetime, now: time.Now,
		info: ConnInfo{Cluster: s.c.cfg.Name, Listener: s.name, Broker: id, Remote: conn.RemoteAddr(), RequestID: newRequestID(),
			Context: maps.Clone(s.context)},
	}
	if ep, ok := s.view.Load().endpoints[id]; ok {
		as.info.Host = ep.Host
	}
	if tc, ok := conn.(*tls.Conn); ok && s.strat.Kind() == brokermap.SNIPerBroker {
		// The name the client reached: the bootstrap name or a broker's,
		// both checked against the strategy when the connection came in.
		as.info.Host = tc.ConnectionState().ServerName
	}
	if len(s.auth.Mechanisms()) == 0 {
		tc, ok := conn.(*tls.Conn)
		if !ok {
			return as, errors.New("certificate authentication needs TLS")
		}
		ident, err := s.auth.Certificate(as.info, tc.ConnectionState())
		if err != nil {
			return as, err
		}
		as.ident = ident
		if !ident.Expires.IsZero() {
			as.deadline = ident.Expires
		}
		return as, nil
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
		defer conn.SetDeadline(time.Time{})
	}
	return as, s.preAuthenticate(ctx, conn, cr, as)
}

func (s *listenerSet) brokerForServerName(name string) (int32, bool) {
	slot, bootstrap, ok := s.strat.ServerName(name)
	if !ok {
		return 0, false
	}
	v := s.view.Load()
	if bootstrap {
		if len(v.slots) == 0 {
			return 0, false
		}
		slot = v.slots[0]
	}
	id, ok := v.bySlot[slot]
	return id, ok
}

// topicName is the name of the topic with this id, as the upstream's
// Metadata responses revealed it.
func (c *cluster) topicName(id [16]byte) (string, bool) {
	v, ok := c.topicIDs.Load(id)
	if !ok {
		return "", false
	}
	return v.(string), true
}

// learnTopics records the topic ids of a Metadata response.
func (c *cluster) learnTopics(resp *kmsg.MetadataResponse) {
	for i := range resp.Topics {
		t := &resp.Topics[i]
		if t.Topic != nil && t.TopicID != ([16]byte{}) && t.ErrorCode == 0 {
			c.topicIDs.Store(t.TopicID, *t.Topic)
		}
	}
}
