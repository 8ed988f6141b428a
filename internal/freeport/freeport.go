// Package freeport finds loopback addresses and ports nothing listens on,
// for listener sets that tests and benchmarks open next to other programs.
// Ports are picked below Linux's ephemeral range so that outgoing
// connections do not take them in the meantime.
package freeport

import (
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
)

// Range finds n consecutive free ports on 127.0.0.1 and returns the first.
func Range(n int) (int, error) {
	for try := 0; try < 200; try++ {
		first := 20000 + rand.IntN(12000-n)
		if canListen(n, func(i int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(first+i)) }) {
			return first, nil
		}
	}
	return 0, errors.New("freeport: no free range of ports on 127.0.0.1")
}

// IPBlock finds a block of n consecutive addresses 127.x.y.1… that are
// free at one port, and returns the first address and the port.
func IPBlock(n int) (netip.Addr, int, error) {
	for try := 0; try < 200; try++ {
		first := netip.AddrFrom4([4]byte{127, byte(1 + rand.IntN(254)), byte(rand.IntN(256)), 1})
		port := 20000 + rand.IntN(12000)
		if canListen(n, func(i int) string {
			a := first
			for range i {
				a = a.Next()
			}
			return net.JoinHostPort(a.String(), strconv.Itoa(port))
		}) {
			return first, port, nil
		}
	}
	return netip.Addr{}, 0, errors.New("freeport: no free block of loopback addresses")
}

// canListen reports whether all n addresses can be listened on now.
func canListen(n int, addr func(int) string) bool {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", addr(i))
		if err != nil {
			return false
		}
		lns = append(lns, ln)
	}
	return true
}
