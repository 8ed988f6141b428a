// Package brokermap decides where each upstream broker lives for the clients
// of a listener set. One abstraction, three strategies: a port per broker
// (VPC connections), an IP address per broker (a cluster's own listeners) and
// a TLS server name per broker (serverless clusters). Broker ids are mapped
// to slots once, stably, and the mapping is kept in the store so that every
// restart and every replica computes the same addresses.
package brokermap

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Kind names a strategy as it appears in configuration and in dev.json.
type Kind string

// The three strategies.
const (
	PortPerBroker Kind = "port-per-broker"
	IPPerBroker   Kind = "ip-per-broker"
	SNIPerBroker  Kind = "sni"
)

// Endpoint is a host and port a client connects to.
type Endpoint struct {
	Host string
	Port int32
}

func (e Endpoint) String() string {
	return net.JoinHostPort(e.Host, strconv.Itoa(int(e.Port)))
}

// ErrExhausted is returned when a broker's slot lies outside a strategy's
// range.
var ErrExhausted = errors.New("broker address range exhausted")

// Strategy maps broker slots to addresses for one listener set.
type Strategy interface {
	Kind() Kind
	// Capacity is the number of slots the strategy can serve.
	Capacity() int
	// Advertised is the address clients are told for a slot.
	Advertised(slot int) Endpoint
	// Bind is the local address to listen on for a slot; strategies that
	// share one listener across brokers return "".
	Bind(slot int) string
	// SharedBind is the one address a shared-listener strategy listens on.
	SharedBind() string
	// Bootstrap lists the addresses to give clients to start from, given
	// the slots of the live brokers in slot order.
	Bootstrap(slots []int) []Endpoint
	// ServerName maps a TLS server name to a slot; bootstrap reports that
	// the name is the bootstrap name (any live broker will do).
	ServerName(name string) (slot int, bootstrap, ok bool)
}

// Ports is the port-per-broker strategy: slot i listens on FirstPort+i.
type Ports struct {
	BindHost       string // address to listen on, e.g. 127.0.0.1
	AdvertisedHost string // host clients are told, {n} standing for slot+1; BindHost if empty
	FirstPort      int    // e.g. 14001
	LastPort       int    // e.g. 14100
}

// Kind implements Strategy.
func (p Ports) Kind() Kind { return PortPerBroker }

// Capacity implements Strategy.
func (p Ports) Capacity() int { return p.LastPort - p.FirstPort + 1 }

// Advertised implements Strategy.
func (p Ports) Advertised(slot int) Endpoint {
	h := expand(p.AdvertisedHost, slot)
	if h == "" {
		h = p.BindHost
	}
	return Endpoint{Host: h, Port: int32(p.FirstPort + slot)}
}

// Bind implements Strategy.
func (p Ports) Bind(slot int) string {
	return net.JoinHostPort(p.BindHost, strconv.Itoa(p.FirstPort+slot))
}

// SharedBind implements Strategy.
func (p Ports) SharedBind() string { return "" }

// Bootstrap implements Strategy: every live broker's port, the first first.
func (p Ports) Bootstrap(slots []int) []Endpoint { return advertiseAll(p, slots) }

// ServerName implements Strategy; ports need no server name.
func (p Ports) ServerName(string) (int, bool, bool) { return 0, false, false }

// IPs is the IP-per-broker strategy: slot i listens on FirstIP+i at Port.
type IPs struct {
	FirstIP netip.Addr
	Count   int
	Port    int
	// AdvertisedHost, if set, is a host name template clients are told
	// instead of the address, with {n} standing for slot+1 (b-{n}.…).
	AdvertisedHost string
}

// Kind implements Strategy.
func (p IPs) Kind() Kind { return IPPerBroker }

// Capacity implements Strategy.
func (p IPs) Capacity() int { return p.Count }

func (p IPs) addr(slot int) netip.Addr {
	a := p.FirstIP
	for range slot {
		a = a.Next()
	}
	return a
}

// Advertised implements Strategy.
func (p IPs) Advertised(slot int) Endpoint {
	if p.AdvertisedHost != "" {
		return Endpoint{Host: expand(p.AdvertisedHost, slot), Port: int32(p.Port)}
	}
	return Endpoint{Host: p.addr(slot).String(), Port: int32(p.Port)}
}

// Bind implements Strategy.
func (p IPs) Bind(slot int) string {
	return net.JoinHostPort(p.addr(slot).String(), strconv.Itoa(p.Port))
}

// SharedBind implements Strategy.
func (p IPs) SharedBind() string { return "" }

// Bootstrap implements Strategy: every live broker's address.
func (p IPs) Bootstrap(slots []int) []Endpoint { return advertiseAll(p, slots) }

// ServerName implements Strategy; addresses need no server name.
func (p IPs) ServerName(string) (int, bool, bool) { return 0, false, false }

// SNI is the server-name-per-broker strategy: one TLS listener; the server
// name a client asks for picks the broker.
type SNI struct {
	Listen string // address to listen on, e.g. 127.0.0.1:9098
	Port   int    // port clients are told; the Listen port if 0
	// BrokerName is the name template of a broker, {n} standing for
	// slot+1, e.g. "b-{n}.demo.kafka.local".
	BrokerName    string
	BootstrapName string // e.g. "boot.demo.kafka.local"
	Slots         int    // capacity; 100 if 0
}

// Kind implements Strategy.
func (s SNI) Kind() Kind { return SNIPerBroker }

// Capacity implements Strategy.
func (s SNI) Capacity() int {
	if s.Slots > 0 {
		return s.Slots
	}
	return 100
}

func (s SNI) port() int32 {
	if s.Port != 0 {
		return int32(s.Port)
	}
	_, p, _ := net.SplitHostPort(s.Listen)
	n, _ := strconv.Atoi(p)
	return int32(n)
}

// Advertised implements Strategy.
func (s SNI) Advertised(slot int) Endpoint {
	return Endpoint{Host: expand(s.BrokerName, slot), Port: s.port()}
}

// Bind implements Strategy: SNI shares one listener.
func (s SNI) Bind(int) string { return "" }

// SharedBind implements Strategy.
func (s SNI) SharedBind() string { return s.Listen }

// Bootstrap implements Strategy: the one bootstrap name.
func (s SNI) Bootstrap([]int) []Endpoint {
	return []Endpoint{{Host: s.BootstrapName, Port: s.port()}}
}

// ServerName implements Strategy.
func (s SNI) ServerName(name string) (int, bool, bool) {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	if name == strings.ToLower(s.BootstrapName) {
		return 0, true, true
	}
	pre, post, ok := strings.Cut(strings.ToLower(s.BrokerName), "{n}")
	if !ok || !strings.HasPrefix(name, pre) || !strings.HasSuffix(name, post) || len(name) <= len(pre)+len(post) {
		return 0, false, false
	}
	n, err := strconv.Atoi(name[len(pre) : len(name)-len(post)])
	if err != nil || n < 1 || n > s.Capacity() || strconv.Itoa(n) != name[len(pre):len(name)-len(post)] {
		return 0, false, false
	}
	return n - 1, false, true
}

// Validate checks a strategy's settings.
func Validate(s Strategy) error {
	switch s := s.(type) {
	case Ports:
		if s.BindHost == "" || s.FirstPort < 1 || s.LastPort > 65535 || s.LastPort < s.FirstPort {
			return fmt.Errorf("port-per-broker: need bind host and 1 <= first port <= last port <= 65535, got %q %d-%d", s.BindHost, s.FirstPort, s.LastPort)
		}
	case IPs:
		if !s.FirstIP.IsValid() || s.Count < 1 || s.Port < 1 || s.Port > 65535 {
			return fmt.Errorf("ip-per-broker: need a first IP, a count >= 1 and a port, got %v %d %d", s.FirstIP, s.Count, s.Port)
		}
		if s.AdvertisedHost != "" && !strings.Contains(s.AdvertisedHost, "{n}") {
			return fmt.Errorf("ip-per-broker: advertised host %q must contain {n}", s.AdvertisedHost)
		}
	case SNI:
		if _, _, err := net.SplitHostPort(s.Listen); err != nil {
			return fmt.Errorf("sni: bind address: %w", err)
		}
		if !strings.Contains(s.BrokerName, "{n}") || s.BootstrapName == "" {
			return fmt.Errorf("sni: broker name %q must contain {n} and a bootstrap name is required", s.BrokerName)
		}
	default:
		return fmt.Errorf("unknown strategy %T", s)
	}
	return nil
}

func expand(tmpl string, slot int) string {
	return strings.ReplaceAll(tmpl, "{n}", strconv.Itoa(slot+1))
}

func advertiseAll(s Strategy, slots []int) []Endpoint {
	out := make([]Endpoint, 0, len(slots))
	for _, sl := range slots {
		out = append(out, s.Advertised(sl))
	}
	return out
}
