package gateway

import (
	"encoding/binary"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// ApiVersions (key 18): the upstream's answer is narrowed to what the
// gateway offers: APIs it does not offer are removed and each version range
// is cut to the versions kmsg can decode. Its response header never has
// tagged fields. When the client asked with a version the broker does not
// know, the broker answers UNSUPPORTED_VERSION in v0 (KIP-511), and so does
// the gateway.

func (g *Gateway) rewriteApiVersions(resp *kmsg.ApiVersionsResponse) bool {
	kept := resp.ApiKeys[:0]
	for _, k := range resp.ApiKeys {
		a, ok := g.api.lookup(k.ApiKey, 0)
		if !ok {
			continue
		}
		k.MaxVersion = min(k.MaxVersion, a.maxVersion)
		if k.MinVersion > k.MaxVersion {
			continue
		}
		kept = append(kept, k)
	}
	resp.ApiKeys = kept
	return true
}

// apiVersionsResponseVersion is the version a response body is encoded in.
func apiVersionsResponseVersion(body []byte, asked int16) int16 {
	if len(body) >= 2 && int16(binary.BigEndian.Uint16(body)) == kerr.UnsupportedVersion.Code {
		return 0
	}
	return min(asked, (&kmsg.ApiVersionsRequest{}).MaxVersion())
}

// answerLocally returns the framed response to a request the gateway
// answers itself, or nil to forward it. Today that is an ApiVersions request
// newer than the gateway decodes: it gets UNSUPPORTED_VERSION in v0 with the
// ApiVersions range the gateway offers, so the client retries lower.
func (s *session) answerLocally(h reqHeader, a *apiInfo) []byte {
	if h.key != int16(kmsg.ApiVersions) || h.version <= a.maxVersion {
		return nil
	}
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.Version = 0
	resp.ErrorCode = kerr.UnsupportedVersion.Code
	resp.ApiKeys = []kmsg.ApiVersionsResponseApiKey{{ApiKey: h.key, MinVersion: 0, MaxVersion: a.maxVersion}}
	return frameResponse(h.correlation, false, resp)
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
