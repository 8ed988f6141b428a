package gateway

import "github.com/twmb/franz-go/pkg/kmsg"

// ShareFetch (key 78): NodeEndpoints lists the brokers that now lead
// partitions named in the response (KIP-932).

func (s *listenerSet) rewriteShareFetch(resp *kmsg.ShareFetchResponse) bool {
	resp.NodeEndpoints = nodeEndpoints(s, resp.NodeEndpoints,
		func(b *kmsg.ShareFetchResponseNodeEndpoint) (int32, string, int32) { return b.NodeID, b.Host, b.Port },
		func(b *kmsg.ShareFetchResponseNodeEndpoint, h string, p int32) { b.Host, b.Port = h, p })
	return true
}
