package gateway

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// KgoDiscoverer lists an upstream cluster's brokers with a Metadata request
// for no topics, sent by a franz-go client that has kafkalink's upstream
// credentials.
type KgoDiscoverer struct{ Client *kgo.Client }

// Brokers implements Discoverer.
func (d KgoDiscoverer) Brokers(ctx context.Context) (map[int32]string, error) {
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = []kmsg.MetadataRequestTopic{}
	resp, err := req.RequestWith(ctx, d.Client)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	out := make(map[int32]string, len(resp.Brokers))
	for _, b := range resp.Brokers {
		out[b.NodeID] = net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	}
	return out, nil
}

// VersionsDiscoverer is a Discoverer that also asks the upstream which API
// versions it serves, so that clients that have not authenticated yet get
// an ApiVersions answer without an upstream connection of their own.
type VersionsDiscoverer interface {
	Discoverer
	ApiVersions(ctx context.Context) (*kmsg.ApiVersionsResponse, error)
}

// ApiVersions implements VersionsDiscoverer.
func (d KgoDiscoverer) ApiVersions(ctx context.Context) (*kmsg.ApiVersionsResponse, error) {
	resp, err := kmsg.NewPtrApiVersionsRequest().RequestWith(ctx, d.Client)
	if err != nil {
		return nil, fmt.Errorf("api versions: %w", err)
	}
	if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
		return nil, fmt.Errorf("api versions: %w", err)
	}
	return resp, nil
}
