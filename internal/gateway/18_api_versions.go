package gateway

import (
	"encoding/binary"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ApiVersions (key 18): the upstream's answer is narrowed to what the
// gateway offers: APIs it does not offer are removed and each version range
// is cut to the versions kmsg can decode. Its response header never has
// tagged fields. When the client asked with a version the broker does not
// know, the broker answers UNSUPPORTED_VERSION in v0 (KIP-511), and so does
// the gateway.

func (s *listenerSet) rewriteApiVersions(resp *kmsg.ApiVersionsResponse) bool {
	kept := resp.ApiKeys[:0]
	for _, k := range resp.ApiKeys {
		if k.ApiKey == int16(kmsg.SASLHandshake) || k.ApiKey == int16(kmsg.SASLAuthenticate) {
			continue // the upstream's SASL is kafkalink's, never the client's
		}
		a, ok := s.api.lookup(k.ApiKey, 0)
		if !ok {
			continue
		}
		k.MaxVersion = min(k.MaxVersion, a.maxVersion)
		if k.MinVersion > k.MaxVersion {
			continue
		}
		kept = append(kept, k)
	}
	for k := range s.local {
		if !slices.ContainsFunc(kept, func(a kmsg.ApiVersionsResponseApiKey) bool { return a.ApiKey == int16(k) }) {
			kept = append(kept, kmsg.ApiVersionsResponseApiKey{ApiKey: int16(k), MaxVersion: s.api[k].maxVersion})
		}
	}
	if s.auth != nil && len(s.auth.Mechanisms()) > 0 {
		kept = append(kept,
			// v0 is listed, as brokers list it, because librdkafka
			// uses SASL only when it is; clients then send v1.
			kmsg.ApiVersionsResponseApiKey{ApiKey: int16(kmsg.SASLHandshake), MinVersion: 0, MaxVersion: 1},
			kmsg.ApiVersionsResponseApiKey{ApiKey: int16(kmsg.SASLAuthenticate), MinVersion: 0, MaxVersion: s.api[kmsg.SASLAuthenticate].maxVersion})
		slices.SortFunc(kept, func(a, b kmsg.ApiVersionsResponseApiKey) int { return int(a.ApiKey) - int(b.ApiKey) })
	}
	resp.ApiKeys = kept
	return true
}

// apiVersionsResponse answers ApiVersions without asking the upstream, from
// the upstream versions the cluster last saw (or, before it saw any, from
// what the gateway decodes): for clients that have not authenticated yet.
func (c *cluster) apiVersionsResponse(set *listenerSet, h reqHeader, a *apiInfo) []byte {
	if h.version > a.maxVersion {
		return unsupportedApiVersions(h, a)
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	if up := c.versions.Load(); up != nil {
		resp.ApiKeys = slices.Clone(up.ApiKeys)
	} else {
		for k := range set.api {
			if set.api[k].offered {
				resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: int16(k), MaxVersion: set.api[k].maxVersion})
			}
		}
	}
	set.rewriteApiVersions(resp)
	resp.Version = h.version
	return frameResponse(h.correlation, false, resp)
}

// unsupportedApiVersions answers an ApiVersions request newer than the
// gateway decodes: UNSUPPORTED_VERSION in v0 with the range the gateway
// offers, so that the client retries lower (KIP-511).
func unsupportedApiVersions(h reqHeader, a *apiInfo) []byte {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	resp.ErrorCode = kerr.UnsupportedVersion.Code
	resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{{ApiKey: h.key, MinVersion: 0, MaxVersion: a.maxVersion}}
	return frameResponse(h.correlation, false, resp)
}

// apiVersionsResponseVersion is the version a response body is encoded in.
func apiVersionsResponseVersion(body []byte, asked int16) int16 {
	if len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) == kerr.UnsupportedVersion.Code {
		return 0
	}
	return min(asked, (&kmsg.ApiVersionsRequest{}).MaxVersion())
}

// answerLocally returns the framed response to a request the gateway
// answers itself, or nil to forward it: an ApiVersions request newer than
// the gateway decodes.
func (s *session) answerLocally(h reqHeader, a *apiInfo) []byte {
	if h.key != int16(kmsg.ApiVersions) || h.version <= a.maxVersion {
		return nil
	}
	return unsupportedApiVersions(h, a)
}

// frameResponse encodes a response with its length and header.
func frameResponse(correlation int32, flexibleHeader bool, resp kmsg.Response) []byte {
	b := binary.BigEndian.AppendUint32(make([]byte, 0, 64), 0)
	b = binary.BigEndian.AppendUint32(b, uint32(correlation))
	if flexibleHeader {
		b = append(b, 0)
	}
	b = resp.AppendTo(b)
	binary.BigEndian.PutUint32(b, uint32(len(b)-4))
	return b
}
