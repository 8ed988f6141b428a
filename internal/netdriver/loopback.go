// Package netdriver realizes VPCs on this machine: where an address a VPC
// declares (10.0.1.57) is actually bound, and which VPC address a
// connection came from. The loopback driver, the default, needs no
// privileges: each VPC gets a /16 of its own inside 127.0.0.0/8 onto which
// its declared CIDR (a /16 or smaller, as EC2 allows) is mapped, so that
// VPCs with overlapping CIDRs never collide.
package netdriver

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"

	"github.com/kafkalink/kafkalink/internal/store"
)

// Loopback maps VPCs onto 127.<n>.0.0/16 ranges, n from First to Last,
// allocated once per VPC and kept in the store.
type Loopback struct {
	Store       store.Store
	First, Last uint8 // 160 and 254 when zero
}

const loopbackPrefix = "netdriver/loopback/"

func (l *Loopback) bounds() (uint8, uint8) {
	if l.First == 0 || l.Last < l.First {
		return 160, 254
	}
	return l.First, l.Last
}

// ErrExhausted is returned when no loopback range is left for a VPC.
var ErrExhausted = errors.New("netdriver: every loopback range is taken")

// octet returns the VPC's second octet, allocating it the first time.
func (l *Loopback) octet(ctx context.Context, vpc string) (uint8, error) {
	key := loopbackPrefix + "vpcs/" + vpc
	if kv, ok, err := l.Store.Get(ctx, key); err != nil {
		return 0, err
	} else if ok {
		n, err := strconv.Atoi(string(kv.Value))
		return uint8(n), err
	}
	first, last := l.bounds()
	for n := int(first); n <= int(last); n++ {
		_, ok, cur, err := l.Store.CompareAndSwap(ctx, loopbackPrefix+"octets/"+strconv.Itoa(n), []byte(vpc), 0)
		if err != nil {
			return 0, err
		}
		if !ok && string(cur.Value) != vpc {
			continue
		}
		if _, _, _, err := l.Store.CompareAndSwap(ctx, key, []byte(strconv.Itoa(n)), 0); err != nil {
			return 0, err
		}
		return uint8(n), nil
	}
	return 0, ErrExhausted
}

// Host is where the VPC's declared address ip is bound on this machine.
func (l *Loopback) Host(ctx context.Context, vpc string, cidr netip.Prefix, ip netip.Addr) (netip.Addr, error) {
	if !cidr.Addr().Is4() || cidr.Bits() < 16 || !cidr.Contains(ip) {
		return netip.Addr{}, fmt.Errorf("netdriver: %s is not an IPv4 address of %s (a /16 or smaller)", ip, cidr)
	}
	n, err := l.octet(ctx, vpc)
	if err != nil {
		return netip.Addr{}, err
	}
	off := offset(cidr, ip)
	return netip.AddrFrom4([4]byte{127, n, byte(off >> 8), byte(off)}), nil
}

// Declared is the VPC address a connection from src has: src mapped back
// onto the VPC's CIDR when it lies in the VPC's loopback range (ok),
// else src itself, from outside the VPC.
func (l *Loopback) Declared(ctx context.Context, vpc string, cidr netip.Prefix, src netip.Addr) (netip.Addr, bool) {
	src = src.Unmap()
	n, err := l.octet(ctx, vpc)
	if err != nil || !src.Is4() {
		return src, false
	}
	b := src.As4()
	if b[0] != 127 || b[1] != n {
		return src, false
	}
	base := cidr.Masked().Addr().As4()
	v := uint32(base[0])<<24 | uint32(base[1])<<16 | uint32(base[2])<<8 | uint32(base[3])
	v += uint32(b[2])<<8 | uint32(b[3])
	ip := netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
	if !cidr.Contains(ip) {
		return src, false
	}
	return ip, true
}

// offset is ip's distance from the start of cidr.
func offset(cidr netip.Prefix, ip netip.Addr) uint32 {
	a, b := cidr.Masked().Addr().As4(), ip.As4()
	return (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) -
		(uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]))
}

// EndpointIndex allocates owner (a VPC connection) its index among the
// endpoints of a VPC: distinct while both exist, so that two connections
// in one VPC get distinct addresses in each subnet.
func (l *Loopback) EndpointIndex(ctx context.Context, vpc, owner string, max int) (int, error) {
	for n := 0; n < max; n++ {
		key := loopbackPrefix + "endpoints/" + vpc + "/" + strconv.Itoa(n)
		_, ok, cur, err := l.Store.CompareAndSwap(ctx, key, []byte(owner), 0)
		if err != nil {
			return 0, err
		}
		if ok || string(cur.Value) == owner {
			return n, nil
		}
	}
	return 0, fmt.Errorf("netdriver: VPC %s has no room for another endpoint", vpc)
}

// ReleaseEndpoint frees the endpoint index owner holds in a VPC.
func (l *Loopback) ReleaseEndpoint(ctx context.Context, vpc, owner string) error {
	kvs, _, err := l.Store.List(ctx, loopbackPrefix+"endpoints/"+vpc+"/")
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		if string(kv.Value) == owner {
			if _, _, err := l.Store.CompareAndDelete(ctx, kv.Key, kv.ModRevision); err != nil {
				return err
			}
		}
	}
	return nil
}
