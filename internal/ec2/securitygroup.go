package ec2

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SecurityGroup is a set of inbound and outbound rules of a VPC.
type SecurityGroup struct {
	ID          string    `json:"id"`
	ARN         string    `json:"arn"`
	Name        string    `json:"name"`
	Description string    `json:"desc"`
	VPCID       string    `json:"vpc"`
	Owner       string    `json:"owner"`
	Rules       []Rule    `json:"rules,omitempty"`
	Tags        []Tag     `json:"tags,omitempty"`
	Created     time.Time `json:"created"`
}

// Rule is one security group rule: traffic of a protocol and port range
// from (ingress) or to (egress) one peer, an IPv4 range or a security
// group, is allowed.
type Rule struct {
	ID          string       `json:"id"` // sgr-…
	Egress      bool         `json:"egress,omitempty"`
	Protocol    string       `json:"proto"` // -1 (all), tcp, udp, icmp, or a protocol number
	FromPort    int          `json:"from"`  // tcp/udp: first port; icmp: type; else -1
	ToPort      int          `json:"to"`    // tcp/udp: last port; icmp: code; else -1
	CIDR        netip.Prefix `json:"cidr,omitzero"`
	GroupID     string       `json:"group,omitempty"` // the peer security group
	UserID      string       `json:"user,omitempty"`  // the account that owns GroupID
	Description string       `json:"desc,omitempty"`
}

// IPPermission is rules as EC2's API groups them: a protocol and port
// range with the IPv4 ranges and security groups it applies to. Ports are
// nil for protocols without ports (-1).
type IPPermission struct {
	IPProtocol string
	FromPort   *int32
	ToPort     *int32
	IPRanges   []IPRange
	Groups     []GroupPair // UserIdGroupPairs
}

// IPRange is an IPv4 CIDR peer of a permission.
type IPRange struct {
	CIDR        string
	Description string
}

// GroupPair is a security group peer of a permission, by id or (in the
// same VPC) by name.
type GroupPair struct {
	GroupID     string
	GroupName   string
	UserID      string
	Description string
}

// CreateSecurityGroupInput is what CreateSecurityGroup needs.
type CreateSecurityGroupInput struct {
	VPCID             string
	Name              string
	Description       string
	TagSpecifications []TagSpecification
}

// IsDefault reports whether g is its VPC's default group.
func (g SecurityGroup) IsDefault() bool { return g.Name == DefaultGroupName }

// Ingress returns the group's inbound rules as EC2 lists them.
func (g SecurityGroup) Ingress() []IPPermission { return permissions(g.Rules, false) }

// Egress returns the group's outbound rules as EC2 lists them.
func (g SecurityGroup) Egress() []IPPermission { return permissions(g.Rules, true) }

// permissions groups rules of a direction by protocol and port range, in
// the order they were added.
func permissions(rules []Rule, egress bool) []IPPermission {
	out := []IPPermission{}
	type key struct {
		proto    string
		from, to int
	}
	index := map[key]int{}
	for _, r := range rules {
		if r.Egress != egress {
			continue
		}
		k := key{r.Protocol, r.FromPort, r.ToPort}
		i, ok := index[k]
		if !ok {
			p := IPPermission{IPProtocol: r.Protocol}
			if hasPorts(r.Protocol) {
				from, to := int32(r.FromPort), int32(r.ToPort)
				p.FromPort, p.ToPort = &from, &to
			}
			out = append(out, p)
			i = len(out) - 1
			index[k] = i
		}
		if r.GroupID != "" {
			out[i].Groups = append(out[i].Groups, GroupPair{GroupID: r.GroupID, UserID: r.UserID, Description: r.Description})
		} else {
			out[i].IPRanges = append(out[i].IPRanges, IPRange{CIDR: r.CIDR.String(), Description: r.Description})
		}
	}
	return out
}

func hasPorts(proto string) bool { return proto == "tcp" || proto == "udp" || proto == "icmp" }

// String describes a rule as EC2's duplicate-rule error does.
func (r Rule) String() string {
	peer := r.CIDR.String()
	if r.GroupID != "" {
		peer = r.GroupID
	}
	if !hasPorts(r.Protocol) {
		proto := strings.ToUpper(r.Protocol)
		if r.Protocol == "-1" {
			proto = "ALL"
		}
		return fmt.Sprintf("peer: %s, %s, ALLOW", peer, proto)
	}
	return fmt.Sprintf("peer: %s, %s, from port: %d, to port: %d, ALLOW", peer, strings.ToUpper(r.Protocol), r.FromPort, r.ToPort)
}

// same reports whether two rules allow the same traffic (descriptions
// and ids aside).
func (r Rule) same(o Rule) bool {
	return r.Egress == o.Egress && r.Protocol == o.Protocol && r.FromPort == o.FromPort && r.ToPort == o.ToPort &&
		r.CIDR == o.CIDR && r.GroupID == o.GroupID
}

// validGroupText reports whether s uses only the characters EC2 allows in
// the names and descriptions of VPC security groups and rules.
func validGroupText(s string) bool {
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune(" ._-:/()#,@[]+=&;{}!$*", c):
		default:
			return false
		}
	}
	return true
}

func checkGroupText(param, s string) error {
	if len(s) > 255 {
		return errf(CodeInvalidParameterValue, "Value (%s) for parameter %s is invalid. Length exceeds maximum of 255 characters.", s, param)
	}
	if !validGroupText(s) {
		if !utf8.ValidString(s) || strings.IndexFunc(s, func(r rune) bool { return r > 0x7e }) >= 0 {
			return errf(CodeInvalidParameterValue, "Value (%s) for parameter %s is invalid. Character sets beyond ASCII are not supported.", strings.ToValidUTF8(s, "?"), param)
		}
		return errf(CodeInvalidParameterValue, "Value (%s) for parameter %s is invalid. Valid characters are a-z, A-Z, 0-9, spaces, and ._-:/()#,@[]+=&;{}!$*", s, param)
	}
	return nil
}

// CreateSecurityGroup creates a security group in one of an account's
// VPCs, with the default outbound rule (all traffic to 0.0.0.0/0).
func (s *Service) CreateSecurityGroup(ctx context.Context, account string, in CreateSecurityGroupInput) (SecurityGroup, error) {
	switch {
	case in.Name == "":
		return SecurityGroup{}, missing("GroupName")
	case in.Description == "":
		return SecurityGroup{}, missing("GroupDescription")
	case in.VPCID == "":
		return SecurityGroup{}, errf(CodeVPCIDNotSpecified, "No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
	}
	if err := vpcKind.check(in.VPCID); err != nil {
		return SecurityGroup{}, err
	}
	if err := checkGroupText("GroupName", in.Name); err != nil {
		return SecurityGroup{}, err
	}
	if err := checkGroupText("GroupDescription", in.Description); err != nil {
		return SecurityGroup{}, err
	}
	if strings.HasPrefix(strings.ToLower(in.Name), "sg-") {
		return SecurityGroup{}, errf(CodeInvalidParameterValue, "Group names may not be in the format sg-*.")
	}
	if in.Name == DefaultGroupName {
		return SecurityGroup{}, errf(CodeGroupReserved, "The security group '%s' is reserved", in.Name)
	}
	tags, err := tagsOnCreate("security-group", in.TagSpecifications)
	if err != nil {
		return SecurityGroup{}, err
	}
	g := SecurityGroup{
		ID: newID("sg-"), Name: in.Name, Description: in.Description, VPCID: in.VPCID, Owner: account, Tags: tags, Created: s.now().UTC(),
		Rules: []Rule{{ID: newID("sgr-"), Egress: true, Protocol: "-1", FromPort: -1, ToPort: -1, CIDR: netip.MustParsePrefix("0.0.0.0/0")}},
	}
	g.ARN = s.ARN(account, g.ID)
	err = s.update(ctx, account, in.VPCID, func(r *record) error {
		if r.groupNamed(in.Name) >= 0 {
			return errf(CodeGroupDuplicate, "The security group '%s' already exists for VPC '%s'", in.Name, in.VPCID)
		}
		if len(r.Groups) >= maxGroupsPerVPC {
			return errf(CodeGroupLimitExceeded, "The maximum number of security groups has been reached.")
		}
		r.Groups = append(r.Groups, g)
		return nil
	})
	if err != nil {
		return SecurityGroup{}, err
	}
	return g, nil
}

// SecurityGroups returns an account's security groups with the ids (all if
// none) that match the filters, by id. An id that does not exist is
// InvalidGroup.NotFound.
func (s *Service) SecurityGroups(ctx context.Context, account string, ids []string, filters ...Filter) ([]SecurityGroup, error) {
	ids, err := checkIDs(groupKind, ids)
	if err != nil {
		return nil, err
	}
	return s.groups(ctx, account, filters, ids, func(g SecurityGroup) string { return g.ID })
}

// SecurityGroupsNamed returns an account's security groups (in any of its
// VPCs) with the names that match the filters, by id. A name no group has
// is InvalidGroup.NotFound.
func (s *Service) SecurityGroupsNamed(ctx context.Context, account string, names []string, filters ...Filter) ([]SecurityGroup, error) {
	if len(names) == 0 {
		return nil, missing("GroupName")
	}
	return s.groups(ctx, account, filters, names, func(g SecurityGroup) string { return g.Name })
}

func (s *Service) groups(ctx context.Context, account string, filters []Filter, want []string, key func(SecurityGroup) string) ([]SecurityGroup, error) {
	if err := checkFilters(filters, groupFilters); err != nil {
		return nil, err
	}
	recs, err := s.records(ctx, account)
	if err != nil {
		return nil, err
	}
	var all []SecurityGroup
	for _, r := range recs {
		all = append(all, r.Groups...)
	}
	for _, w := range want {
		if !slices.ContainsFunc(all, func(g SecurityGroup) bool { return key(g) == w }) {
			return nil, groupNotFound(w)
		}
	}
	var out []SecurityGroup
	for _, g := range all {
		if len(want) > 0 && !slices.Contains(want, key(g)) {
			continue
		}
		if matchAll(filters, func(name string) []string { return groupFilterValues(g, name) }) {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b SecurityGroup) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

// SecurityGroupByName returns the group with a name in one of an account's
// VPCs, or, vpcID "", in whichever VPC has one (a name several VPCs use is
// ambiguous there).
func (s *Service) SecurityGroupByName(ctx context.Context, account, vpcID, name string) (SecurityGroup, error) {
	if name == "" {
		return SecurityGroup{}, missing("GroupName")
	}
	if vpcID != "" {
		if err := vpcKind.check(vpcID); err != nil {
			return SecurityGroup{}, err
		}
	}
	recs, err := s.records(ctx, account)
	if err != nil {
		return SecurityGroup{}, err
	}
	var found []SecurityGroup
	for _, r := range recs {
		if i := r.groupNamed(name); i >= 0 && (vpcID == "" || r.VPC.ID == vpcID) {
			found = append(found, r.Groups[i])
		}
	}
	switch len(found) {
	case 0:
		if vpcID != "" {
			return SecurityGroup{}, errf(CodeGroupNotFound, "The security group '%s' does not exist in VPC '%s'", name, vpcID)
		}
		return SecurityGroup{}, groupNotFound(name)
	case 1:
		return found[0], nil
	}
	return SecurityGroup{}, errf(CodeInvalidParameterValue, "The security group name '%s' is used in %d VPCs; specify the group by its id.", name, len(found))
}

func groupFilterValues(g SecurityGroup, name string) []string {
	if vals, ok := tagValues(g.Tags, name); ok {
		return vals
	}
	switch name {
	case "group-id":
		return []string{g.ID}
	case "group-name":
		return []string{g.Name}
	case "description":
		return []string{g.Description}
	case "vpc-id":
		return []string{g.VPCID}
	case "owner-id":
		return []string{g.Owner}
	}
	egress := strings.HasPrefix(name, "egress.")
	var out []string
	for _, r := range g.Rules {
		if r.Egress != egress {
			continue
		}
		switch strings.TrimPrefix(name, "egress.") {
		case "ip-permission.cidr":
			if r.GroupID == "" {
				out = append(out, r.CIDR.String())
			}
		case "ip-permission.from-port":
			out = append(out, strconv.Itoa(r.FromPort))
		case "ip-permission.to-port":
			out = append(out, strconv.Itoa(r.ToPort))
		case "ip-permission.protocol":
			out = append(out, r.Protocol)
		case "ip-permission.group-id":
			if r.GroupID != "" {
				out = append(out, r.GroupID)
			}
		case "ip-permission.user-id":
			if r.UserID != "" {
				out = append(out, r.UserID)
			}
		}
	}
	return out
}

// DeleteSecurityGroup deletes a security group of an account. A VPC's
// default group cannot be deleted, nor a group another group's rules
// refer to.
func (s *Service) DeleteSecurityGroup(ctx context.Context, account, id string) error {
	if err := groupKind.check(id); err != nil {
		return err
	}
	vpcID, err := s.locate(ctx, account, id)
	if err != nil {
		return err
	}
	err = s.update(ctx, account, vpcID, func(r *record) error {
		i := r.group(id)
		if i < 0 {
			return groupNotFound(id)
		}
		if r.Groups[i].IsDefault() {
			return errf(CodeCannotDelete, "the specified group: \"%s\" name: \"%s\" cannot be deleted by a user", id, DefaultGroupName)
		}
		for _, o := range r.Groups {
			if o.ID == id {
				continue
			}
			if slices.ContainsFunc(o.Rules, func(rl Rule) bool { return rl.GroupID == id }) {
				return errf(CodeDependencyViolation, "resource %s has a dependent object", id)
			}
		}
		r.Groups = slices.Delete(r.Groups, i, i+1)
		return nil
	})
	if IsCode(err, CodeVPCNotFound) {
		return groupNotFound(id)
	}
	return err
}

// parseProtocol normalizes an IP protocol as EC2 does: -1 (or all) for
// every protocol, tcp, udp and icmp by name or number, other protocol
// numbers as they are.
func parseProtocol(p string) (string, error) {
	switch strings.ToLower(p) {
	case "":
		return "", missing("IpProtocol")
	case "-1", "all":
		return "-1", nil
	case "tcp", "6":
		return "tcp", nil
	case "udp", "17":
		return "udp", nil
	case "icmp", "1":
		return "icmp", nil
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 0 || n > 255 || strconv.Itoa(n) != p {
		return "", errf(CodeInvalidParameterValue, "Invalid value '%s' for IP protocol. Unknown protocol.", p)
	}
	return p, nil
}

// checkDescription applies EC2's rule description limits.
func checkDescription(d string) error {
	if len(d) > 255 || !validGroupText(d) {
		return errf(CodeInvalidParameterValue, "Invalid rule description. Valid descriptions are strings less than 256 characters from the following set:  a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*")
	}
	return nil
}

// rules turns permissions into one rule per peer, validating protocols,
// ports, ranges and descriptions; group peers named by GroupName are left
// for the caller to resolve.
func rules(perms []IPPermission, egress bool) ([]Rule, []string, error) {
	if len(perms) == 0 {
		return nil, nil, missing("IpPermissions")
	}
	var out []Rule
	var names []string // GroupName of each rule ("" if none)
	for _, p := range perms {
		proto, err := parseProtocol(p.IPProtocol)
		if err != nil {
			return nil, nil, err
		}
		from, to := -1, -1
		switch proto {
		case "tcp", "udp":
			if p.FromPort == nil || p.ToPort == nil {
				return nil, nil, errf(CodeInvalidParameterValue, "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange.")
			}
			from, to = int(*p.FromPort), int(*p.ToPort)
			for _, port := range []int{from, to} {
				if port < 0 || port > 65535 {
					return nil, nil, errf(CodePermissionMalformed, "TCP/UDP port (%d) out of range", port)
				}
			}
			if from > to {
				return nil, nil, errf(CodeInvalidParameterValue, "Invalid value 'The from port (%d) must not be greater than the to port (%d).' for portRange.", from, to)
			}
		case "icmp":
			if p.FromPort == nil || p.ToPort == nil {
				return nil, nil, errf(CodeInvalidParameterValue, "Invalid value 'Must specify both from and to ports with ICMP.' for portRange.")
			}
			from, to = int(*p.FromPort), int(*p.ToPort)
			if from < -1 || from > 255 {
				return nil, nil, errf(CodePermissionMalformed, "ICMP type (%d) out of range", from)
			}
			if to < -1 || to > 255 {
				return nil, nil, errf(CodePermissionMalformed, "ICMP code (%d) out of range", to)
			}
		}
		if len(p.IPRanges) == 0 && len(p.Groups) == 0 {
			return nil, nil, errf(CodeMissingParameter, "The request must contain the parameter ipRanges or groups: a permission needs a CIDR range or a security group as its peer.")
		}
		base := Rule{Egress: egress, Protocol: proto, FromPort: from, ToPort: to}
		for _, rg := range p.IPRanges {
			c, err := netip.ParsePrefix(rg.CIDR)
			if err != nil || !c.Addr().Is4() || c.Masked() != c {
				return nil, nil, errf(CodeInvalidParameterValue, "CIDR block %s is malformed", rg.CIDR)
			}
			if err := checkDescription(rg.Description); err != nil {
				return nil, nil, err
			}
			r := base
			r.CIDR, r.Description = c, rg.Description
			out, names = append(out, r), append(names, "")
		}
		for _, gp := range p.Groups {
			if gp.GroupID == "" && gp.GroupName == "" {
				return nil, nil, missing("GroupId")
			}
			if gp.GroupID != "" {
				if err := groupKind.check(gp.GroupID); err != nil {
					return nil, nil, err
				}
			}
			if err := checkDescription(gp.Description); err != nil {
				return nil, nil, err
			}
			r := base
			r.GroupID, r.UserID, r.Description = gp.GroupID, gp.UserID, gp.Description
			name := ""
			if gp.GroupID == "" {
				name = gp.GroupName
			}
			out, names = append(out, r), append(names, name)
		}
	}
	return out, names, nil
}

// resolve fills in the peer groups of rules within one VPC record.
func (s *Service) resolve(r *record, account string, rs []Rule, names []string, elsewhere map[string]bool) error {
	for i := range rs {
		if names[i] != "" {
			j := r.groupNamed(names[i])
			if j < 0 {
				return errf(CodeGroupNotFound, "The security group '%s' does not exist in VPC '%s'", names[i], r.VPC.ID)
			}
			rs[i].GroupID = r.Groups[j].ID
		}
		if rs[i].GroupID == "" {
			continue
		}
		if rs[i].UserID != "" && rs[i].UserID != account {
			return errf(CodeGroupNotFound, "You have specified two resources that belong to different networks.")
		}
		rs[i].UserID = account
		if r.group(rs[i].GroupID) < 0 {
			if elsewhere[rs[i].GroupID] {
				return errf(CodeGroupNotFound, "You have specified two resources that belong to different networks.")
			}
			return groupNotFound(rs[i].GroupID)
		}
	}
	return nil
}

// findGroup locates a group and notes every group id of the account.
func (s *Service) findGroup(ctx context.Context, account, id string) (vpcID string, all map[string]bool, err error) {
	if err := groupKind.check(id); err != nil {
		return "", nil, err
	}
	recs, err := s.records(ctx, account)
	if err != nil {
		return "", nil, err
	}
	all = map[string]bool{}
	for _, r := range recs {
		for _, g := range r.Groups {
			all[g.ID] = true
			if g.ID == id {
				vpcID = r.VPC.ID
			}
		}
	}
	if vpcID == "" {
		return "", nil, groupNotFound(id)
	}
	return vpcID, all, nil
}

// AuthorizeSecurityGroup adds inbound (egress false) or outbound rules to
// a security group of an account, all or none: a rule the group already
// has is InvalidPermission.Duplicate. It returns the rules added.
func (s *Service) AuthorizeSecurityGroup(ctx context.Context, account, groupID string, egress bool, perms []IPPermission) ([]Rule, error) {
	rs, names, err := rules(perms, egress)
	if err != nil {
		return nil, err
	}
	vpcID, all, err := s.findGroup(ctx, account, groupID)
	if err != nil {
		return nil, err
	}
	var added []Rule
	err = s.update(ctx, account, vpcID, func(r *record) error {
		gi := r.group(groupID)
		if gi < 0 {
			return groupNotFound(groupID)
		}
		add := slices.Clone(rs)
		if err := s.resolve(r, account, add, names, all); err != nil {
			return err
		}
		g := &r.Groups[gi]
		for i, rl := range add {
			if slices.ContainsFunc(g.Rules, rl.same) || slices.ContainsFunc(add[:i], rl.same) {
				return errf(CodePermissionDuplicate, "the specified rule %q already exists", rl.String())
			}
		}
		n := 0
		for _, rl := range g.Rules {
			if rl.Egress == egress {
				n++
			}
		}
		if n+len(add) > maxRulesPerDir {
			return errf(CodeRulesLimitExceeded, "The maximum number of rules per security group has been reached.")
		}
		for i := range add {
			add[i].ID = newID("sgr-")
		}
		g.Rules = append(g.Rules, add...)
		added = add
		return nil
	})
	if IsCode(err, CodeVPCNotFound) {
		return nil, groupNotFound(groupID)
	}
	return added, err
}

// RevokeSecurityGroup removes inbound (egress false) or outbound rules
// from a security group of an account, given as permissions or as rule
// ids (not both), all or none: a rule the group does not have is
// InvalidPermission.NotFound. It returns the rules removed.
func (s *Service) RevokeSecurityGroup(ctx context.Context, account, groupID string, egress bool, perms []IPPermission, ruleIDs []string) ([]Rule, error) {
	var rs []Rule
	var names []string
	switch {
	case len(perms) > 0 && len(ruleIDs) > 0:
		return nil, errf(CodeInvalidParameterCombination, "The parameter 'IpPermissions' may not be used in combination with 'SecurityGroupRuleIds'.")
	case len(ruleIDs) > 0:
		ids, err := checkIDs(ruleKind, ruleIDs)
		if err != nil {
			return nil, err
		}
		ruleIDs = ids
	default:
		var err error
		if rs, names, err = rules(perms, egress); err != nil {
			return nil, err
		}
	}
	vpcID, all, err := s.findGroup(ctx, account, groupID)
	if err != nil {
		return nil, err
	}
	var removed []Rule
	err = s.update(ctx, account, vpcID, func(r *record) error {
		gi := r.group(groupID)
		if gi < 0 {
			return groupNotFound(groupID)
		}
		g := &r.Groups[gi]
		var drop []int
		for _, id := range ruleIDs {
			i := slices.IndexFunc(g.Rules, func(rl Rule) bool { return rl.ID == id && rl.Egress == egress })
			if i < 0 {
				return errf(CodeRuleNotFound, "The security group rule ID '%s' does not exist", id)
			}
			drop = append(drop, i)
		}
		if len(rs) > 0 {
			want := slices.Clone(rs)
			if err := s.resolve(r, account, want, names, all); err != nil {
				if IsCode(err, CodeGroupNotFound) {
					return errf(CodePermissionNotFound, "The specified rule does not exist in this security group.")
				}
				return err
			}
			for _, w := range want {
				i := slices.IndexFunc(g.Rules, w.same)
				if i < 0 {
					return errf(CodePermissionNotFound, "The specified rule does not exist in this security group.")
				}
				drop = append(drop, i)
			}
		}
		removed = nil
		keep := g.Rules[:0:0]
		for i, rl := range g.Rules {
			if slices.Contains(drop, i) {
				removed = append(removed, rl)
			} else {
				keep = append(keep, rl)
			}
		}
		g.Rules = keep
		return nil
	})
	if IsCode(err, CodeVPCNotFound) {
		return nil, groupNotFound(groupID)
	}
	return removed, err
}
