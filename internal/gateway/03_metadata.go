package gateway

import "github.com/twmb/franz-go/pkg/kmsg"

// Metadata (key 3), every version: Brokers lists each broker's node id,
// host, port and rack. Each is pointed at this listener set. A broker the
// gateway has not seen yet gets its slot and listener now, so a client
// never learns of a broker it cannot reach; one that cannot have an address
// here (the range is full) is left out.

func (s *listenerSet) rewriteMetadata(resp *kmsg.MetadataResponse) bool {
	s.c.learnTopics(resp)
	resp.Brokers = nodeEndpoints(s, resp.Brokers,
		func(b *kmsg.MetadataResponseBroker) (int32, string, int32) { return b.NodeID, b.Host, b.Port },
		func(b *kmsg.MetadataResponseBroker, h string, p int32) { b.Host, b.Port = h, p })
	return true
}
