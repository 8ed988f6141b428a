package gateway

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Kafka framing: every request and response is a 4-byte big-endian length
// followed by that many bytes. A request starts with its header:
//
//	v1: api_key int16, api_version int16, correlation_id int32,
//	    client_id nullable string (int16 length)
//	v2: v1 followed by tagged fields (flexible versions)
//
// A response starts with correlation_id int32, followed by tagged fields
// when the request version is flexible (except ApiVersions).

// errFrame is the root of every framing error; a framing error closes only
// the session it happened on.
var errFrame = errors.New("malformed frame")

// reqHeader is the part of a request header the gateway looks at.
type reqHeader struct {
	key, version int16
	correlation  int32
	size         int32 // frame length, excluding the 4 length bytes
	headerLen    int   // bytes of the frame (after the length) that are header
}

// peeker is satisfied by *bufio.Reader: the gateway looks at a frame's
// header without consuming it, so that pass-through frames are copied
// untouched.
type peeker interface {
	Peek(n int) ([]byte, error)
}

// peekRequestHeader parses the request header at the front of r; api tells
// which (key, version) pairs use header v2. It reads nothing.
func peekRequestHeader(r peeker, maxFrame int32, api *apiTable) (reqHeader, error) {
	var h reqHeader
	b, err := r.Peek(4)
	if err != nil {
		if len(b) > 0 {
			return h, fmt.Errorf("%w: connection closed inside a frame length", errFrame)
		}
		return h, err
	}
	h.size = int32(binary.BigEndian.Uint32(b))
	if h.size < 10 {
		return h, fmt.Errorf("%w: request of %d bytes is shorter than a request header", errFrame, h.size)
	}
	if h.size > maxFrame {
		return h, fmt.Errorf("%w: request of %d bytes exceeds the maximum of %d", errFrame, h.size, maxFrame)
	}
	if b, err = r.Peek(4 + 10); err != nil {
		return h, fmt.Errorf("%w: truncated request header (%v)", errFrame, err)
	}
	h.key = int16(binary.BigEndian.Uint16(b[4:]))
	h.version = int16(binary.BigEndian.Uint16(b[6:]))
	h.correlation = int32(binary.BigEndian.Uint32(b[8:]))
	n := int(int16(binary.BigEndian.Uint16(b[12:])))
	if n < -1 {
		return h, fmt.Errorf("%w: client id length %d", errFrame, n)
	}
	h.headerLen = 10 + max(n, 0)
	if h.headerLen > int(h.size) {
		return h, fmt.Errorf("%w: client id runs past the end of the request", errFrame)
	}
	if !api.flexibleHeader(h.key, h.version) {
		return h, nil
	}
	end, err := peekTags(r, 4+h.headerLen, 4+int(h.size))
	if err != nil {
		return h, err
	}
	h.headerLen = end - 4
	return h, nil
}

// peekTags skips a tagged-field section starting at offset off of r's
// peekable bytes, not past limit, and returns the offset after it.
func peekTags(r peeker, off, limit int) (int, error) {
	count, off, err := peekUvarint(r, off, limit)
	if err != nil {
		return 0, err
	}
	for i := uint64(0); i < count; i++ {
		if _, off, err = peekUvarint(r, off, limit); err != nil {
			return 0, err
		}
		var size uint64
		if size, off, err = peekUvarint(r, off, limit); err != nil {
			return 0, err
		}
		if size > uint64(limit-off) {
			return 0, fmt.Errorf("%w: tagged field runs past the end of the frame", errFrame)
		}
		off += int(size)
	}
	return off, nil
}

// peekUvarint reads an unsigned varint at off.
func peekUvarint(r peeker, off, limit int) (uint64, int, error) {
	var x uint64
	for shift := uint(0); shift < 35; shift += 7 {
		if off >= limit {
			return 0, 0, fmt.Errorf("%w: varint runs past the end of the frame", errFrame)
		}
		b, err := r.Peek(off + 1)
		if err != nil {
			return 0, 0, fmt.Errorf("%w: header longer than the gateway reads (%v)", errFrame, err)
		}
		c := b[off]
		off++
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x, off, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: varint too long", errFrame)
}

// bytesPeeker lets the same header parsers run over a frame held in memory.
type bytesPeeker []byte

func (b bytesPeeker) Peek(n int) ([]byte, error) {
	if n > len(b) {
		return b, errShort
	}
	return b[:n], nil
}

var errShort = fmt.Errorf("%w: truncated", errFrame)
