package gateway

// LiveConns is how many client connections a listener set tracks, or -1
// when the cluster has no such set.
func LiveConns(g *Gateway, cluster, set string) int {
	c, err := g.cluster(cluster)
	if err != nil {
		return -1
	}
	c.mu.Lock()
	i := c.setIndex(set)
	var s *listenerSet
	if i >= 0 {
		s = c.sets[i]
	}
	c.mu.Unlock()
	if s == nil {
		return -1
	}
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return len(s.conns)
}
