package gateway

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FindCoordinator (key 10): v0–v3 answer one coordinator in top-level
// NodeID, Host and Port; v4+ batch them in Coordinators. A coordinator
// without an address here is answered as COORDINATOR_NOT_AVAILABLE so the
// client retries, as it would while a broker is starting.

func (s *listenerSet) rewriteFindCoordinator(resp *kmsg.FindCoordinatorResponse) bool {
	if resp.Version < 4 {
		resp.Host, resp.Port, resp.NodeID, resp.ErrorCode = s.coordinator(resp.NodeID, resp.Host, resp.Port, resp.ErrorCode)
		return true
	}
	for i := range resp.Coordinators {
		c := &resp.Coordinators[i]
		c.Host, c.Port, c.NodeID, c.ErrorCode = s.coordinator(c.NodeID, c.Host, c.Port, c.ErrorCode)
	}
	return true
}

func (s *listenerSet) coordinator(id int32, host string, port int32, code int16) (string, int32, int32, int16) {
	if code != 0 || id < 0 {
		return "", -1, -1, code
	}
	ep, ok := s.endpoint(id, host, port)
	if !ok {
		return "", -1, -1, kerr.CoordinatorNotAvailable.Code
	}
	return ep.Host, ep.Port, id, code
}
