package ec2

import (
	"net/netip"
	"slices"
)

// AdmitsTCP decides, as a security group set does for a network
// interface, whether an inbound TCP connection to port is allowed from
// src, sent by an interface in the security groups srcGroups (ids; none
// for a peer outside any group). Groups are permissive and their rules a
// union: the connection is allowed when any inbound rule of any group
// allows all traffic or TCP on a port range that holds port, from a CIDR
// range that holds src or from one of srcGroups. It returns the first such
// rule. Security groups are stateful: the replies need no outbound rule.
func AdmitsTCP(groups []SecurityGroup, src netip.Addr, srcGroups []string, port uint16) (Rule, bool) {
	src = src.Unmap()
	for _, g := range groups {
		for _, r := range g.Rules {
			if r.Egress {
				continue
			}
			switch r.Protocol {
			case "-1":
			case "tcp":
				if int(port) < r.FromPort || int(port) > r.ToPort {
					continue
				}
			default:
				continue
			}
			if r.GroupID != "" {
				if slices.Contains(srcGroups, r.GroupID) {
					return r, true
				}
				continue
			}
			if r.CIDR.IsValid() && src.IsValid() && r.CIDR.Contains(src) {
				return r, true
			}
		}
	}
	return Rule{}, false
}
