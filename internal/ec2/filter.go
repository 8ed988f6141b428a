package ec2

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Filter narrows a Describe call: a resource matches when, for every
// filter, one of its values matches one of the resource's values for that
// name. Values may use EC2's wildcards: * (any run of characters), ? (one
// character), with \ escaping them.
type Filter struct {
	Name   string
	Values []string
}

// Filter names each kind of resource accepts (besides tag:<key>, which
// every taggable resource accepts).
var (
	vpcFilters = []string{"vpc-id", "cidr", "cidr-block", "cidr-block-association.cidr-block",
		"cidr-block-association.association-id", "cidr-block-association.state", "state", "owner-id",
		"is-default", "dhcp-options-id", "tag-key"}
	subnetFilters = []string{"subnet-id", "vpc-id", "cidr", "cidr-block", "cidrBlock", "availability-zone",
		"availabilityZone", "availability-zone-id", "availabilityZoneId", "state", "owner-id", "subnet-arn",
		"available-ip-address-count", "default-for-az", "defaultForAz", "map-public-ip-on-launch", "ipv6-native", "tag-key"}
	groupFilters = []string{"group-id", "group-name", "description", "vpc-id", "owner-id", "tag-key",
		"ip-permission.cidr", "ip-permission.from-port", "ip-permission.to-port", "ip-permission.protocol",
		"ip-permission.group-id", "ip-permission.user-id",
		"egress.ip-permission.cidr", "egress.ip-permission.from-port", "egress.ip-permission.to-port",
		"egress.ip-permission.protocol", "egress.ip-permission.group-id", "egress.ip-permission.user-id"}
	zoneFilters = []string{"zone-name", "zone-id", "region-name", "state", "zone-type", "group-name",
		"opt-in-status", "network-border-group"}
	tagFilters = []string{"key", "value", "resource-id", "resource-type"}
)

// Limits on filters, so that a request cannot ask for unbounded work.
const (
	maxFilters     = 50
	maxFilterVals  = 200
	maxFilterValue = 1024
)

// checkFilters answers InvalidParameterValue for a filter the resource
// does not have, or one without values.
func checkFilters(filters []Filter, names []string) error {
	if len(filters) > maxFilters {
		return errf(CodeInvalidParameterValue, "The request may contain at most %d filters", maxFilters)
	}
	taggable := slices.Contains(names, "tag-key")
	for _, f := range filters {
		known := slices.Contains(names, f.Name) || taggable && strings.HasPrefix(f.Name, "tag:") && len(f.Name) > len("tag:")
		if !known {
			return errf(CodeInvalidParameterValue, "The filter '%s' is invalid", f.Name)
		}
		if len(f.Values) == 0 {
			return errf(CodeInvalidParameterValue, "The filter '%s' must have at least one value", f.Name)
		}
		if len(f.Values) > maxFilterVals {
			return errf(CodeInvalidParameterValue, "The filter '%s' may have at most %d values", f.Name, maxFilterVals)
		}
		for _, v := range f.Values {
			if len(v) > maxFilterValue || !utf8.ValidString(v) {
				return errf(CodeInvalidParameterValue, "A value of the filter '%s' is invalid", f.Name)
			}
		}
	}
	return nil
}

// matchAll reports whether every filter matches, values giving a
// resource's values for a filter name.
func matchAll(filters []Filter, values func(name string) []string) bool {
	for _, f := range filters {
		have := values(f.Name)
		ok := false
		for _, pat := range f.Values {
			for _, v := range have {
				if glob(pat, v) {
					ok = true
					break
				}
			}
			if ok {
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// tagValues answers the tag filters (tag:<key>, tag-key) of a resource.
func tagValues(tags []Tag, name string) ([]string, bool) {
	if name == "tag-key" {
		out := make([]string, len(tags))
		for i, t := range tags {
			out[i] = t.Key
		}
		return out, true
	}
	if key, ok := strings.CutPrefix(name, "tag:"); ok {
		for _, t := range tags {
			if t.Key == key {
				return []string{t.Value}, true
			}
		}
		return nil, true
	}
	return nil, false
}

// glob matches s against an EC2 filter pattern (*, ?, \ escapes) in time
// proportional to len(pattern)·len(s) at worst.
func glob(pattern, s string) bool {
	type tok struct {
		r    rune
		star bool
		any  bool
	}
	var p []tok
	for i := 0; i < len(pattern); {
		r, n := utf8.DecodeRuneInString(pattern[i:])
		i += n
		switch r {
		case '*':
			p = append(p, tok{star: true})
		case '?':
			p = append(p, tok{any: true})
		case '\\':
			if i < len(pattern) {
				r, n = utf8.DecodeRuneInString(pattern[i:])
				i += n
			}
			p = append(p, tok{r: r})
		default:
			p = append(p, tok{r: r})
		}
	}
	rs := []rune(s)
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(rs) {
		switch {
		case pi < len(p) && !p[pi].star && (p[pi].any || p[pi].r == rs[si]):
			pi++
			si++
		case pi < len(p) && p[pi].star:
			starP, starS = pi, si
			pi++
		case starP >= 0:
			starS++
			pi, si = starP+1, starS
		default:
			return false
		}
	}
	for pi < len(p) && p[pi].star {
		pi++
	}
	return pi == len(p)
}
