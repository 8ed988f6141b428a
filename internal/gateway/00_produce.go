package gateway

import "github.com/twmb/franz-go/pkg/kmsg"

// Produce (key 0): from v10 a response may carry, in top-level tag 0, the
// endpoints of partitions' new leaders (KIP-951). The session only decodes
// a response whose tag scan found them. acks=0 requests have no response;
// the session reads acks before forwarding and expects none.

func (s *listenerSet) rewriteProduce(resp *kmsg.ProduceResponse) bool {
	resp.Brokers = nodeEndpoints(s, resp.Brokers,
		func(b *kmsg.ProduceResponseBroker) (int32, string, int32) { return b.NodeID, b.Host, b.Port },
		func(b *kmsg.ProduceResponseBroker, h string, p int32) { b.Host, b.Port = h, p })
	return true
}
