package gateway

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
)

// AddListenerSet adds a listener set to a running cluster. It opens the
// set's listeners at once for every live broker the cluster knows, with
// the brokers' slots (the addresses they have in every set), and publishes
// them; from then on the set follows discovery like the cluster's others.
// When it returns nil, the listeners accept connections and Status lists
// the set. A listener that cannot be opened (e.g. its port is taken) fails
// the whole addition: nothing of the set is left behind.
func (g *Gateway) AddListenerSet(ctx context.Context, cluster string, cfg ListenerSetConfig) error {
	if err := validateSet(cluster, cfg); err != nil {
		return err
	}
	c, err := g.cluster(cluster)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("gateway: cluster %s is closed", cluster)
	}
	if c.setIndex(cfg.Name) >= 0 {
		return fmt.Errorf("gateway: cluster %s already has a listener set named %q", cluster, cfg.Name)
	}
	s := newListenerSet(c, cfg)
	ids := make([]int32, 0, len(c.upstream))
	for id := range c.upstream {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var errs []error
	for _, id := range ids {
		slot, err := c.alloc.Slot(ctx, id)
		if err != nil {
			errs = append(errs, fmt.Errorf("broker %d has no slot: %w", id, err))
			continue
		}
		s.open(id, slot)
		// A slot beyond the strategy's range is reported by Status, as for
		// any set; a listener that failed to open is an error.
		if cur, ok := s.slots[id]; slot < s.strat.Capacity() && (!ok || cur != slot) {
			errs = append(errs, errors.New(s.errs[id]))
		}
	}
	if len(errs) > 0 {
		s.closeListeners()
		s.closeConns()
		return fmt.Errorf("gateway: cluster %s listener set %s: %w", cluster, cfg.Name, errors.Join(errs...))
	}
	s.publish()
	c.sets = append(c.sets, s)
	g.log.Info("listener set added", "cluster", cluster, "listener", cfg.Name, "brokers", len(s.slots))
	go g.onChange()
	return nil
}

// RemoveListenerSet stops a listener set: it closes the set's listeners and
// every client connection the set accepted, so that their sessions end at
// once. The set disappears from Status.
func (g *Gateway) RemoveListenerSet(cluster, name string) error {
	c, err := g.cluster(cluster)
	if err != nil {
		return err
	}
	c.mu.Lock()
	i := c.setIndex(name)
	if i < 0 {
		c.mu.Unlock()
		return fmt.Errorf("gateway: cluster %s has no listener set named %q", cluster, name)
	}
	s := c.sets[i]
	c.sets = slices.Delete(c.sets, i, i+1)
	s.closeListeners()
	c.mu.Unlock()
	n := s.closeConns()
	g.log.Info("listener set removed; its connections are closed", "cluster", cluster, "listener", name, "connections", n)
	go g.onChange()
	return nil
}

// cluster returns the cluster of that name.
func (g *Gateway) cluster(name string) (*cluster, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.clusters {
		if c.cfg.Name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("gateway: no cluster named %q", name)
}

// setIndex is the index of the listener set of that name in c.sets, or -1.
// c.mu must be held.
func (c *cluster) setIndex(name string) int {
	return slices.IndexFunc(c.sets, func(s *listenerSet) bool { return s.name == name })
}

// track registers a live client connection of the set; it reports false,
// and registers nothing, once the set has been removed.
func (s *listenerSet) track(conn net.Conn) bool {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	if s.removed {
		return false
	}
	s.conns[conn] = struct{}{}
	return true
}

// untrack forgets a connection whose session has ended.
func (s *listenerSet) untrack(conn net.Conn) {
	s.connMu.Lock()
	defer s.connMu.Unlock()
	delete(s.conns, conn)
}

// closeConns marks the set removed and closes its live client connections:
// their sessions, or handshakes, fail at once and end. It returns how many
// there were.
func (s *listenerSet) closeConns() int {
	s.connMu.Lock()
	s.removed = true
	conns := s.conns
	s.conns = map[net.Conn]struct{}{}
	s.connMu.Unlock()
	for conn := range conns {
		conn.Close()
	}
	return len(conns)
}
