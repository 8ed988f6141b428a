package gateway

import (
	"encoding/binary"
	"fmt"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Produce v10+ and Fetch v16+ responses may carry the endpoints of new
// partition leaders in a top-level tagged field (tag 0, KIP-951), which is
// the last thing in the response. It appears only when a partition moved, so
// the gateway never decodes these responses whole: it streams them to the
// client as they arrive, holding back only their tail; once the whole
// response is in, it walks the structure (skipping records without copying
// them) to find the top-level tagged fields, and rewrites just those, in
// exactly as many bytes as they had, since the frame's length went out
// first. When the rewritten endpoints are shorter, an unknown tagged field
// (which every client skips) pads them; when they would be longer, they are
// dropped and the client falls back to refreshing its metadata, as it did
// before KIP-951.

// cursor walks a flexible-version message body.
type cursor struct {
	b   []byte
	err error
}

func (c *cursor) skip(n int) {
	if c.err != nil {
		return
	}
	if n < 0 || n > len(c.b) {
		c.err = fmt.Errorf("%w: field runs past the end of the response", errFrame)
		c.b = nil
		return
	}
	c.b = c.b[n:]
}

func (c *cursor) uvarint() uint64 {
	if c.err != nil {
		return 0
	}
	x, n := binary.Uvarint(c.b)
	if n <= 0 {
		c.err = fmt.Errorf("%w: bad varint", errFrame)
		c.b = nil
		return 0
	}
	c.b = c.b[n:]
	return x
}

// compactLen reads a compact length (N+1; 0 is null) and returns N, or -1.
func (c *cursor) compactLen() int {
	n := c.uvarint()
	if n > uint64(len(c.b))+1 {
		if c.err == nil {
			c.err = fmt.Errorf("%w: length %d runs past the end of the response", errFrame, n-1)
		}
		c.b = nil
		return -1
	}
	return int(n) - 1
}

// compactBytes skips a compact (nullable) string or bytes field.
func (c *cursor) compactBytes() { c.skip(max(c.compactLen(), 0)) }

// compactArray calls each once per element of a compact array.
func (c *cursor) compactArray(each func()) {
	n := c.compactLen()
	for i := 0; i < n && c.err == nil; i++ {
		each()
	}
}

// tags skips a tagged-field section and reports whether it held tag want.
func (c *cursor) tags(want uint64) bool {
	found := false
	n := c.uvarint()
	for i := uint64(0); i < n && c.err == nil; i++ {
		if c.uvarint() == want {
			found = true
		}
		size := c.uvarint()
		if size > uint64(len(c.b)) {
			c.skip(-1)
			break
		}
		c.skip(int(size))
	}
	return found
}

// produceTags finds the top-level tagged fields of a Produce response body
// (v10+, after the response header): their offset, and whether they carry
// NodeEndpoints (tag 0).
func produceTags(body []byte, version int16) (int, bool, error) {
	c := cursor{b: body}
	c.compactArray(func() { // topics
		if version >= 13 {
			c.skip(16) // topic id
		} else {
			c.compactBytes() // name
		}
		c.compactArray(func() { // partitions
			c.skip(4 + 2 + 8 + 8 + 8) // partition, error, base offset, log append time, log start offset
			c.compactArray(func() {   // record errors
				c.skip(4)
				c.compactBytes()
				c.tags(0)
			})
			c.compactBytes() // error message
			c.tags(0)
		})
		c.tags(0)
	})
	c.skip(4) // throttle
	off := len(body) - len(c.b)
	found := c.tags(0)
	return off, found, c.err
}

// fetchTags finds the top-level tagged fields of a Fetch response body
// (v16+, after the response header): their offset, and whether they carry
// NodeEndpoints (tag 0).
func fetchTags(body []byte) (int, bool, error) {
	c := cursor{b: body}
	c.skip(4 + 2 + 4) // throttle, error, session id
	c.compactArray(func() {
		c.skip(16) // topic id
		c.compactArray(func() {
			c.skip(4 + 2 + 8 + 8 + 8) // partition, error, high watermark, last stable, log start
			c.compactArray(func() {   // aborted transactions
				c.skip(8 + 8)
				c.tags(0)
			})
			c.skip(4)        // preferred read replica
			c.compactBytes() // records
			c.tags(0)
		})
		c.tags(0)
	})
	off := len(body) - len(c.b)
	found := c.tags(0)
	return off, found, c.err
}

// holdBack is how much of a tag-scanned response's tail the session keeps
// from the client until it has seen the whole response: the top-level
// tagged fields must lie within it to be rewritten.
const holdBack = 64 << 10

// padTag is the unknown tagged field that pads rewritten endpoints to
// their original length.
const padTag = 10000

// scanTail finds where a tag-scanned response frame's top-level tagged
// fields start (an offset in frame) and whether they carry endpoints.
func (g *Gateway) scanTail(r inflight, frame []byte) (int, bool, error) {
	hdr, err := peekTags(bytesPeeker(frame), 8, len(frame))
	if err != nil {
		return 0, false, err
	}
	var off int
	var has bool
	switch r.key {
	case int16(kmsg.Produce):
		off, has, err = produceTags(frame[hdr:], r.version)
	case int16(kmsg.Fetch):
		off, has, err = fetchTags(frame[hdr:])
	default:
		return 0, false, fmt.Errorf("%s is not tag-scanned", kmsg.NameForKey(r.key))
	}
	return hdr + off, has, err
}

// rewriteEndpointTags rewrites a Produce or Fetch response's top-level
// tagged-field section to name this listener set's addresses. With
// sameLength, the new section has exactly the old one's length (the
// response's length has gone out already); otherwise it takes what it needs.
func (s *listenerSet) rewriteEndpointTags(r inflight, section []byte, sameLength bool) ([]byte, error) {
	// kmsg decodes and encodes the section as the tail of an otherwise
	// empty response.
	var prefix []byte
	switch r.key {
	case int16(kmsg.Produce):
		prefix = []byte{1, 0, 0, 0, 0} // no topics, throttle
	case int16(kmsg.Fetch):
		prefix = []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1} // throttle, error, session, no topics
	}
	resp := kmsg.ResponseForKey(r.key)
	resp.SetVersion(r.version)
	if err := resp.ReadFrom(append(prefix, section...)); err != nil {
		return nil, fmt.Errorf("%w: leader endpoints: %v", errFrame, err)
	}
	var tags *kmsg.Tags
	switch resp := resp.(type) {
	case *kmsg.ProduceResponse:
		s.rewriteProduce(resp)
		tags = &resp.UnknownTags
	case *kmsg.FetchResponse:
		s.rewriteFetch(resp)
		tags = &resp.UnknownTags
	}
	encode := func() []byte { return resp.AppendTo(nil)[len(prefix):] }
	if !sameLength {
		return encode(), nil
	}
	if out, ok := padTo(encode, tags, len(section)); ok {
		return out, nil
	}
	// The endpoints no longer fit: drop them.
	switch resp := resp.(type) {
	case *kmsg.ProduceResponse:
		resp.Brokers = nil
	case *kmsg.FetchResponse:
		resp.Brokers = nil
	}
	if out, ok := padTo(encode, tags, len(section)); ok {
		return out, nil
	}
	return nil, fmt.Errorf("%w: cannot fit rewritten leader endpoints in %d bytes", errFrame, len(section))
}

// padTo encodes the section, with a padding tag if needed, to exactly n
// bytes.
func padTo(encode func() []byte, tags *kmsg.Tags, n int) ([]byte, bool) {
	out := encode()
	if len(out) == n {
		return out, true
	}
	if len(out) > n {
		return nil, false
	}
	base := *tags
	// A pad entry costs its tag and size varints plus its payload;
	// adjust the payload until the total is exact.
	k := n - len(out) - 3
	for range 4 {
		if k < 0 {
			k = 0
		}
		*tags = withTag(base, padTag, make([]byte, k))
		out = encode()
		if len(out) == n {
			return out, true
		}
		k += n - len(out)
	}
	*tags = base
	return nil, false
}

// withTag is a copy of tags with one more key.
func withTag(tags kmsg.Tags, key uint32, val []byte) kmsg.Tags {
	var out kmsg.Tags
	tags.Each(func(k uint32, v []byte) { out.Set(k, v) })
	out.Set(key, val)
	return out
}
