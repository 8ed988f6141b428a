package gateway

import (
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// rewriteResponse decodes a response frame that may name brokers, points
// every broker it names at this listener set's addresses, and re-encodes
// it. A response that names no broker (after a tag scan says so, or a
// rewrite changes nothing) is returned as it came. Decoding errors and
// panics in decoding become errors: they close the session, not the
// gateway.
func (g *Gateway) rewriteResponse(set *listenerSet, r inflight, frame []byte) (out []byte, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, fmt.Errorf("%w: decoding panicked: %v", errFrame, p)
		}
	}()
	hdr := 8 // length and correlation id
	if r.key != int16(kmsg.ApiVersions) && g.api[r.key].flexible(r.version) {
		if hdr, err = peekTags(bytesPeeker(frame), hdr, len(frame)); err != nil {
			return nil, err
		}
	}
	if r.mode == respScanTags && r.fix == nil {
		return g.rewriteScanned(set, r, frame)
	}
	body := frame[hdr:]
	resp := kmsg.ResponseForKey(r.key)
	resp.SetVersion(r.version)
	if r.key == int16(kmsg.ApiVersions) {
		resp.SetVersion(apiVersionsResponseVersion(body, r.version))
	}
	if err := resp.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: %v", errFrame, err)
	}
	changed := r.fix != nil
	if changed {
		r.fix(resp)
	}
	if !g.rewrite(set, resp) && !changed {
		return frame, nil
	}
	out = make([]byte, 4, len(frame)+256)
	out = append(out, frame[4:hdr]...)
	out = resp.AppendTo(out)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out, nil
}

// rewrite changes the broker addresses in resp and reports whether it
// changed anything.
func (g *Gateway) rewrite(set *listenerSet, resp kmsg.Response) bool {
	switch resp := resp.(type) {
	case *kmsg.ApiVersionsResponse:
		return set.rewriteApiVersions(resp)
	case *kmsg.MetadataResponse:
		return set.rewriteMetadata(resp)
	case *kmsg.FindCoordinatorResponse:
		return set.rewriteFindCoordinator(resp)
	case *kmsg.DescribeConfigsResponse:
		return rewriteDescribeConfigs(resp)
	case *kmsg.DescribeClusterResponse:
		return set.rewriteDescribeCluster(resp)
	case *kmsg.ShareFetchResponse:
		return set.rewriteShareFetch(resp)
	case *kmsg.ShareAcknowledgeResponse:
		return set.rewriteShareAcknowledge(resp)
	case *kmsg.ProduceResponse:
		return len(resp.Brokers) > 0 && set.rewriteProduce(resp)
	case *kmsg.FetchResponse:
		return len(resp.Brokers) > 0 && set.rewriteFetch(resp)
	}
	return false
}

// nodeEndpoints rewrites a list of broker endpoints in place: the host and
// port of each known broker become this listener set's; brokers without an
// address here are dropped, never leaked. get and put read and write the
// fields of the element type.
func nodeEndpoints[T any](set *listenerSet, nodes []T, get func(*T) (int32, string, int32), put func(*T, string, int32)) []T {
	kept := nodes[:0]
	for i := range nodes {
		id, host, port := get(&nodes[i])
		ep, ok := set.endpoint(id, host, port)
		if !ok {
			continue
		}
		put(&nodes[i], ep.Host, ep.Port)
		kept = append(kept, nodes[i])
	}
	clear(nodes[len(kept):])
	return kept
}

// rewriteScanned rewrites the leader endpoints of a whole Produce or Fetch
// response frame, keeping its length; a response without them is returned
// as it came.
func (g *Gateway) rewriteScanned(set *listenerSet, r inflight, frame []byte) ([]byte, error) {
	off, has, err := g.scanTail(r, frame)
	if err != nil || !has {
		return frame, err
	}
	section, err := set.rewriteEndpointTags(r, frame[off:], false)
	if err != nil {
		return nil, err
	}
	out := append(frame[:off:off], section...)
	binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	return out, nil
}
