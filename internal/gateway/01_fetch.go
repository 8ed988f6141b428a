package gateway

import "github.com/twmb/franz-go/pkg/kmsg"

// Fetch (key 1): from v16 a response may carry, in top-level tag 0, the
// endpoints of partitions' new leaders (KIP-951). The session only decodes
// a response whose tag scan found them; records are never copied otherwise.

func (s *listenerSet) rewriteFetch(resp *kmsg.FetchResponse) bool {
	resp.Brokers = nodeEndpoints(s, resp.Brokers,
		func(b *kmsg.FetchResponseBroker) (int32, string, int32) { return b.NodeID, b.Host, b.Port },
		func(b *kmsg.FetchResponseBroker, h string, p int32) { b.Host, b.Port = h, p })
	return true
}
