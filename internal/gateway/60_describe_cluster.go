package gateway

import "github.com/twmb/franz-go/pkg/kmsg"

// DescribeCluster (key 60): Brokers lists node id, host, port and rack. From
// v1 a client may ask for controllers instead of brokers (EndpointType 2);
// controllers are not reachable through the gateway, so none is listed.

func (s *listenerSet) rewriteDescribeCluster(resp *kmsg.DescribeClusterResponse) bool {
	if resp.EndpointType == 2 {
		resp.Brokers = resp.Brokers[:0]
		return true
	}
	resp.Brokers = nodeEndpoints(s, resp.Brokers,
		func(b *kmsg.DescribeClusterResponseBroker) (int32, string, int32) { return b.NodeID, b.Host, b.Port },
		func(b *kmsg.DescribeClusterResponseBroker, h string, p int32) { b.Host, b.Port = h, p })
	return true
}
