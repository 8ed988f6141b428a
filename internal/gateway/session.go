package gateway

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// A session is one client connection and the one upstream connection that
// serves it. Two goroutines run it: requests flow client → upstream in
// readRequests, responses flow upstream → client in writeResponses. Between
// them, a FIFO of in-flight requests tells the response side what each
// response answers: Kafka brokers answer a connection's requests in order.
type session struct {
	gw  *Gateway
	set *listenerSet
	log *slog.Logger

	client net.Conn
	cr     *bufio.Reader
	cw     *bufio.Writer

	up net.Conn
	ur *bufio.Reader
	uw *bufio.Writer

	// The plain TCP connections under client and up, for splicing; nil
	// when either side is TLS.
	clientTCP, upTCP *net.TCPConn

	inflight chan inflight
	buf      []byte // scratch for responses that are read whole

	// auth is the client's authentication on an authenticated listener
	// set (nil otherwise); only the request side touches it.
	auth   *authState
	expiry *time.Timer // closes the session when its credentials expire
	// authz decides each request on a listener set with an Authorizer
	// (nil otherwise); reqBuf holds the request being decided.
	authz  SessionAuthorizer
	reqBuf []byte

	closeOnce sync.Once
	closeErr  error
	dead      chan struct{} // closed when the session ends
}

// inflight is one request awaiting its response.
type inflight struct {
	key, version int16
	correlation  int32
	mode         respMode
	local        []byte // a response the gateway answers itself, framed
	closeAfter   error  // if set, the session ends once local is sent
	// fix, if set, is applied to the decoded response before it is
	// re-encoded (authorization denials and filtering).
	fix func(kmsg.Response)
}

const (
	ioBufferSize = 64 << 10
	maxInflight  = 1024
)

// newSession starts a session; cr, if not nil, is the client reader that
// authentication already read from, and as its outcome.
func newSession(gw *Gateway, set *listenerSet, client, up net.Conn, cr *bufio.Reader, as *authState) *session {
	if cr == nil {
		cr = bufio.NewReaderSize(client, ioBufferSize)
	}
	s := &session{
		gw:       gw,
		set:      set,
		log:      gw.log.With("listener", set.name, "client", client.RemoteAddr().String()),
		client:   client,
		cr:       cr,
		auth:     as,
		cw:       bufio.NewWriterSize(client, ioBufferSize),
		up:       up,
		ur:       bufio.NewReaderSize(up, ioBufferSize),
		uw:       bufio.NewWriterSize(up, ioBufferSize),
		inflight: make(chan inflight, maxInflight),
		dead:     make(chan struct{}),
	}
	ct, cok := client.(*net.TCPConn)
	ut, uok := up.(*net.TCPConn)
	if cok && uok {
		s.clientTCP, s.upTCP = ct, ut
	}
	if as != nil {
		s.log = s.log.With("principal", as.ident.Principal)
		s.expiry = time.AfterFunc(time.Hour, func() { s.close(errSessionExpired) })
		s.resetExpiry()
		if set.authorizer != nil {
			s.authz = set.authorizer.Session(as.ident, as.info)
		}
	}
	return s
}

var errSessionExpired = errors.New("the session outlived its credentials or lifetime without re-authenticating")

// resetExpiry arms the expiry timer for the session's current deadline.
func (s *session) resetExpiry() {
	if s.auth.deadline.IsZero() {
		s.expiry.Stop()
		return
	}
	s.expiry.Reset(max(s.auth.deadline.Sub(s.auth.now()), 0))
}

// run serves the session until either side closes or a frame is bad.
func (s *session) run(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { s.close(errGatewayClosing) })
	defer stop()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.close(s.writeResponses())
	}()
	s.close(s.readRequests())
	close(s.inflight)
	<-done
	if s.expiry != nil {
		s.expiry.Stop()
	}
	if s.authz != nil {
		s.authz.Close()
	}
	switch {
	case s.closeErr == nil, errors.Is(s.closeErr, io.EOF), errors.Is(s.closeErr, net.ErrClosed), errors.Is(s.closeErr, errGatewayClosing):
		s.log.Debug("session closed")
	default:
		s.log.Warn("session closed", "reason", s.closeErr.Error())
	}
}

var errGatewayClosing = errors.New("gateway closing")

// close ends the session; the first reason given is the one logged.
func (s *session) close(err error) {
	s.closeOnce.Do(func() {
		s.closeErr = err
		close(s.dead)
		s.client.Close()
		s.up.Close()
	})
}

// readRequests forwards client requests to the upstream broker.
func (s *session) readRequests() error {
	api := s.set.api
	for {
		h, err := peekRequestHeader(s.cr, s.gw.maxFrame, api)
		if err != nil {
			if errors.Is(err, io.EOF) {
				return io.EOF
			}
			return fmt.Errorf("client: %w", err)
		}
		a, ok := api.lookup(h.key, h.version)
		if !ok {
			return fmt.Errorf("client: refused request: api key %d (%s) version %d is not offered by the gateway", h.key, kmsg.NameForKey(h.key), h.version)
		}
		if s.auth != nil {
			if h.key == int16(kmsg.SASLHandshake) || h.key == int16(kmsg.SASLAuthenticate) {
				if err := s.reauthenticate(h, a); err != nil {
					return err
				}
				continue
			}
			if s.auth.expired() {
				return errSessionExpired
			}
		}
		if local := s.answerLocally(h, a); local != nil {
			if _, err := s.cr.Discard(4 + int(h.size)); err != nil {
				return fmt.Errorf("client: %w", err)
			}
			if err := s.enqueue(inflight{key: h.key, version: h.version, correlation: h.correlation, local: local}); err != nil {
				return err
			}
			continue
		}
		if s.authz != nil {
			if err := s.authorizeRequest(h, a); err != nil {
				return err
			}
			continue
		}
		expectResponse := true
		if h.key == int16(kmsg.Produce) {
			acks, err := peekProduceAcks(s.cr, h)
			if err != nil {
				return fmt.Errorf("client: produce: %w", err)
			}
			expectResponse = acks != 0
		}
		if expectResponse {
			if err := s.enqueue(inflight{key: h.key, version: h.version, correlation: h.correlation, mode: a.modeFor(h.version)}); err != nil {
				return err
			}
		}
		if err := copyFrame(s.uw, s.cr, int(h.size), s.upTCP, s.clientTCP); err != nil {
			return fmt.Errorf("forwarding request: %w", err)
		}
		if s.cr.Buffered() == 0 {
			if err := s.uw.Flush(); err != nil {
				return fmt.Errorf("upstream: %w", err)
			}
		}
	}
}

// reauthenticate answers a SaslHandshake or SaslAuthenticate request of an
// authenticated session (KIP-368). A failed re-authentication is answered,
// and then the session ends.
func (s *session) reauthenticate(h reqHeader, a *apiInfo) error {
	body, err := requestBody(s.cr, h)
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	prev := s.auth.ident
	out, authErr := s.auth.saslRequest(s.gw.ctx, h, a, body)
	if out == nil {
		return fmt.Errorf("client: %w", authErr)
	}
	if authErr != nil {
		s.log.Warn("re-authentication failed", "request_id", s.auth.info.RequestID, "reason", authErr.Error())
		authErr = fmt.Errorf("%w: %w", errAuthFailed, authErr)
	} else if s.auth.ident != prev {
		s.log.Debug("re-authenticated", "request_id", s.auth.info.RequestID, "expires", s.auth.deadline)
		s.resetExpiry()
		if s.authz != nil {
			// Decisions in flight keep the decider they were made with.
			s.authz.Close()
			s.authz = s.set.authorizer.Session(s.auth.ident, s.auth.info)
		}
	}
	if err := s.enqueue(inflight{key: h.key, version: h.version, correlation: h.correlation, local: out, closeAfter: authErr}); err != nil {
		return err
	}
	if authErr != nil {
		<-s.dead // the response side sends the answer, then ends the session
		return authErr
	}
	return nil
}

// enqueue hands a request to the response side, unless the session ended.
func (s *session) enqueue(r inflight) error {
	select {
	case s.inflight <- r:
		return nil
	case <-s.dead:
		return net.ErrClosed
	}
}

// writeResponses forwards upstream responses to the client, in request order.
func (s *session) writeResponses() error {
	for {
		var r inflight
		var ok bool
		select {
		case r, ok = <-s.inflight:
		default:
			if err := s.cw.Flush(); err != nil {
				return fmt.Errorf("client: %w", err)
			}
			r, ok = <-s.inflight
		}
		if !ok { // the client side has ended
			s.cw.Flush()
			return io.EOF
		}
		if err := s.forwardResponse(r); err != nil {
			return err
		}
		if r.closeAfter != nil {
			s.cw.Flush()
			return r.closeAfter
		}
		if s.ur.Buffered() == 0 || r.local != nil {
			if err := s.cw.Flush(); err != nil {
				return fmt.Errorf("client: %w", err)
			}
		}
	}
}

func (s *session) forwardResponse(r inflight) error {
	if r.local != nil {
		_, err := s.cw.Write(r.local)
		return err
	}
	b, err := s.ur.Peek(8)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("upstream closed the connection with %d request(s) unanswered", len(s.inflight)+1)
		}
		return fmt.Errorf("upstream: %w", err)
	}
	size := int32(binary.BigEndian.Uint32(b))
	if size < 4 || size > s.gw.maxFrame {
		return fmt.Errorf("upstream: %w: response of %d bytes", errFrame, size)
	}
	if corr := int32(binary.BigEndian.Uint32(b[4:])); corr != r.correlation {
		return fmt.Errorf("upstream: %w: response correlation id %d, expected %d", errFrame, corr, r.correlation)
	}
	switch r.mode {
	case respPass:
		return copyFrame(s.cw, s.ur, int(size), s.clientTCP, s.upTCP)
	case respScanTags:
		return s.forwardScanned(r, int(size))
	}
	frame, err := s.readFrame(int(size))
	if err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	out, err := s.gw.rewriteResponse(s.set, r, frame)
	if err != nil {
		return fmt.Errorf("upstream %s v%d response: %w", kmsg.NameForKey(r.key), r.version, err)
	}
	_, err = s.cw.Write(out)
	return err
}

// readFrame reads a whole frame (length included) into the session's
// scratch buffer.
func (s *session) readFrame(size int) ([]byte, error) {
	buf := s.scratch(4 + size)
	_, err := io.ReadFull(s.ur, buf)
	return buf, err
}

// maxKeptScratch is the largest scratch buffer a session keeps between
// responses; a larger one is dropped after use.
const maxKeptScratch = 1 << 20

func (s *session) scratch(n int) []byte {
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	return s.buf[:n]
}

func (s *session) dropLargeScratch() {
	if cap(s.buf) > maxKeptScratch {
		s.buf = nil
	}
}

// forwardScanned streams a Produce or Fetch response that may carry leader
// endpoints to the client as it arrives, holding back its tail until the
// whole response is in; then it rewrites the endpoints, if any, in place.
func (s *session) forwardScanned(r inflight, size int) error {
	defer s.dropLargeScratch()
	buf := s.scratch(4 + size)
	got, sent := 0, 0
	for got < len(buf) {
		n, err := s.ur.Read(buf[got:])
		got += n
		if err != nil && got < len(buf) {
			return fmt.Errorf("upstream: %w", err)
		}
		if safe := got - holdBack; safe > sent {
			if _, err := s.cw.Write(buf[sent:safe]); err != nil {
				return fmt.Errorf("client: %w", err)
			}
			sent = safe
		}
	}
	off, has, err := s.gw.scanTail(r, buf)
	if err != nil {
		return fmt.Errorf("upstream %s v%d response: %w", kmsg.NameForKey(r.key), r.version, err)
	}
	if !has {
		_, err := s.cw.Write(buf[sent:])
		return err
	}
	if sent == 0 {
		// Nothing has gone out: the response may change length.
		out, err := s.gw.rewriteScanned(s.set, r, buf)
		if err != nil {
			return fmt.Errorf("upstream %s v%d response: %w", kmsg.NameForKey(r.key), r.version, err)
		}
		_, err = s.cw.Write(out)
		return err
	}
	if off < sent {
		return fmt.Errorf("upstream %s v%d response: %w: its leader endpoints are larger than the %d bytes the gateway holds back", kmsg.NameForKey(r.key), r.version, errFrame, holdBack)
	}
	section, err := s.set.rewriteEndpointTags(r, buf[off:], true)
	if err != nil {
		return fmt.Errorf("upstream %s v%d response: %w", kmsg.NameForKey(r.key), r.version, err)
	}
	if _, err := s.cw.Write(buf[sent:off]); err != nil {
		return err
	}
	_, err = s.cw.Write(section)
	return err
}

// spliceMin is the size from which a pass-through frame between two plain
// TCP connections is moved by the kernel (splice) instead of through the
// session's buffers.
const spliceMin = 64 << 10

// copyFrame moves one frame (its 4 length bytes and size more) from r to w
// through their buffers, without allocating. When both sides are plain TCP
// (dst and src not nil) the remainder of a large frame is spliced.
func copyFrame(w *bufio.Writer, r *bufio.Reader, size int, dst, src *net.TCPConn) error {
	left := 4 + size
	for left > 0 && r.Buffered() > 0 {
		n := min(r.Buffered(), left)
		b, _ := r.Peek(n)
		if _, err := w.Write(b); err != nil {
			return err
		}
		r.Discard(n)
		left -= n
	}
	if left >= spliceMin && dst != nil && src != nil {
		if err := w.Flush(); err != nil {
			return err
		}
		_, err := io.CopyN(dst, src, int64(left))
		return err
	}
	for left > 0 {
		if r.Buffered() == 0 {
			if _, err := r.Peek(1); err != nil {
				return err
			}
		}
		n := min(r.Buffered(), left)
		b, _ := r.Peek(n)
		if _, err := w.Write(b); err != nil {
			return err
		}
		r.Discard(n)
		left -= n
	}
	return nil
}

// peekProduceAcks reads a Produce request's acks without consuming it.
// Before v3 acks comes first; from v3 a transactional id precedes it, as a
// compact string from v9.
func peekProduceAcks(r peeker, h reqHeader) (int16, error) {
	off := 4 + h.headerLen
	limit := 4 + int(h.size)
	if h.version >= 3 {
		if h.version >= 9 {
			n, next, err := peekUvarint(r, off, limit)
			if err != nil {
				return 0, err
			}
			if n > uint64(limit) {
				return 0, fmt.Errorf("%w: transactional id of %d bytes", errFrame, n)
			}
			off = next + max(int(n)-1, 0)
		} else {
			if off+2 > limit {
				return 0, fmt.Errorf("%w: produce request too short for a transactional id", errFrame)
			}
			b, err := r.Peek(off + 2)
			if err != nil {
				return 0, fmt.Errorf("%w: %v", errFrame, err)
			}
			off += 2 + max(int(int16(binary.BigEndian.Uint16(b[off:]))), 0)
		}
	}
	if off+2 > limit {
		return 0, fmt.Errorf("%w: produce request too short for acks", errFrame)
	}
	b, err := r.Peek(off + 2)
	if err != nil {
		return 0, fmt.Errorf("%w: transactional id longer than the gateway reads (%v)", errFrame, err)
	}
	return int16(binary.BigEndian.Uint16(b[off:])), nil
}
