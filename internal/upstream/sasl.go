package upstream

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
)

const (
	// clientID is the client id in the headers of kafkalink's own
	// requests.
	clientID = "kafkalink"

	// maxResponseSize bounds the size of a SASL response we will read.
	maxResponseSize = 1 << 20

	// maxSASLRounds bounds the SaslAuthenticate round trips, against a
	// broker that never lets a session finish.
	maxSASLRounds = 16

	// Versions used for the exchange. Both are non-flexible: request
	// header v1, response header v0.
	saslHandshakeVersion    = 1
	saslAuthenticateVersion = 1
)

// authenticate runs the SaslHandshake + SaslAuthenticate exchange (KIP-152)
// for mech on conn. The caller bounds conn's reads and writes by ctx.
func authenticate(ctx context.Context, conn net.Conn, addr string, mech sasl.Mechanism) error {
	name := mech.Name()
	var corrID int32

	hreq := kmsg.NewPtrSASLHandshakeRequest()
	hreq.Version = saslHandshakeVersion
	hreq.Mechanism = name
	hresp := hreq.ResponseKind().(*kmsg.SASLHandshakeResponse)
	corrID++
	if err := roundTrip(conn, corrID, hreq, hresp); err != nil {
		return fmt.Errorf("upstream: sasl handshake (%s) with %s: %w", name, addr, err)
	}
	if err := kerr.ErrorForCode(hresp.ErrorCode); err != nil {
		if errors.Is(err, kerr.UnsupportedSaslMechanism) {
			return fmt.Errorf("upstream: sasl handshake with %s: mechanism %s is not enabled on the broker (enabled: %v): %w",
				addr, name, hresp.SupportedMechanisms, err)
		}
		return fmt.Errorf("upstream: sasl handshake (%s) with %s: %w", name, addr, err)
	}
	// Kafka lists its enabled mechanisms on success too; some brokers
	// (kfake) list none.
	if len(hresp.SupportedMechanisms) > 0 && !slices.Contains(hresp.SupportedMechanisms, name) {
		return fmt.Errorf("upstream: sasl handshake with %s: mechanism %s is not enabled on the broker (enabled: %v)",
			addr, name, hresp.SupportedMechanisms)
	}

	failed := func(err error) error {
		return fmt.Errorf("upstream: sasl %s authentication with %s failed: %w", name, addr, err)
	}

	session, clientWrite, err := mech.Authenticate(ctx, addr)
	if err != nil {
		return failed(err)
	}
	if len(clientWrite) == 0 {
		return failed(fmt.Errorf("mechanism %s is not client-first", name))
	}

	// As in franz-go: keep going until the session is done and it has
	// nothing left to send. Every SaslAuthenticate request gets a
	// response, which we always read, so nothing is left on conn.
	for done, round := false, 0; !done || len(clientWrite) > 0; round++ {
		if round == maxSASLRounds {
			return failed(fmt.Errorf("no result after %d rounds", maxSASLRounds))
		}
		areq := kmsg.NewPtrSASLAuthenticateRequest()
		areq.Version = saslAuthenticateVersion
		areq.SASLAuthBytes = clientWrite
		aresp := areq.ResponseKind().(*kmsg.SASLAuthenticateResponse)
		corrID++
		if err := roundTrip(conn, corrID, areq, aresp); err != nil {
			return failed(err)
		}
		if err := kerr.ErrorForCode(aresp.ErrorCode); err != nil {
			if aresp.ErrorMessage != nil && *aresp.ErrorMessage != "" {
				return failed(fmt.Errorf("%w: broker says: %s", err, *aresp.ErrorMessage))
			}
			return failed(err)
		}
		clientWrite = nil
		if !done {
			if done, clientWrite, err = session.Challenge(aresp.SASLAuthBytes); err != nil {
				return failed(err)
			}
		}
	}
	return nil
}

// roundTrip writes req with correlation id corrID and reads its response
// into resp, whose version must be set. It reads exactly one response frame.
func roundTrip(conn net.Conn, corrID int32, req kmsg.Request, resp kmsg.Response) error {
	if _, err := conn.Write(appendRequest(nil, corrID, req)); err != nil {
		return fmt.Errorf("writing %s request: %w", kmsg.NameForKey(req.Key()), err)
	}
	body, err := readResponse(conn, corrID, resp.IsFlexible() && req.Key() != kmsg.ApiVersions.Int16())
	if err != nil {
		return fmt.Errorf("reading %s response: %w", kmsg.NameForKey(req.Key()), err)
	}
	if err := resp.ReadFrom(body); err != nil {
		return fmt.Errorf("decoding %s v%d response: %w", kmsg.NameForKey(req.Key()), resp.GetVersion(), err)
	}
	return nil
}

// appendRequest appends req to dst as a size-prefixed Kafka request: request
// header v1 (v2 if req is flexible) followed by the body kmsg encodes.
func appendRequest(dst []byte, corrID int32, req kmsg.Request) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0) // size, filled in below
	dst = binary.BigEndian.AppendUint16(dst, uint16(req.Key()))
	dst = binary.BigEndian.AppendUint16(dst, uint16(req.GetVersion()))
	dst = binary.BigEndian.AppendUint32(dst, uint32(corrID))
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(clientID)))
	dst = append(dst, clientID...)
	if req.IsFlexible() {
		dst = append(dst, 0) // header v2: no tagged fields
	}
	dst = req.AppendTo(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// readResponse reads one size-prefixed response frame, checks that its
// correlation id is corrID, skips the header's tagged fields if flexible
// (response header v1), and returns the body.
func readResponse(r io.Reader, corrID int32, flexible bool) ([]byte, error) {
	var sizeBuf [4]byte
	if _, err := io.ReadFull(r, sizeBuf[:]); err != nil {
		return nil, err
	}
	size := int32(binary.BigEndian.Uint32(sizeBuf[:]))
	if size < 4 || size > maxResponseSize {
		return nil, fmt.Errorf("invalid response size %d (want 4 to %d)", size, maxResponseSize)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	if got := int32(binary.BigEndian.Uint32(buf)); got != corrID {
		return nil, fmt.Errorf("got correlation id %d; want %d", got, corrID)
	}
	body := buf[4:]
	if flexible {
		var err error
		if body, err = skipTags(body); err != nil {
			return nil, fmt.Errorf("response header: %w", err)
		}
	}
	return body, nil
}

// skipTags skips a tagged-field section (an unsigned varint count, then per
// field an unsigned varint tag, unsigned varint size and the data).
func skipTags(b []byte) ([]byte, error) {
	n, l := binary.Uvarint(b)
	if l <= 0 {
		return nil, errors.New("invalid tagged field count")
	}
	b = b[l:]
	for range n {
		if _, l = binary.Uvarint(b); l <= 0 {
			return nil, errors.New("invalid tag")
		}
		b = b[l:]
		size, l := binary.Uvarint(b)
		if l <= 0 || size > uint64(len(b)-l) {
			return nil, errors.New("invalid tagged field size")
		}
		b = b[l+int(size):]
	}
	return b, nil
}
