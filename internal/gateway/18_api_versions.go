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
