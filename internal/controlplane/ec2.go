package controlplane

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
)

// The EC2 query protocol: form-encoded requests naming an Action (lists
// flattened as Name.N, structures as Name.Member), XML responses
// <ActionResponse xmlns="…"><requestId/>…members…</ActionResponse> with
// lists as <item> elements, and errors as <Response><Errors><Error>
// <Code/><Message/></Error></Errors><RequestID/></Response>.

const ec2Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// ec2Service answers ec2: VPCs, subnets, security groups and their rules,
// tags and availability zones of the caller's account, each call
// authorized as ec2:<Action> on the resource's ARN ("*" for creates and
// describes).
type ec2Service struct {
	iam *iam.Service
	ec2 *ec2.Service
	log *slog.Logger
}

func (s *ec2Service) fail(w http.ResponseWriter, c *Call, status int, code, message string) {
	writeEC2Error(w, status, code, message, c.RequestID)
}

type ec2Error struct {
	XMLName   xml.Name `xml:"Response"`
	Code      string   `xml:"Errors>Error>Code"`
	Message   string   `xml:"Errors>Error>Message"`
	RequestID string   `xml:"RequestID"`
}

// writeEC2Error writes an error in the EC2 protocol's shape.
func writeEC2Error(w http.ResponseWriter, status int, code, message, requestID string) {
	b, _ := xml.Marshal(ec2Error{Code: code, Message: message, RequestID: requestID})
	writeBody(w, "text/xml;charset=UTF-8", status, append([]byte(xml.Header), b...))
}

// writeEC2Result writes an Action's response members in order.
func writeEC2Result(w http.ResponseWriter, action, requestID string, fields []field) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Local: action + "Response"}, Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: ec2Namespace}}}
	enc.EncodeToken(root)
	enc.EncodeElement(requestID, xml.StartElement{Name: xml.Name{Local: "requestId"}})
	for _, f := range fields {
		enc.EncodeElement(f.Value, xml.StartElement{Name: xml.Name{Local: f.Name}})
	}
	enc.EncodeToken(root.End())
	enc.Flush()
	writeBody(w, "text/xml;charset=UTF-8", http.StatusOK, buf.Bytes())
}

// ec2Op is a parsed call: the resources to authorize it on, and what it
// does once authorized.
type ec2Op struct {
	resources []string
	run       func(ctx context.Context) ([]field, error)
}

func (s *ec2Service) serve(w http.ResponseWriter, c *Call) {
	acct := c.Caller.Principal.Account
	p := newEC2Params(c.Form)
	dryRun := p.boolean("DryRun")
	op, err := s.parse(c.Ctx, c.Action, p, acct)
	if err == nil {
		err = p.check()
	}
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	action := "ec2:" + c.Action
	for _, res := range op.resources {
		d, err := s.iam.Authorize(c.Ctx, c.Caller, action, res, acct, nil, nil)
		if err != nil {
			s.writeError(w, c, err)
			return
		}
		if !d.Allowed {
			denied := iam.AccessDenied(c.Caller, action, res, d)
			s.fail(w, c, http.StatusForbidden, "UnauthorizedOperation", "You are not authorized to perform this operation. "+denied.Message)
			return
		}
	}
	if dryRun {
		s.fail(w, c, http.StatusPreconditionFailed, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
		return
	}
	fields, err := op.run(c.Ctx)
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	writeEC2Result(w, c.Action, c.RequestID, fields)
}

// writeError answers an EC2 error as it is, an IAM error in the EC2 shape,
// anything else as an internal error.
func (s *ec2Service) writeError(w http.ResponseWriter, c *Call, err error) {
	var ee *ec2.Error
	var ie *iam.Error
	switch {
	case errors.As(err, &ee):
		s.fail(w, c, ee.Status, ee.Code, ee.Message)
	case errors.As(err, &ie):
		s.fail(w, c, ie.Status, ie.Code, ie.Message)
	default:
		s.log.Error("ec2 call failed", "request_id", c.RequestID, "action", c.Action, "err", err)
		s.fail(w, c, http.StatusInternalServerError, "InternalError", "An internal error has occurred")
	}
}

func ec2Err(code, format string, a ...any) *ec2.Error {
	return &ec2.Error{Code: code, Message: fmt.Sprintf(format, a...), Status: http.StatusBadRequest}
}

func ec2Missing(name string) *ec2.Error {
	return ec2Err(ec2.CodeMissingParameter, "The request must contain the parameter %s", name)
}

// ec2Done is the output of an operation that answers only success.
func ec2Done(err error) ([]field, error) { return []field{{"return", true}}, err }

// parse decodes and checks a call's parameters, resolving what its
// authorization needs.
func (s *ec2Service) parse(ctx context.Context, action string, p *ec2Params, acct string) (ec2Op, error) {
	star := []string{"*"}
	arn := func(id string) []string { return []string{s.ec2.ARN(acct, id)} }
	switch action {
	case "CreateVpc":
		cidr := p.str("CidrBlock")
		if t, ok := p.lookup("InstanceTenancy"); ok && t != "default" {
			return ec2Op{}, ec2Err(ec2.CodeInvalidParameterValue, "The tenancy value %s is not supported.", t)
		}
		specs := p.tagSpecs()
		return ec2Op{star, func(ctx context.Context) ([]field, error) {
			v, err := s.ec2.CreateVPC(ctx, acct, cidr, specs...)
			return []field{{"vpc", ec2VPCXML(v)}}, err
		}}, p.err
	case "DescribeVpcs":
		ids, filters := p.strs("VpcId"), p.filters()
		pg := p.paging("VpcId", len(ids) > 0)
		return ec2Op{star, func(ctx context.Context) ([]field, error) {
			vs, err := s.ec2.VPCs(ctx, acct, ids, filters...)
			if err != nil {
				return nil, err
			}
			page, next, err := ec2Paginate(vs, func(v ec2.VPC) string { return v.ID }, pg)
			out := make([]ec2XmlVPC, len(page))
			for i, v := range page {
				out[i] = ec2VPCXML(v)
			}
			return ec2WithNext([]field{{"vpcSet", ec2List(out)}}, next), err
		}}, p.err
	case "DeleteVpc":
		id := p.id("VpcId", "vpc")
		return ec2Op{arn(id), func(ctx context.Context) ([]field, error) {
			return ec2Done(s.ec2.DeleteVPC(ctx, acct, id))
		}}, p.err
	case "DescribeVpcAttribute":
		attr := p.str("Attribute")
		id := p.id("VpcId", "vpc")
		if p.err == nil && attr == "" {
			return ec2Op{}, ec2Missing("Attribute")
		}
		return ec2Op{arn(id), func(ctx context.Context) ([]field, error) {
			v, err := s.ec2.VPCAttribute(ctx, acct, id, attr)
			return []field{{"vpcId", id}, {attr, ec2XmlBool{v}}}, err
		}}, p.err
	case "ModifyVpcAttribute":
		id := p.id("VpcId", "vpc")
		var attr string
		var value bool
		for _, a := range []string{ec2.AttrDNSSupport, ec2.AttrDNSHostnames, ec2.AttrNAUMetrics} {
			name := strings.ToUpper(a[:1]) + a[1:]
			if _, ok := p.lookup(name + ".Value"); !ok {
				continue
			}
			if attr != "" {
				return ec2Op{}, ec2Err(ec2.CodeInvalidParameterCombination, "Only one attribute can be modified at a time.")
			}
			attr, value = a, p.boolean(name+".Value")
		}
		if p.err == nil && attr == "" {
			return ec2Op{}, ec2Missing("EnableDnsSupport or EnableDnsHostnames")
		}
		return ec2Op{arn(id), func(ctx context.Context) ([]field, error) {
			return ec2Done(s.ec2.SetVPCAttribute(ctx, acct, id, attr, value))
		}}, p.err
	case "CreateSubnet":
		in := ec2.CreateSubnetInput{
			VPCID: p.str("VpcId"), CIDRBlock: p.str("CidrBlock"),
			AvailabilityZone: p.str("AvailabilityZone"), AvailabilityZoneID: p.str("AvailabilityZoneId"),
			TagSpecifications: p.tagSpecs(),
		}
		return ec2Op{star, func(ctx context.Context) ([]field, error) {
			sn, err := s.ec2.CreateSubnet(ctx, acct, in)
			return []field{{"subnet", ec2SubnetXML(sn)}}, err
		}}, p.err
	case "DescribeSubnets":
		ids, filters := p.strs("SubnetId"), p.filters()
		pg := p.paging("SubnetId", len(ids) > 0)
		return ec2Op{star, func(ctx context.Context) ([]field, error) {
			sns, err := s.ec2.Subnets(ctx, acct, ids, filters...)
			if err != nil {
				return nil, err
			}
			page, next, err := ec2Paginate(sns, func(sn ec2.Subnet) string { return sn.ID }, pg)
			out := make([]ec2XmlSubnet, len(page))
			for i, sn := range page {
				out[i] = ec2SubnetXML(sn)
			}
			return ec2WithNext([]field{{"subnetSet", ec2List(out)}}, next), err
		}}, p.err
	case "DeleteSubnet":
		id := p.id("SubnetId", "subnet")
		return ec2Op{arn(id), func(ctx context.Context) ([]field, error) {
			return ec2Done(s.ec2.DeleteSubnet(ctx, acct, id))
		}}, p.err
	case "DescribeAvailabilityZones":
		names, ids, filters := p.strs("ZoneName"), p.strs("ZoneId"), p.filters()
		p.boolean("AllAvailabilityZones")
		return ec2Op{star, func(context.Context) ([]field, error) {
			zs, err := s.ec2.AvailabilityZones(names, ids, filters...)
			out := make([]ec2XmlZone, len(zs))
			for i, z := range zs {
				r := s.ec2.Region()
				out[i] = ec2XmlZone{ZoneName: z.Name, ZoneID: z.ID, State: "available", RegionName: r, GroupName: r, NetworkBorderGroup: r,
					ZoneType: "availability-zone", OptInStatus: "opt-in-not-required"}
			}
			return []field{{"availabilityZoneInfo", ec2List(out)}}, err
		}}, p.err
	case "CreateSecurityGroup":
		in := ec2.CreateSecurityGroupInput{
			VPCID: p.str("VpcId"), Name: p.str("GroupName"), Description: p.str("GroupDescription"), TagSpecifications: p.tagSpecs(),
		}
		return ec2Op{star, func(ctx context.Context) ([]field, error) {
			g, err := s.ec2.CreateSecurityGroup(ctx, acct, in)
			f := []field{{"groupId", g.ID}}
			if len(g.Tags) > 0 {
				f = append(f, field{"tagSet", ec2TagsXML(g.Tags)})
			}
			return append(f, field{"securityGroupArn", g.ARN}), err
		}}, p.err
	case "DescribeSecurityGroups":
		ids, names, filters := p.strs("GroupId"), p.strs("GroupName"), p.filters()
		pg := p.paging("GroupId", len(ids) > 0 || len(names) > 0)
		return ec2Op{star, func(ctx context.Context) ([]field, error) {
			var gs []ec2.SecurityGroup
			var err error
			if len(ids) > 0 || len(names) == 0 {
				gs, err = s.ec2.SecurityGroups(ctx, acct, ids, filters...)
			}
			if err == nil && len(names) > 0 {
				var named []ec2.SecurityGroup
				named, err = s.ec2.SecurityGroupsNamed(ctx, acct, names, filters...)
				for _, g := range named {
					if !slices.ContainsFunc(gs, func(o ec2.SecurityGroup) bool { return o.ID == g.ID }) {
						gs = append(gs, g)
					}
				}
				slices.SortFunc(gs, func(a, b ec2.SecurityGroup) int { return strings.Compare(a.ID, b.ID) })
			}
			if err != nil {
				return nil, err
			}
			page, next, err := ec2Paginate(gs, func(g ec2.SecurityGroup) string { return g.ID }, pg)
			out := make([]ec2XmlGroup, len(page))
			for i, g := range page {
				out[i] = ec2GroupXML(g)
			}
			return ec2WithNext([]field{{"securityGroupInfo", ec2List(out)}}, next), err
		}}, p.err
	case "DeleteSecurityGroup":
		id, err := s.groupRef(ctx, p, acct, "GroupId", "GroupName")
		if err != nil {
			return ec2Op{}, err
		}
		return ec2Op{arn(id), func(ctx context.Context) ([]field, error) {
			err := s.ec2.DeleteSecurityGroup(ctx, acct, id)
			return []field{{"return", true}, {"groupId", id}}, err
		}}, p.err
	case "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress", "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress":
		egress := strings.HasSuffix(action, "Egress")
		nameParam := "GroupName"
		if egress {
			nameParam = "" // egress calls name the group by id only
		}
		perms := p.permissions(egress)
		var ruleIDs []string
		revoke := strings.HasPrefix(action, "Revoke")
		if revoke {
			ruleIDs = p.strs("SecurityGroupRuleId")
		}
		if _, ok := p.node("TagSpecification"); ok && !revoke {
			return ec2Op{}, ec2Err(ec2.CodeInvalidParameterValue, "kafkalink does not tag security group rules.")
		}
		if p.err != nil {
			return ec2Op{}, p.err
		}
		id, err := s.groupRef(ctx, p, acct, "GroupId", nameParam)
		if err != nil {
			return ec2Op{}, err
		}
		return ec2Op{arn(id), func(ctx context.Context) ([]field, error) {
			if revoke {
				rs, err := s.ec2.RevokeSecurityGroup(ctx, acct, id, egress, perms, ruleIDs)
				out := make([]ec2XmlRevokedRule, len(rs))
				for i, r := range rs {
					out[i] = ec2RevokedXML(id, r)
				}
				return []field{{"return", true}, {"revokedSecurityGroupRuleSet", ec2List(out)}}, err
			}
			rs, err := s.ec2.AuthorizeSecurityGroup(ctx, acct, id, egress, perms)
			out := make([]ec2XmlRule, len(rs))
			for i, r := range rs {
				out[i] = ec2RuleXML(s.ec2, acct, id, r)
			}
			return []field{{"return", true}, {"securityGroupRuleSet", ec2List(out)}}, err
		}}, p.err
	case "CreateTags", "DeleteTags":
		resources := p.strs("ResourceId")
		var tags []ec2.Tag
		var removals []ec2.Removal
		for _, item := range p.items("Tag") {
			key := p.str(item + ".Key")
			if action == "CreateTags" {
				tags = append(tags, ec2.Tag{Key: key, Value: p.str(item + ".Value")})
				continue
			}
			rm := ec2.Removal{Key: key}
			if v, ok := p.lookup(item + ".Value"); ok {
				rm.Value = &v
			}
			removals = append(removals, rm)
		}
		if p.err != nil {
			return ec2Op{}, p.err
		}
		if len(resources) == 0 {
			return ec2Op{}, ec2Missing("ResourceId")
		}
		var arns []string
		for _, r := range resources {
			if err := ec2.CheckID("", r); err != nil {
				return ec2Op{}, err
			}
			arns = append(arns, s.ec2.ARN(acct, r))
		}
		return ec2Op{arns, func(ctx context.Context) ([]field, error) {
			if action == "CreateTags" {
				return ec2Done(s.ec2.CreateTags(ctx, acct, resources, tags))
			}
			return ec2Done(s.ec2.DeleteTags(ctx, acct, resources, removals))
		}}, nil
	case "DescribeTags":
		filters := p.filters()
		pg := p.paging("", false)
		return ec2Op{star, func(ctx context.Context) ([]field, error) {
			ts, err := s.ec2.Tags(ctx, acct, filters...)
			if err != nil {
				return nil, err
			}
			page, next, err := ec2Paginate(ts, func(t ec2.TagDescription) string { return t.ResourceID + "\x00" + t.Key }, pg)
			out := make([]ec2XmlTagDescription, len(page))
			for i, t := range page {
				out[i] = ec2XmlTagDescription{ResourceID: t.ResourceID, ResourceType: t.ResourceType, Key: t.Key, Value: t.Value}
			}
			return ec2WithNext([]field{{"tagSet", ec2List(out)}}, next), err
		}}, p.err
	}
	return ec2Op{}, ec2Err("InvalidAction", "The action %s is not valid for this web service.", action)
}

// groupRef resolves the security group a call names by id (idParam) or,
// if nameParam is not "", by name.
func (s *ec2Service) groupRef(ctx context.Context, p *ec2Params, acct, idParam, nameParam string) (string, error) {
	id, hasID := p.lookup(idParam)
	name, hasName := "", false
	if nameParam != "" {
		name, hasName = p.lookup(nameParam)
	}
	if p.err != nil {
		return "", p.err
	}
	switch {
	case hasID && hasName:
		return "", ec2Err(ec2.CodeInvalidParameterCombination, "The parameter 'groupName' may not be used in combination with 'groupId'.")
	case hasID:
		if err := ec2.CheckID("sg", id); err != nil {
			return "", err
		}
		return id, nil
	case hasName && name != "":
		g, err := s.ec2.SecurityGroupByName(ctx, acct, "", name)
		return g.ID, err
	case nameParam == "":
		return "", ec2Missing(idParam)
	}
	return "", ec2Missing(idParam + " or " + nameParam)
}

// ec2WithNext adds nextToken to a page's fields if there is a next page.
func ec2WithNext(fields []field, next string) []field {
	if next != "" {
		fields = append(fields, field{"nextToken", next})
	}
	return fields
}

// ec2Paging is a Describe call's MaxResults (0: all) and NextToken.
type ec2Paging struct {
	max   int
	token string
}

// ec2Paginate returns the page of items (sorted by key) after the token and
// the token of the next page ("" on the last).
func ec2Paginate[T any](items []T, key func(T) string, pg ec2Paging) ([]T, string, error) {
	if pg.token != "" {
		b, err := base64.RawURLEncoding.DecodeString(pg.token)
		if err != nil || len(b) == 0 {
			return nil, "", ec2Err("InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
		}
		after := string(b)
		items = items[sort.Search(len(items), func(i int) bool { return key(items[i]) > after }):]
	}
	if pg.max > 0 && len(items) > pg.max {
		return items[:pg.max], base64.RawURLEncoding.EncodeToString([]byte(key(items[pg.max-1]))), nil
	}
	return items, "", nil
}

// Limits on a request's parameters.
const (
	ec2MaxParamValue = 4096 // bytes in one value
	ec2MaxListItems  = 1000 // members of one list
	ec2MaxListIndex  = 1_000_000
)

// ec2Params decodes the EC2 query protocol's parameters: Name, Name.N
// (lists, N from 1) and Name.Member (structures), nested. It remembers
// which parameters the call read, so that check can refuse the others,
// and the first error met.
type ec2Params struct {
	root *ec2ParamNode
	err  error
}

// ec2ParamNode is one dotted component of parameter names.
type ec2ParamNode struct {
	children map[string]*ec2ParamNode
	name     string // the full parameter name
	value    string
	has      bool // a parameter ends here
	used     bool
}

func newEC2Params(form url.Values) *ec2Params {
	p := &ec2Params{root: &ec2ParamNode{}}
	for k, vs := range form {
		n := p.root
		for part := range strings.SplitSeq(k, ".") {
			if n.children == nil {
				n.children = map[string]*ec2ParamNode{}
			}
			c := n.children[part]
			if c == nil {
				c = &ec2ParamNode{}
				n.children[part] = c
			}
			n = c
		}
		n.name, n.has = k, true
		if len(vs) > 0 {
			n.value = vs[0]
		}
	}
	return p
}

func (p *ec2Params) fail(err error) {
	if p.err == nil {
		p.err = err
	}
}

// node returns the node of a dotted name.
func (p *ec2Params) node(name string) (*ec2ParamNode, bool) {
	n := p.root
	for part := range strings.SplitSeq(name, ".") {
		if n = n.children[part]; n == nil {
			return nil, false
		}
	}
	return n, true
}

// lookup returns a parameter's value and whether it was given.
func (p *ec2Params) lookup(name string) (string, bool) {
	n, ok := p.node(name)
	if !ok || !n.has {
		return "", false
	}
	n.used = true
	if len(n.value) > ec2MaxParamValue {
		p.fail(ec2Err(ec2.CodeInvalidParameterValue, "Value for parameter %s is too long: it may have at most %d characters.", name, ec2MaxParamValue))
		return "", false
	}
	return n.value, true
}

// str returns a parameter's value, "" if absent.
func (p *ec2Params) str(name string) string {
	v, _ := p.lookup(name)
	return v
}

// id returns a required resource id of a kind, checked.
func (p *ec2Params) id(name, kind string) string {
	v, ok := p.lookup(name)
	switch {
	case p.err != nil:
	case !ok || v == "":
		p.fail(ec2Missing(name))
	default:
		if err := ec2.CheckID(kind, v); err != nil {
			p.fail(err)
		}
	}
	return v
}

func (p *ec2Params) boolean(name string) bool {
	v, ok := p.lookup(name)
	if !ok {
		return false
	}
	switch strings.ToLower(v) {
	case "true":
		return true
	case "false":
		return false
	}
	p.fail(ec2Err(ec2.CodeInvalidParameterValue, "Value (%s) for parameter %s is invalid. Expected: 'true' or 'false'.", v, name))
	return false
}

// int32 returns an integer parameter, nil if absent.
func (p *ec2Params) int32(name string) *int32 {
	v, ok := p.lookup(name)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
	if err != nil {
		p.fail(ec2Err(ec2.CodeInvalidParameterValue, "Value (%s) for parameter %s is invalid. Expected an integer.", v, name))
		return nil
	}
	i := int32(n)
	return &i
}

// items returns the names of a list's members (name.1, name.2, …) in
// index order. Members with other names are left unread.
func (p *ec2Params) items(name string) []string {
	n, ok := p.node(name)
	if !ok {
		return nil
	}
	type member struct {
		index int
		name  string
	}
	var ms []member
	for k := range n.children {
		i, err := strconv.Atoi(k)
		if err != nil || i < 1 || i > ec2MaxListIndex || strconv.Itoa(i) != k {
			continue
		}
		ms = append(ms, member{i, name + "." + k})
	}
	if len(ms) > ec2MaxListItems {
		p.fail(ec2Err(ec2.CodeInvalidParameterValue, "The parameter %s may have at most %d members.", name, ec2MaxListItems))
		return nil
	}
	slices.SortFunc(ms, func(a, b member) int { return a.index - b.index })
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.name
	}
	return out
}

// strs returns a list of strings.
func (p *ec2Params) strs(name string) []string {
	var out []string
	for _, item := range p.items(name) {
		if v, ok := p.lookup(item); ok {
			out = append(out, v)
		}
	}
	return out
}

// filters returns Filter.N.Name with its Filter.N.Value.M.
func (p *ec2Params) filters() []ec2.Filter {
	var out []ec2.Filter
	for _, item := range p.items("Filter") {
		name, ok := p.lookup(item + ".Name")
		if !ok || name == "" {
			p.fail(ec2Missing(item + ".Name"))
			return nil
		}
		out = append(out, ec2.Filter{Name: name, Values: p.strs(item + ".Value")})
	}
	return out
}

// tagSpecs returns TagSpecification.N.ResourceType with its
// TagSpecification.N.Tag.M.Key and .Value.
func (p *ec2Params) tagSpecs() []ec2.TagSpecification {
	var out []ec2.TagSpecification
	for _, item := range p.items("TagSpecification") {
		sp := ec2.TagSpecification{ResourceType: p.str(item + ".ResourceType")}
		for _, t := range p.items(item + ".Tag") {
			sp.Tags = append(sp.Tags, ec2.Tag{Key: p.str(t + ".Key"), Value: p.str(t + ".Value")})
		}
		out = append(out, sp)
	}
	return out
}

// permissions returns IpPermissions.N, or the one permission the older
// top-level parameters (IpProtocol, FromPort, ToPort, CidrIp,
// SourceSecurityGroupName, SourceSecurityGroupOwnerId) describe.
func (p *ec2Params) permissions(egress bool) []ec2.IPPermission {
	var out []ec2.IPPermission
	for _, item := range p.items("IpPermissions") {
		perm := ec2.IPPermission{
			IPProtocol: p.str(item + ".IpProtocol"), FromPort: p.int32(item + ".FromPort"), ToPort: p.int32(item + ".ToPort"),
		}
		for _, r := range p.items(item + ".IpRanges") {
			perm.IPRanges = append(perm.IPRanges, ec2.IPRange{CIDR: p.str(r + ".CidrIp"), Description: p.str(r + ".Description")})
		}
		for _, g := range p.items(item + ".Groups") {
			perm.Groups = append(perm.Groups, ec2.GroupPair{
				GroupID: p.str(g + ".GroupId"), GroupName: p.str(g + ".GroupName"), UserID: p.str(g + ".UserId"), Description: p.str(g + ".Description"),
			})
		}
		out = append(out, perm)
	}
	proto, hasProto := p.lookup("IpProtocol")
	from, to := p.int32("FromPort"), p.int32("ToPort")
	cidr, hasCIDR := p.lookup("CidrIp")
	var srcName, srcOwner string
	hasSrc := false
	if !egress {
		srcName, hasSrc = p.lookup("SourceSecurityGroupName")
		srcOwner = p.str("SourceSecurityGroupOwnerId")
	}
	legacy := hasProto || from != nil || to != nil || hasCIDR
	switch {
	case p.err != nil:
		return nil
	case (legacy || hasSrc) && len(out) > 0:
		p.fail(ec2Err(ec2.CodeInvalidParameterCombination, "The parameter 'ipPermissions' may not be used in combination with 'ipProtocol', 'fromPort', 'toPort', 'cidrIp' or 'sourceSecurityGroupName'."))
	case hasSrc && legacy:
		p.fail(ec2Err(ec2.CodeInvalidParameterCombination, "The parameter 'sourceSecurityGroupName' may not be used in combination with 'ipProtocol', 'fromPort', 'toPort' or 'cidrIp'; use IP permissions instead."))
	case hasSrc:
		// Full ICMP, TCP and UDP access from the group, as EC2 grants.
		pair := []ec2.GroupPair{{GroupName: srcName, UserID: srcOwner}}
		all, none := int32(65535), int32(0)
		minus := int32(-1)
		out = []ec2.IPPermission{
			{IPProtocol: "icmp", FromPort: &minus, ToPort: &minus, Groups: pair},
			{IPProtocol: "tcp", FromPort: &none, ToPort: &all, Groups: pair},
			{IPProtocol: "udp", FromPort: &none, ToPort: &all, Groups: pair},
		}
	case legacy:
		perm := ec2.IPPermission{IPProtocol: proto, FromPort: from, ToPort: to}
		if hasCIDR {
			perm.IPRanges = []ec2.IPRange{{CIDR: cidr}}
		}
		out = []ec2.IPPermission{perm}
	}
	return out
}

// paging reads MaxResults (within EC2's 5–1000) and NextToken; withIDs
// names the id list MaxResults may not be combined with.
func (p *ec2Params) paging(idParam string, withIDs bool) ec2Paging {
	var pg ec2Paging
	if m := p.int32("MaxResults"); m != nil {
		if withIDs {
			p.fail(ec2Err(ec2.CodeInvalidParameterCombination, "The parameter %s cannot be used with the parameter MaxResults", idParam))
		}
		if *m < 5 || *m > 1000 {
			p.fail(ec2Err(ec2.CodeInvalidParameterValue, "Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", *m))
		}
		pg.max = int(*m)
	}
	pg.token = p.str("NextToken")
	return pg
}

// check refuses the parameters the call did not read, as EC2 does.
func (p *ec2Params) check() error {
	var unknown []string
	var walk func(n *ec2ParamNode)
	walk = func(n *ec2ParamNode) {
		if n.has && !n.used && n.name != "Action" && n.name != "Version" && !strings.HasPrefix(n.name, "X-Amz-") {
			unknown = append(unknown, n.name)
		}
		for _, c := range n.children {
			walk(c)
		}
	}
	walk(p.root)
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	return ec2Err("UnknownParameter", "The parameter %s is not recognized", unknown[0])
}

// XML shapes of the EC2 model, with its locationNames.

// ec2Items is an EC2 list: <name><item>…</item>…</name>, empty or not.
type ec2Items[T any] struct {
	Items []T `xml:"item"`
}

func ec2List[T any](items []T) ec2Items[T] { return ec2Items[T]{Items: items} }

type ec2XmlTag struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// ec2TagsXML is a tagSet, nil (omitted) when there are no tags.
func ec2TagsXML(tags []ec2.Tag) *ec2Items[ec2XmlTag] {
	if len(tags) == 0 {
		return nil
	}
	out := make([]ec2XmlTag, len(tags))
	for i, t := range tags {
		out[i] = ec2XmlTag{t.Key, t.Value}
	}
	return &ec2Items[ec2XmlTag]{Items: out}
}

type ec2XmlBool struct {
	Value bool `xml:"value"`
}

type ec2XmlCIDRAssociation struct {
	AssociationID string `xml:"associationId"`
	CIDRBlock     string `xml:"cidrBlock"`
	State         string `xml:"cidrBlockState>state"`
}

type ec2XmlVPC struct {
	VPCID                   string                           `xml:"vpcId"`
	OwnerID                 string                           `xml:"ownerId"`
	State                   string                           `xml:"state"`
	CIDRBlock               string                           `xml:"cidrBlock"`
	CIDRBlockAssociationSet ec2Items[ec2XmlCIDRAssociation]  `xml:"cidrBlockAssociationSet"`
	IPv6CIDRBlockAssocSet   *ec2Items[ec2XmlCIDRAssociation] `xml:"ipv6CidrBlockAssociationSet,omitempty"`
	DHCPOptionsID           string                           `xml:"dhcpOptionsId"`
	InstanceTenancy         string                           `xml:"instanceTenancy"`
	IsDefault               bool                             `xml:"isDefault"`
	BlockPublicAccessStates ec2XmlBlockPublicAccess          `xml:"blockPublicAccessStates"`
	TagSet                  *ec2Items[ec2XmlTag]             `xml:"tagSet,omitempty"`
}

type ec2XmlBlockPublicAccess struct {
	InternetGatewayBlockMode string `xml:"internetGatewayBlockMode"`
}

func ec2VPCXML(v ec2.VPC) ec2XmlVPC {
	return ec2XmlVPC{
		VPCID: v.ID, OwnerID: v.Owner, State: v.State, CIDRBlock: v.CIDRBlock.String(),
		CIDRBlockAssociationSet: ec2List([]ec2XmlCIDRAssociation{{AssociationID: v.CIDRAssociationID, CIDRBlock: v.CIDRBlock.String(), State: "associated"}}),
		DHCPOptionsID:           "default", InstanceTenancy: "default",
		BlockPublicAccessStates: ec2XmlBlockPublicAccess{"off"},
		TagSet:                  ec2TagsXML(v.Tags),
	}
}

type ec2XmlPrivateDNSOptions struct {
	HostnameType                    string `xml:"hostnameType"`
	EnableResourceNameDNSARecord    bool   `xml:"enableResourceNameDnsARecord"`
	EnableResourceNameDNSAAAARecord bool   `xml:"enableResourceNameDnsAAAARecord"`
}

type ec2XmlSubnet struct {
	SubnetID                      string                  `xml:"subnetId"`
	SubnetARN                     string                  `xml:"subnetArn"`
	State                         string                  `xml:"state"`
	VPCID                         string                  `xml:"vpcId"`
	OwnerID                       string                  `xml:"ownerId"`
	CIDRBlock                     string                  `xml:"cidrBlock"`
	IPv6CIDRBlockAssociationSet   ec2Items[struct{}]      `xml:"ipv6CidrBlockAssociationSet"`
	AvailableIPAddressCount       int                     `xml:"availableIpAddressCount"`
	AvailabilityZone              string                  `xml:"availabilityZone"`
	AvailabilityZoneID            string                  `xml:"availabilityZoneId"`
	DefaultForAz                  bool                    `xml:"defaultForAz"`
	MapPublicIPOnLaunch           bool                    `xml:"mapPublicIpOnLaunch"`
	MapCustomerOwnedIPOnLaunch    bool                    `xml:"mapCustomerOwnedIpOnLaunch"`
	AssignIPv6AddressOnCreation   bool                    `xml:"assignIpv6AddressOnCreation"`
	IPv6Native                    bool                    `xml:"ipv6Native"`
	EnableDNS64                   bool                    `xml:"enableDns64"`
	PrivateDNSNameOptionsOnLaunch ec2XmlPrivateDNSOptions `xml:"privateDnsNameOptionsOnLaunch"`
	BlockPublicAccessStates       ec2XmlBlockPublicAccess `xml:"blockPublicAccessStates"`
	TagSet                        *ec2Items[ec2XmlTag]    `xml:"tagSet,omitempty"`
}

func ec2SubnetXML(sn ec2.Subnet) ec2XmlSubnet {
	return ec2XmlSubnet{
		SubnetID: sn.ID, SubnetARN: sn.ARN, State: sn.State, VPCID: sn.VPCID, OwnerID: sn.Owner, CIDRBlock: sn.CIDRBlock.String(),
		AvailableIPAddressCount: sn.AvailableIPAddressCount, AvailabilityZone: sn.AvailabilityZone, AvailabilityZoneID: sn.AvailabilityZoneID,
		PrivateDNSNameOptionsOnLaunch: ec2XmlPrivateDNSOptions{HostnameType: "ip-name"},
		BlockPublicAccessStates:       ec2XmlBlockPublicAccess{"off"},
		TagSet:                        ec2TagsXML(sn.Tags),
	}
}

type ec2XmlIPRange struct {
	CIDRIP      string `xml:"cidrIp"`
	Description string `xml:"description,omitempty"`
}

type ec2XmlGroupPair struct {
	UserID      string `xml:"userId"`
	GroupID     string `xml:"groupId"`
	Description string `xml:"description,omitempty"`
}

type ec2XmlPermission struct {
	IPProtocol    string                    `xml:"ipProtocol"`
	FromPort      *int32                    `xml:"fromPort,omitempty"`
	ToPort        *int32                    `xml:"toPort,omitempty"`
	Groups        ec2Items[ec2XmlGroupPair] `xml:"groups"`
	IPRanges      ec2Items[ec2XmlIPRange]   `xml:"ipRanges"`
	IPv6Ranges    ec2Items[struct{}]        `xml:"ipv6Ranges"`
	PrefixListIDs ec2Items[struct{}]        `xml:"prefixListIds"`
}

func ec2PermissionsXML(perms []ec2.IPPermission) ec2Items[ec2XmlPermission] {
	out := make([]ec2XmlPermission, len(perms))
	for i, p := range perms {
		x := ec2XmlPermission{IPProtocol: p.IPProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
		for _, r := range p.IPRanges {
			x.IPRanges.Items = append(x.IPRanges.Items, ec2XmlIPRange{r.CIDR, r.Description})
		}
		for _, g := range p.Groups {
			x.Groups.Items = append(x.Groups.Items, ec2XmlGroupPair{g.UserID, g.GroupID, g.Description})
		}
		out[i] = x
	}
	return ec2List(out)
}

type ec2XmlGroup struct {
	OwnerID             string                     `xml:"ownerId"`
	GroupID             string                     `xml:"groupId"`
	GroupName           string                     `xml:"groupName"`
	GroupDescription    string                     `xml:"groupDescription"`
	VPCID               string                     `xml:"vpcId"`
	SecurityGroupARN    string                     `xml:"securityGroupArn"`
	IPPermissions       ec2Items[ec2XmlPermission] `xml:"ipPermissions"`
	IPPermissionsEgress ec2Items[ec2XmlPermission] `xml:"ipPermissionsEgress"`
	TagSet              *ec2Items[ec2XmlTag]       `xml:"tagSet,omitempty"`
}

func ec2GroupXML(g ec2.SecurityGroup) ec2XmlGroup {
	return ec2XmlGroup{
		OwnerID: g.Owner, GroupID: g.ID, GroupName: g.Name, GroupDescription: g.Description, VPCID: g.VPCID, SecurityGroupARN: g.ARN,
		IPPermissions: ec2PermissionsXML(g.Ingress()), IPPermissionsEgress: ec2PermissionsXML(g.Egress()), TagSet: ec2TagsXML(g.Tags),
	}
}

type ec2XmlReferencedGroup struct {
	GroupID string `xml:"groupId"`
	UserID  string `xml:"userId"`
}

type ec2XmlRule struct {
	SecurityGroupRuleID  string                 `xml:"securityGroupRuleId"`
	GroupID              string                 `xml:"groupId"`
	GroupOwnerID         string                 `xml:"groupOwnerId"`
	IsEgress             bool                   `xml:"isEgress"`
	IPProtocol           string                 `xml:"ipProtocol"`
	FromPort             int                    `xml:"fromPort"`
	ToPort               int                    `xml:"toPort"`
	CIDRIPv4             string                 `xml:"cidrIpv4,omitempty"`
	ReferencedGroupInfo  *ec2XmlReferencedGroup `xml:"referencedGroupInfo,omitempty"`
	Description          string                 `xml:"description,omitempty"`
	SecurityGroupRuleARN string                 `xml:"securityGroupRuleArn"`
}

func ec2RuleXML(svc *ec2.Service, acct, groupID string, r ec2.Rule) ec2XmlRule {
	x := ec2XmlRule{
		SecurityGroupRuleID: r.ID, GroupID: groupID, GroupOwnerID: acct, IsEgress: r.Egress, IPProtocol: r.Protocol,
		FromPort: r.FromPort, ToPort: r.ToPort, Description: r.Description, SecurityGroupRuleARN: svc.ARN(acct, r.ID),
	}
	if r.GroupID != "" {
		x.ReferencedGroupInfo = &ec2XmlReferencedGroup{GroupID: r.GroupID, UserID: r.UserID}
	} else {
		x.CIDRIPv4 = r.CIDR.String()
	}
	return x
}

type ec2XmlRevokedRule struct {
	SecurityGroupRuleID string `xml:"securityGroupRuleId"`
	GroupID             string `xml:"groupId"`
	IsEgress            bool   `xml:"isEgress"`
	IPProtocol          string `xml:"ipProtocol"`
	FromPort            int    `xml:"fromPort"`
	ToPort              int    `xml:"toPort"`
	CIDRIPv4            string `xml:"cidrIpv4,omitempty"`
	ReferencedGroupID   string `xml:"referencedGroupId,omitempty"`
	Description         string `xml:"description,omitempty"`
}

func ec2RevokedXML(groupID string, r ec2.Rule) ec2XmlRevokedRule {
	x := ec2XmlRevokedRule{SecurityGroupRuleID: r.ID, GroupID: groupID, IsEgress: r.Egress, IPProtocol: r.Protocol,
		FromPort: r.FromPort, ToPort: r.ToPort, ReferencedGroupID: r.GroupID, Description: r.Description}
	if r.GroupID == "" {
		x.CIDRIPv4 = r.CIDR.String()
	}
	return x
}

type ec2XmlZone struct {
	ZoneName           string             `xml:"zoneName"`
	ZoneID             string             `xml:"zoneId"`
	State              string             `xml:"zoneState"`
	RegionName         string             `xml:"regionName"`
	GroupName          string             `xml:"groupName"`
	NetworkBorderGroup string             `xml:"networkBorderGroup"`
	ZoneType           string             `xml:"zoneType"`
	OptInStatus        string             `xml:"optInStatus"`
	Messages           ec2Items[struct{}] `xml:"messageSet"`
}

type ec2XmlTagDescription struct {
	ResourceID   string `xml:"resourceId"`
	ResourceType string `xml:"resourceType"`
	Key          string `xml:"key"`
	Value        string `xml:"value"`
}
