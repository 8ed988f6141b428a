package dns

import (
	"context"
	"fmt"
	"net"
	"sort"

	"github.com/miekg/dns"
)

// listener is one address's UDP and TCP servers.
type listener struct {
	vpc      string
	udp, tcp *dns.Server
}

// Listen serves the resolver of vpc on addr (host:port), over UDP and
// TCP. The sockets are bound when it returns.
func (s *Server) Listen(addr, vpc string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.listeners[addr]; ok {
		if l.vpc == vpc {
			return nil
		}
		return fmt.Errorf("dns: %s already serves %s", addr, l.vpc)
	}
	pc, err := net.ListenPacket("udp", addr)
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		return fmt.Errorf("dns: %w", err)
	}
	h := s.handler(vpc)
	l := &listener{vpc: vpc,
		udp: &dns.Server{PacketConn: pc, Handler: h, UDPSize: 4096},
		tcp: &dns.Server{Listener: ln, Handler: h}}
	for _, srv := range []*dns.Server{l.udp, l.tcp} {
		go func() {
			if err := srv.ActivateAndServe(); err != nil {
				s.log.Debug("a resolver socket closed", "addr", addr, "err", err)
			}
		}()
	}
	s.listeners[addr] = l
	s.log.Debug("resolver listening", "addr", addr, "vpc", vpc)
	return nil
}

// handler answers the queries that reach vpc's resolver.
func (s *Server) handler(vpc string) dns.Handler {
	return dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		_, tcp := w.LocalAddr().(*net.TCPAddr)
		if err := w.WriteMsg(s.Answer(context.Background(), vpc, req, tcp)); err != nil {
			s.log.Debug("cannot answer a query", "vpc", vpc, "err", err)
		}
	})
}

// Unlisten stops serving addr.
func (s *Server) Unlisten(addr string) {
	s.mu.Lock()
	l, ok := s.listeners[addr]
	delete(s.listeners, addr)
	s.mu.Unlock()
	if ok {
		l.close()
	}
}

func (l *listener) close() {
	for _, srv := range []*dns.Server{l.udp, l.tcp} {
		if err := srv.Shutdown(); err != nil {
			// Not started yet: close the socket ourselves.
			if srv.PacketConn != nil {
				srv.PacketConn.Close()
			}
			if srv.Listener != nil {
				srv.Listener.Close()
			}
		}
	}
}

// Listening returns the addresses served, in order.
func (s *Server) Listening() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.listeners))
	for a := range s.listeners {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// Close stops every listener.
func (s *Server) Close() {
	for _, a := range s.Listening() {
		s.Unlisten(a)
	}
}
