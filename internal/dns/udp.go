package dns

import (
	"context"
	"encoding/binary"
	"errors"
	"net"

	"github.com/miekg/dns"
)

// udpWorkers is how many goroutines read one resolver's UDP socket. A
// forwarded query holds one until its answer comes (at most the
// forwarding timeout), so local answers keep flowing meanwhile.
const udpWorkers = 16

// serveUDP answers the queries that reach pc, each worker with its own
// buffers: no goroutine or buffer per query.
func serveUDP(pc *net.UDPConn, answer func(raw []byte) *dns.Msg, done func()) {
	for range udpWorkers {
		go func() {
			defer done()
			buf, out := make([]byte, dns.MaxMsgSize), make([]byte, 0, 4096)
			for {
				n, from, err := pc.ReadFromUDPAddrPort(buf)
				if errors.Is(err, net.ErrClosed) {
					return
				}
				if err != nil {
					continue
				}
				resp := answer(buf[:n])
				if resp == nil {
					continue
				}
				if b, err := resp.PackBuffer(out); err == nil {
					pc.WriteToUDPAddrPort(b, from)
				}
			}
		}()
	}
}

// answerRaw answers one query as received, nil when it deserves no answer
// (shorter than a header, or itself a response); one that does not parse
// gets FORMERR, as from any DNS server.
func (s *Server) answerRaw(ctx context.Context, vpc string, raw []byte, tcp bool) *dns.Msg {
	if len(raw) < 12 || raw[2]&0x80 != 0 {
		return nil
	}
	req := new(dns.Msg)
	if err := req.Unpack(raw); err != nil {
		resp := new(dns.Msg)
		resp.Id, resp.Response, resp.Opcode, resp.Rcode = binary.BigEndian.Uint16(raw), true, int(raw[2]>>3)&0xf, dns.RcodeFormatError
		return resp
	}
	return s.Answer(ctx, vpc, req, tcp)
}
