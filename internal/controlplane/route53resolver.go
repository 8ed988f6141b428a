package controlplane

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
)

// The JSON 1.1 protocol of route53resolver: POST / with the operation in
// X-Amz-Target ("Route53Resolver.<Operation>") and its input as a JSON
// object; the output is a JSON object, an error is
// {"__type": <code>, "Message": …} with the code in x-amzn-ErrorType too.

const resolverContentType = "application/x-amz-json-1.1"

// resolverService answers route53resolver: resolver endpoints, rules and
// rule associations of the caller's account (and the rules shared with
// it), each call authorized as route53resolver:<Action> by the domain.
type resolverService struct {
	r53r *r53resolver.Service
	log  *slog.Logger
}

// WithRoute53Resolver serves route53resolver (JSON 1.1) from svc.
func WithRoute53Resolver(svc *r53resolver.Service) Option {
	return func(s *Server) { s.services["route53resolver"] = &resolverService{r53r: svc, log: s.log} }
}

// resolverOp answers one operation: its output, or an error.
type resolverOp func(s *resolverService, c *Call) (any, error)

var resolverOps = map[string]resolverOp{
	"CreateResolverEndpoint":          (*resolverService).createEndpoint,
	"GetResolverEndpoint":             (*resolverService).getEndpoint,
	"ListResolverEndpoints":           (*resolverService).listEndpoints,
	"DeleteResolverEndpoint":          (*resolverService).deleteEndpoint,
	"ListResolverEndpointIpAddresses": (*resolverService).listEndpointIPs,
	"CreateResolverRule":              (*resolverService).createRule,
	"GetResolverRule":                 (*resolverService).getRule,
	"ListResolverRules":               (*resolverService).listRules,
	"UpdateResolverRule":              (*resolverService).updateRule,
	"DeleteResolverRule":              (*resolverService).deleteRule,
	"AssociateResolverRule":           (*resolverService).associateRule,
	"DisassociateResolverRule":        (*resolverService).disassociateRule,
	"GetResolverRuleAssociation":      (*resolverService).getAssociation,
	"ListResolverRuleAssociations":    (*resolverService).listAssociations,
}

func (s *resolverService) serve(w http.ResponseWriter, c *Call) {
	op, ok := strings.CutPrefix(c.Request.Header.Get("X-Amz-Target"), "Route53Resolver.")
	h := resolverOps[op]
	if !ok || h == nil || c.Request.Method != http.MethodPost || c.Request.URL.Path != "/" {
		s.fail(w, c, http.StatusBadRequest, "UnknownOperationException", fmt.Sprintf("kafkalink's route53resolver has no operation %q at %s %s.",
			c.Request.Header.Get("X-Amz-Target"), c.Request.Method, c.Request.URL.EscapedPath()))
		return
	}
	c.Action = op
	out, err := h(s, c)
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	b, err := json.Marshal(out)
	if err != nil {
		s.writeError(w, c, err)
		return
	}
	w.Header().Set("x-amzn-RequestId", c.RequestID)
	writeBody(w, resolverContentType, http.StatusOK, b)
}

func (s *resolverService) fail(w http.ResponseWriter, c *Call, status int, code, message string) {
	writeResolverError(w, c, status, map[string]string{"__type": code, "Message": message})
}

// writeResolverError writes the JSON 1.1 error shape.
func writeResolverError(w http.ResponseWriter, c *Call, status int, body map[string]string) {
	b, _ := json.Marshal(body)
	w.Header().Set("x-amzn-RequestId", c.RequestID)
	w.Header().Set("x-amzn-ErrorType", body["__type"])
	writeBody(w, resolverContentType, status, b)
}

// writeError answers a Route 53 Resolver error as it is, an IAM denial as
// AccessDeniedException, anything else as an internal error.
func (s *resolverService) writeError(w http.ResponseWriter, c *Call, err error) {
	var re *r53resolver.Error
	var ie *iam.Error
	switch {
	case errors.As(err, &re):
		body := map[string]string{"__type": re.Code, "Message": re.Message}
		if re.FieldName != "" {
			body["FieldName"] = re.FieldName
		}
		if re.ResourceType != "" {
			body["ResourceType"] = re.ResourceType
		}
		writeResolverError(w, c, re.Status(), body)
	case errors.As(err, &ie) && ie.Status == http.StatusForbidden:
		s.fail(w, c, http.StatusBadRequest, r53resolver.CodeAccessDenied, ie.Message)
	case errors.As(err, &ie):
		s.fail(w, c, ie.Status, ie.Code, ie.Message)
	default:
		s.log.Error("route53resolver call failed", "request_id", c.RequestID, "action", c.Action, "err", err)
		s.fail(w, c, http.StatusInternalServerError, "InternalServiceErrorException", "kafkalink could not complete the request.")
	}
}

// decodeResolverInput reads an operation's input strictly: JSON that is
// not an object of the operation's members, with their types, is a
// SerializationException, as the JSON protocol answers it.
func decodeResolverInput(c *Call, v any) error {
	if why := bodyProblem(c.Body, v); why != "" {
		return &r53resolver.Error{Code: "SerializationException", Message: "The request body is not valid: " + why}
	}
	return nil
}

func resolverRequired(field string) error {
	return &r53resolver.Error{Code: r53resolver.CodeInvalidParameter, Message: field + " is required.", FieldName: field}
}

func resolverUnsupported(format string, a ...any) error {
	return &r53resolver.Error{Code: r53resolver.CodeInvalidRequest, Message: fmt.Sprintf(format, a...)}
}

// Pagination: a NextToken is the offset of the next page.

const resolverMaxResults = 100

func resolverPage(maxResults *int, token string, n int) (from, to, size int, next string, err error) {
	size = resolverMaxResults
	if maxResults != nil {
		if size = *maxResults; size < 1 || size > resolverMaxResults {
			return 0, 0, 0, "", &r53resolver.Error{Code: r53resolver.CodeInvalidParameter, FieldName: "MaxResults",
				Message: fmt.Sprintf("MaxResults must be between 1 and %d.", resolverMaxResults)}
		}
	}
	from, to, next, ok := offsetPage(token, size, n)
	if !ok {
		return 0, 0, 0, "", &r53resolver.Error{Code: r53resolver.CodeInvalidNextToken, Message: "The NextToken is not valid."}
	}
	return from, to, size, next, nil
}

// offsetPage returns the page [from, to) of at most size of n items that
// token selects (the page's offset, as offsetPage writes it; "" for the
// first page) and the next page's token ("" after the last); ok is false
// if token is not one of these.
func offsetPage(token string, size, n int) (from, to int, next string, ok bool) {
	if token != "" {
		b, err := base64.RawURLEncoding.DecodeString(token)
		if err == nil {
			from, err = strconv.Atoi(string(b))
		}
		if err != nil || from < 0 || from > n || len(token) > 64 {
			return 0, 0, "", false
		}
	}
	to = min(from+size, n)
	if to < n {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(to)))
	}
	return from, to, next, true
}

// jsonItems is each of all as toJSON writes it (an empty list for none).
func jsonItems[T any](all []T, toJSON func(T) map[string]any) []any {
	items := []any{}
	for _, v := range all {
		items = append(items, toJSON(v))
	}
	return items
}

// resolverListPage answers a list operation: the page of all that
// maxResults and token select, each as toJSON writes it, under key.
func resolverListPage[T any](key string, all []T, maxResults *int, token string, toJSON func(T) map[string]any) (any, error) {
	from, to, size, next, err := resolverPage(maxResults, token, len(all))
	if err != nil {
		return nil, err
	}
	return listOutput(key, jsonItems(all[from:to], toJSON), size, next), nil
}

// resolverList answers a list operation on resolverListInput: the page of
// what list returns for its filters, each as toJSON writes it, under key.
func resolverList[T any](c *Call, list func(context.Context, iam.Caller, []r53resolver.Filter) ([]T, error), key string, toJSON func(T) map[string]any) (any, error) {
	var in resolverListInput
	if err := decodeResolverInput(c, &in); err != nil {
		return nil, err
	}
	all, err := list(c.Ctx, c.Caller, resolverFilters(in.Filters))
	if err != nil {
		return nil, err
	}
	return resolverListPage(key, all, in.MaxResults, in.NextToken, toJSON)
}

// resolverOne answers an operation on the one resource whose ID its input
// In names: what op returns, as output writes it.
func resolverOne[In interface{ id() string }, T any](c *Call, op func(context.Context, iam.Caller, string) (T, error), output func(T, error) (any, error)) (any, error) {
	var in In
	if err := decodeResolverInput(c, &in); err != nil {
		return nil, err
	}
	return output(op(c.Ctx, c.Caller, in.id()))
}

// resolverOutput is the output {key: toJSON(v)} of an operation on one
// resource, or its error.
func resolverOutput[T any](key string, toJSON func(T) map[string]any, v T, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return map[string]any{key: toJSON(v)}, nil
}

func endpointOutput(e r53resolver.Endpoint, err error) (any, error) {
	return resolverOutput("ResolverEndpoint", endpointJSON, e, err)
}

func ruleOutput(r r53resolver.RuleView, err error) (any, error) {
	return resolverOutput("ResolverRule", ruleJSON, r, err)
}

func associationOutput(a r53resolver.Association, err error) (any, error) {
	return resolverOutput("ResolverRuleAssociation", associationJSON, a, err)
}

// listOutput is a list operation's output: the page, MaxResults and, if
// there is more, NextToken.
func listOutput(key string, items []any, size int, next string) map[string]any {
	out := map[string]any{key: items, "MaxResults": size}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

// resolverTime formats a time as Route 53 Resolver's RFC 3339 strings.
func resolverTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// Request shapes (the model's member names).

type resolverTag struct {
	Key   string
	Value string
}

type resolverFilter struct {
	Name   string
	Values []string
}

type resolverListInput struct {
	MaxResults *int
	NextToken  string
	Filters    []resolverFilter
}

func resolverTags(in []resolverTag) []r53resolver.Tag {
	var out []r53resolver.Tag
	for _, t := range in {
		out = append(out, r53resolver.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

func resolverFilters(in []resolverFilter) []r53resolver.Filter {
	var out []r53resolver.Filter
	for _, f := range in {
		out = append(out, r53resolver.Filter{Name: f.Name, Values: f.Values})
	}
	return out
}

// Output shapes.

func endpointJSON(e r53resolver.Endpoint) map[string]any {
	out := map[string]any{
		"Id": e.ID, "CreatorRequestId": e.CreatorRequestID, "Arn": e.ARN, "SecurityGroupIds": nonNil(e.SecurityGroupIDs),
		"Direction": e.Direction, "IpAddressCount": len(e.IPs), "HostVPCId": e.VPCID, "Status": e.Status,
		"StatusMessage": "This Resolver Endpoint is " + strings.ToLower(e.Status) + ".",
		"CreationTime":  resolverTime(e.Created), "ModificationTime": resolverTime(e.Modified),
		"ResolverEndpointType": "IPV4", "Protocols": []string{"Do53"},
	}
	if e.Name != "" {
		out["Name"] = e.Name
	}
	return out
}

func ruleJSON(r r53resolver.RuleView) map[string]any {
	out := map[string]any{
		"Id": r.ID, "CreatorRequestId": r.CreatorRequestID, "Arn": r.ARN, "DomainName": r.DomainName, "Status": r.Status,
		"StatusMessage": "The Resolver rule is " + strings.ToLower(r.Status) + ".", "RuleType": r.RuleType,
		"OwnerId": r.Owner, "ShareStatus": r.ShareStatus,
		"CreationTime": resolverTime(r.Created), "ModificationTime": resolverTime(r.Modified),
	}
	if r.Name != "" {
		out["Name"] = r.Name
	}
	if r.EndpointID != "" {
		out["ResolverEndpointId"] = r.EndpointID
	}
	if len(r.Targets) > 0 {
		var ts []any
		for _, t := range r.Targets {
			ts = append(ts, map[string]any{"Ip": t.IP.String(), "Port": t.Port, "Protocol": "Do53"})
		}
		out["TargetIps"] = ts
	}
	return out
}

func associationJSON(a r53resolver.Association) map[string]any {
	out := map[string]any{"Id": a.ID, "ResolverRuleId": a.RuleID, "VPCId": a.VPCID, "Status": a.Status,
		"StatusMessage": "The association is " + strings.ToLower(a.Status) + "."}
	if a.Name != "" {
		out["Name"] = a.Name
	}
	return out
}

// Operations.

func (s *resolverService) createEndpoint(c *Call) (any, error) {
	var in struct {
		CreatorRequestId string
		Name             string
		SecurityGroupIds []string
		Direction        string
		IpAddresses      []struct {
			SubnetId string
			Ip       string
			Ipv6     string
		}
		OutpostArn                     string
		PreferredInstanceType          string
		Tags                           []resolverTag
		ResolverEndpointType           string
		Protocols                      []string
		RniEnhancedMetricsEnabled      *bool
		TargetNameServerMetricsEnabled *bool
		Dns64Enabled                   *bool
		Ipv6InternetAccessEnabled      *bool
	}
	if err := decodeResolverInput(c, &in); err != nil {
		return nil, err
	}
	switch {
	case in.SecurityGroupIds == nil:
		return nil, resolverRequired("SecurityGroupIds")
	case in.IpAddresses == nil:
		return nil, resolverRequired("IpAddresses")
	case in.OutpostArn != "" || in.PreferredInstanceType != "":
		return nil, resolverUnsupported("kafkalink has no Outposts: leave out OutpostArn and PreferredInstanceType.")
	case in.ResolverEndpointType != "" && in.ResolverEndpointType != "IPV4":
		return nil, resolverUnsupported("kafkalink's resolver endpoints are IPV4, not %s.", in.ResolverEndpointType)
	case in.Dns64Enabled != nil && *in.Dns64Enabled, in.Ipv6InternetAccessEnabled != nil && *in.Ipv6InternetAccessEnabled:
		return nil, resolverUnsupported("DNS64 and IPv6 internet access need an IPv6 endpoint; kafkalink's are IPV4.")
	}
	for _, p := range in.Protocols {
		if p != "Do53" {
			return nil, resolverUnsupported("kafkalink's resolver endpoints speak Do53, not %s.", p)
		}
	}
	ce := r53resolver.CreateEndpointInput{CreatorRequestID: in.CreatorRequestId, Name: in.Name, Direction: in.Direction,
		SecurityGroupIDs: in.SecurityGroupIds, Tags: resolverTags(in.Tags)}
	for _, ip := range in.IpAddresses {
		if ip.Ipv6 != "" {
			return nil, resolverUnsupported("kafkalink's resolver endpoints are IPV4: leave out Ipv6.")
		}
		ce.IPs = append(ce.IPs, r53resolver.IPRequest{SubnetID: ip.SubnetId, IP: ip.Ip})
	}
	return endpointOutput(s.r53r.CreateEndpoint(c.Ctx, c.Caller, ce))
}

type resolverEndpointID struct {
	ResolverEndpointId string
}

func (in resolverEndpointID) id() string { return in.ResolverEndpointId }

func (s *resolverService) getEndpoint(c *Call) (any, error) {
	return resolverOne[resolverEndpointID](c, s.r53r.GetEndpoint, endpointOutput)
}

func (s *resolverService) deleteEndpoint(c *Call) (any, error) {
	return resolverOne[resolverEndpointID](c, s.r53r.DeleteEndpoint, endpointOutput)
}

func (s *resolverService) listEndpoints(c *Call) (any, error) {
	return resolverList(c, s.r53r.ListEndpoints, "ResolverEndpoints", endpointJSON)
}

func (s *resolverService) listEndpointIPs(c *Call) (any, error) {
	var in struct {
		ResolverEndpointId string
		MaxResults         *int
		NextToken          string
	}
	if err := decodeResolverInput(c, &in); err != nil {
		return nil, err
	}
	e, err := s.r53r.EndpointIPs(c.Ctx, c.Caller, in.ResolverEndpointId)
	if err != nil {
		return nil, err
	}
	return resolverListPage("IpAddresses", e.IPs, in.MaxResults, in.NextToken, func(ip r53resolver.EndpointIP) map[string]any {
		return map[string]any{"IpId": ip.ID, "SubnetId": ip.SubnetID, "Ip": ip.IP.String(), "Status": "ATTACHED",
			"StatusMessage": "This IP address is operational.", "CreationTime": resolverTime(e.Created), "ModificationTime": resolverTime(e.Modified)}
	})
}

// resolverTarget is TargetAddress in requests.
type resolverTarget struct {
	Ip                   string
	Port                 *int
	Ipv6                 string
	Protocol             string
	ServerNameIndication string
}

func resolverTargets(in []resolverTarget) []r53resolver.TargetInput {
	if in == nil {
		return nil
	}
	out := []r53resolver.TargetInput{}
	for _, t := range in {
		out = append(out, r53resolver.TargetInput{IP: t.Ip, IPv6: t.Ipv6, Port: t.Port, Protocol: t.Protocol, ServerNameIndication: t.ServerNameIndication})
	}
	return out
}

func (s *resolverService) createRule(c *Call) (any, error) {
	var in struct {
		CreatorRequestId   string
		Name               string
		RuleType           string
		DomainName         string
		TargetIps          []resolverTarget
		ResolverEndpointId string
		Tags               []resolverTag
		DelegationRecord   string
	}
	if err := decodeResolverInput(c, &in); err != nil {
		return nil, err
	}
	if in.DelegationRecord != "" {
		return nil, resolverUnsupported("DelegationRecord applies to DELEGATE rules, which kafkalink does not have.")
	}
	return ruleOutput(s.r53r.CreateRule(c.Ctx, c.Caller, r53resolver.CreateRuleInput{
		CreatorRequestID: in.CreatorRequestId, Name: in.Name, RuleType: in.RuleType, DomainName: in.DomainName,
		EndpointID: in.ResolverEndpointId, Targets: resolverTargets(in.TargetIps), Tags: resolverTags(in.Tags),
	}))
}

type resolverRuleID struct {
	ResolverRuleId string
}

func (in resolverRuleID) id() string { return in.ResolverRuleId }

type resolverAssociationID struct {
	ResolverRuleAssociationId string
}

func (in resolverAssociationID) id() string { return in.ResolverRuleAssociationId }

func (s *resolverService) getRule(c *Call) (any, error) {
	return resolverOne[resolverRuleID](c, s.r53r.GetRule, ruleOutput)
}

func (s *resolverService) deleteRule(c *Call) (any, error) {
	return resolverOne[resolverRuleID](c, s.r53r.DeleteRule, ruleOutput)
}

func (s *resolverService) listRules(c *Call) (any, error) {
	return resolverList(c, s.r53r.ListRules, "ResolverRules", ruleJSON)
}

func (s *resolverService) updateRule(c *Call) (any, error) {
	var in struct {
		ResolverRuleId string
		Config         *struct {
			Name               *string
			TargetIps          []resolverTarget
			ResolverEndpointId string
		}
	}
	if err := decodeResolverInput(c, &in); err != nil {
		return nil, err
	}
	if in.Config == nil {
		return nil, resolverRequired("Config")
	}
	return ruleOutput(s.r53r.UpdateRule(c.Ctx, c.Caller, in.ResolverRuleId, r53resolver.RuleUpdate{
		Name: in.Config.Name, Targets: resolverTargets(in.Config.TargetIps), EndpointID: in.Config.ResolverEndpointId,
	}))
}

func (s *resolverService) associateRule(c *Call) (any, error) {
	var in struct {
		ResolverRuleId string
		Name           string
		VPCId          string
	}
	if err := decodeResolverInput(c, &in); err != nil {
		return nil, err
	}
	return associationOutput(s.r53r.AssociateRule(c.Ctx, c.Caller, in.ResolverRuleId, in.VPCId, in.Name))
}

func (s *resolverService) disassociateRule(c *Call) (any, error) {
	var in struct {
		VPCId          string
		ResolverRuleId string
	}
	if err := decodeResolverInput(c, &in); err != nil {
		return nil, err
	}
	return associationOutput(s.r53r.DisassociateRule(c.Ctx, c.Caller, in.ResolverRuleId, in.VPCId))
}

func (s *resolverService) getAssociation(c *Call) (any, error) {
	return resolverOne[resolverAssociationID](c, s.r53r.GetAssociation, associationOutput)
}

func (s *resolverService) listAssociations(c *Call) (any, error) {
	return resolverList(c, s.r53r.ListAssociations, "ResolverRuleAssociations", associationJSON)
}
