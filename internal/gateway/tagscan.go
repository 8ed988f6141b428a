package gateway

import (
	"encoding/binary"
	"fmt"
)

// Produce v10+ and Fetch v16+ responses may carry the endpoints of new
// partition leaders in a top-level tagged field (tag 0, KIP-951). It appears
// only when a partition moved, so rather than decode every record-carrying
// response, the gateway walks the response's structure (skipping records
// without copying them) to find the top-level tagged fields, and decodes the
// response only when tag 0 is there.

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

// produceHasEndpoints reports whether a Produce response body (v10+, after
// the response header) carries top-level NodeEndpoints.
func produceHasEndpoints(body []byte, version int16) (bool, error) {
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
	found := c.tags(0)
	return found, c.err
}

// fetchHasEndpoints reports whether a Fetch response body (v16+, after the
// response header) carries top-level NodeEndpoints.
func fetchHasEndpoints(body []byte) (bool, error) {
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
	found := c.tags(0)
	return found, c.err
}
