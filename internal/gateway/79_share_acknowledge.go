package gateway

import "github.com/twmb/franz-go/pkg/kmsg"

// ShareAcknowledge (key 79): NodeEndpoints lists the brokers that now lead
// partitions named in the response (KIP-932).

func (s *listenerSet) rewriteShareAcknowledge(resp *kmsg.ShareAcknowledgeResponse) bool {
	resp.NodeEndpoints = nodeEndpoints(s, resp.NodeEndpoints,
		func(b *kmsg.ShareAcknowledgeResponseNodeEndpoint) (int32, string, int32) {
			return b.NodeID, b.Host, b.Port
		},
		func(b *kmsg.ShareAcknowledgeResponseNodeEndpoint, h string, p int32) { b.Host, b.Port = h, p })
	return true
}
