package dns

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"

	"github.com/miekg/dns"
)

// listener is one address's UDP socket and TCP server.
type listener struct {
	vpc     string
	udp     *net.UDPConn
	tcp     *dns.Server
	workers sync.WaitGroup
}

// Listen serves the resolver of vpc on addr (host:port), over UDP and
// TCP. The sockets are bound when it returns.
func (s *Server) Listen(addr, vpc string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("dns: %s: %w", addr, net.ErrClosed)
	}
	if l, ok := s.listeners[addr]; ok {
		if l.vpc == vpc {
			return nil
		}
		return fmt.Errorf("dns: %s already serves %s", addr, l.vpc)
	}
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	pc, err := net.ListenUDP("udp", ua)
	if err != nil {
		return fmt.Errorf("dns: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		pc.Close()
		return fmt.Errorf("dns: %w", err)
	}
	l := &listener{vpc: vpc, udp: pc, tcp: &dns.Server{Listener: ln, Handler: s.handler(vpc)}}
	l.workers.Add(udpWorkers)
	serveUDP(pc, func(raw []byte) *dns.Msg { return s.answerRaw(context.Background(), vpc, raw, false) }, l.workers.Done)
	go func() {
		if err := l.tcp.ActivateAndServe(); err != nil {
			s.log.Debug("a resolver socket closed", "addr", addr, "err", err)
		}
	}()
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
	l.udp.Close()
	l.workers.Wait()
	if err := l.tcp.Shutdown(); err != nil {
		l.tcp.Listener.Close() // not started yet
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

// Close stops every listener; Listen fails from then on.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	for _, a := range s.Listening() {
		s.Unlisten(a)
	}
}
