package acl

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// index is the immutable, searchable form of one cluster's ACLs. A change
// builds a new index; readers load the current one without locking.
type index struct {
	bindings []Binding                    // every ACL, sorted by compareBindings
	types    [numResourceTypes]*typeIndex // by resource type code
}

// numResourceTypes bounds the resource type codes an index holds.
const numResourceTypes = int(kmsg.ACLResourceTypeUser) + 1

// typeIndex holds the ACLs of one resource type.
type typeIndex struct {
	literal  map[string]*patternACLs // LITERAL ACLs by name, "*" included
	wildcard *patternACLs            // LITERAL ACLs named "*", nil if none
	prefixed *prefixNode             // PREFIXED ACLs, nil if none
}

// patternACLs are the ACLs of one resource pattern.
type patternACLs struct {
	entries []entry // sorted by principal
	// byPrincipal holds entries' indexes per principal once there are
	// enough entries that a map beats a scan.
	byPrincipal map[string][]int32
	wildcards   []int32 // with byPrincipal: the entries for "User:*"
}

// scanLimit is the number of entries up to which a pattern's entries are
// scanned rather than looked up by principal.
const scanLimit = 8

// entry is one ACL, prepared for matching.
type entry struct {
	binding   *Binding
	principal string
	hostAny   bool
	hostIP    netip.Addr // valid when the ACL's host is an IP address
	host      string
	op        kmsg.ACLOperation
	allow     bool
	reason    string // binding.String(), computed once
}

// prefixNode is a node of a radix tree of PREFIXED resource names: the path
// from the root spells the prefix of the node's ACLs.
type prefixNode struct {
	label    string       // the edge from the parent
	acls     *patternACLs // ACLs whose prefix ends here, nil if none
	children []*prefixNode
}

// buildIndex indexes bindings, which it sorts and keeps.
func buildIndex(bindings []Binding) *index {
	slices.SortFunc(bindings, compareBindings)
	bindings = slices.CompactFunc(bindings, func(a, b Binding) bool { return a == b })
	idx := &index{bindings: bindings}

	type patternKey struct {
		rt   kmsg.ACLResourceType
		pt   kmsg.ACLResourcePatternType
		name string
	}
	groups := make(map[patternKey][]*Binding)
	var order []patternKey
	for i := range bindings {
		b := &bindings[i]
		rt := int(b.ResourceType)
		if rt < 0 || rt >= numResourceTypes {
			continue
		}
		k := patternKey{b.ResourceType, b.PatternType, b.ResourceName}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], b)
	}
	for _, k := range order {
		ti := idx.types[k.rt]
		if ti == nil {
			ti = &typeIndex{literal: make(map[string]*patternACLs)}
			idx.types[k.rt] = ti
		}
		p := newPatternACLs(groups[k])
		switch k.pt {
		case kmsg.ACLResourcePatternTypeLiteral:
			ti.literal[k.name] = p
			if k.name == Wildcard {
				ti.wildcard = p
			}
		case kmsg.ACLResourcePatternTypePrefixed:
			if ti.prefixed == nil {
				ti.prefixed = &prefixNode{}
			}
			ti.prefixed.insert(k.name, p)
		}
	}
	return idx
}

func newPatternACLs(bs []*Binding) *patternACLs {
	p := &patternACLs{entries: make([]entry, len(bs))}
	for i, b := range bs {
		e := entry{
			binding:   b,
			principal: b.Principal,
			host:      b.Host,
			hostAny:   b.Host == Wildcard,
			op:        b.Operation,
			allow:     b.Permission == kmsg.ACLPermissionTypeAllow,
			reason:    b.String(),
		}
		if ip, err := netip.ParseAddr(b.Host); err == nil {
			e.hostIP = ip.Unmap()
		}
		p.entries[i] = e
	}
	slices.SortStableFunc(p.entries, func(a, b entry) int { return strings.Compare(a.principal, b.principal) })
	if len(p.entries) > scanLimit {
		p.byPrincipal = make(map[string][]int32)
		for i, e := range p.entries {
			p.byPrincipal[e.principal] = append(p.byPrincipal[e.principal], int32(i))
		}
		p.wildcards = p.byPrincipal[WildcardPrincipal]
	}
	return p
}

// insert adds the ACLs of prefix to the tree rooted at n.
func (n *prefixNode) insert(prefix string, acls *patternACLs) {
	cur := n
	for {
		if prefix == "" {
			cur.acls = acls
			return
		}
		i, found := slices.BinarySearchFunc(cur.children, prefix[0], func(c *prefixNode, b byte) int {
			return cmp.Compare(c.label[0], b)
		})
		if !found {
			cur.children = slices.Insert(cur.children, i, &prefixNode{label: prefix, acls: acls})
			return
		}
		c := cur.children[i]
		l := commonPrefixLen(prefix, c.label)
		if l < len(c.label) {
			// Split the edge: cur -label[:l]-> mid -label[l:]-> c.
			mid := &prefixNode{label: c.label[:l], children: []*prefixNode{c}}
			c.label = c.label[l:]
			cur.children[i] = mid
			c = mid
		}
		prefix = prefix[l:]
		cur = c
	}
}

// child returns the child whose label starts with b, or nil.
func (n *prefixNode) child(b byte) *prefixNode {
	cs := n.children
	lo, hi := 0, len(cs)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := cs[m].label[0]; {
		case c == b:
			return cs[m]
		case c < b:
			lo = m + 1
		default:
			hi = m
		}
	}
	return nil
}

func commonPrefixLen(a, b string) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}

// compareBindings orders bindings by resource, then entry.
func compareBindings(a, b Binding) int {
	return cmp.Or(
		cmp.Compare(a.ResourceType, b.ResourceType),
		strings.Compare(a.ResourceName, b.ResourceName),
		cmp.Compare(a.PatternType, b.PatternType),
		strings.Compare(a.Principal, b.Principal),
		strings.Compare(a.Host, b.Host),
		cmp.Compare(a.Operation, b.Operation),
		cmp.Compare(a.Permission, b.Permission),
	)
}

// match collects what the ACLs of a resource say about a request.
type match struct {
	principal string
	op        kmsg.ACLOperation
	host      string
	hostIP    netip.Addr // parsed from host on first need
	hostState uint8      // 0: not parsed, 1: IP, 2: not an IP

	hasACLs bool // some ACL matches the resource
	allow   *entry
	deny    *entry
}

// authorize evaluates the request against the index, as StandardAuthorizer
// does: the ACLs of the LITERAL name, then of every PREFIXED prefix of it,
// then the LITERAL wildcard; the first matching DENY ends the search.
func (idx *index) authorize(req *Request, m *match) {
	rt := int(req.ResourceType)
	if idx == nil || rt < 0 || rt >= numResourceTypes {
		return
	}
	ti := idx.types[rt]
	if ti == nil {
		return
	}
	name := req.ResourceName
	if p := ti.literal[name]; p != nil {
		if m.check(p) {
			return
		}
	}
	for n := ti.prefixed; n != nil; {
		if n.acls != nil && m.check(n.acls) {
			return
		}
		if name == "" {
			break
		}
		c := n.child(name[0])
		if c == nil || !strings.HasPrefix(name, c.label) {
			break
		}
		name = name[len(c.label):]
		n = c
	}
	if ti.wildcard != nil && req.ResourceName != Wildcard {
		m.check(ti.wildcard)
	}
}

// check applies the ACLs of one matching resource pattern and reports
// whether a DENY matched.
func (m *match) check(p *patternACLs) bool {
	m.hasACLs = true
	if p.byPrincipal == nil {
		for i := range p.entries {
			e := &p.entries[i]
			if (e.principal == m.principal || e.principal == WildcardPrincipal) && m.apply(e) {
				return true
			}
		}
		return false
	}
	for _, i := range p.byPrincipal[m.principal] {
		if m.apply(&p.entries[i]) {
			return true
		}
	}
	if m.principal != WildcardPrincipal {
		for _, i := range p.wildcards {
			if m.apply(&p.entries[i]) {
				return true
			}
		}
	}
	return false
}

// apply records the entry's verdict if its host and operation match the
// request, whose principal it matches; it reports whether that is a DENY.
func (m *match) apply(e *entry) bool {
	if !e.hostAny && !m.hostMatches(e) {
		return false
	}
	if !operationMatches(e.op, m.op, e.allow) {
		return false
	}
	if e.allow {
		m.allow = e
		return false
	}
	m.deny = e
	return true
}

// hostMatches compares the ACL's host with the client's: as IP addresses
// when both are (so "::1" and "0:0:0:0:0:0:0:1" are one host), else as
// strings.
func (m *match) hostMatches(e *entry) bool {
	if e.host == m.host {
		return true
	}
	if !e.hostIP.IsValid() {
		return false
	}
	if m.hostState == 0 {
		m.hostState = 2
		if ip, err := netip.ParseAddr(m.host); err == nil {
			m.hostIP, m.hostState = ip.Unmap(), 1
		}
	}
	return m.hostState == 1 && e.hostIP == m.hostIP
}

// operationMatches reports whether an ACL for aclOp applies to a request
// for op. ALL applies to every operation. Only ALLOW ACLs imply: READ,
// WRITE, DELETE and ALTER allow DESCRIBE, and ALTER_CONFIGS allows
// DESCRIBE_CONFIGS; a DENY ACL applies to its own operation only.
func operationMatches(aclOp, op kmsg.ACLOperation, allow bool) bool {
	if aclOp == kmsg.ACLOperationAll || aclOp == op {
		return true
	}
	if !allow {
		return false
	}
	switch op {
	case kmsg.ACLOperationDescribe:
		switch aclOp {
		case kmsg.ACLOperationRead, kmsg.ACLOperationWrite, kmsg.ACLOperationDelete, kmsg.ACLOperationAlter:
			return true
		}
	case kmsg.ACLOperationDescribeConfigs:
		return aclOp == kmsg.ACLOperationAlterConfigs
	}
	return false
}
