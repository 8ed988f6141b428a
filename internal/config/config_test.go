package config

import (
	"strings"
	"testing"
)

func TestLoopbackRangeAndDNS(t *testing.T) {
	cases := []struct {
		name        string
		cfg         Config
		first, last uint8
		err         string
	}{
		{name: "default", cfg: Config{}},
		{name: "a span", cfg: Config{LoopbackRange: "200-239"}, first: 200, last: 239},
		{name: "one range", cfg: Config{LoopbackRange: "100-100"}, first: 100, last: 100},
		{name: "reversed", cfg: Config{LoopbackRange: "239-200"}, err: "loopback_range"},
		{name: "zero", cfg: Config{LoopbackRange: "0-10"}, err: "loopback_range"},
		{name: "past 254", cfg: Config{LoopbackRange: "200-255"}, err: "loopback_range"},
		{name: "not numbers", cfg: Config{LoopbackRange: "a-b"}, err: "loopback_range"},
		{name: "a bad upstream", cfg: Config{DNS: DNS{Upstream: []string{"10.0.0.2"}}}, err: "dns upstream"},
		{name: "a bad port", cfg: Config{DNS: DNS{Port: 70000}}, err: "dns port"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Clusters = []Cluster{{Name: "x"}}
			first, last, err := c.cfg.Loopback()
			if c.err == "" && err == nil && (first != c.first || last != c.last) {
				t.Errorf("Loopback(): got %d-%d; want %d-%d", first, last, c.first, c.last)
			}
			verr := c.cfg.Validate()
			if c.err == "" {
				if verr != nil && (strings.Contains(verr.Error(), "loopback") || strings.Contains(verr.Error(), "dns")) {
					t.Errorf("Validate(): got %v; want no loopback or dns error", verr)
				}
				return
			}
			if verr == nil || !strings.Contains(verr.Error(), c.err) {
				t.Errorf("Validate(): got %v; want an error about %s", verr, c.err)
			}
		})
	}
}
