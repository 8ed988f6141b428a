package controlplane_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
)

// resolverSigned is a request for service signed (SigV4, us-east-1) with
// creds; target, when set, is its X-Amz-Target. uri is sent as given.
func resolverSigned(tb testing.TB, creds iam.Credentials, service, method, uri, target string, body []byte) *http.Request {
	tb.Helper()
	req, err := http.NewRequest(method, "http://kafkalink.test"+uri, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.RequestURI = uri
	req.RemoteAddr = "127.0.0.1:40000"
	if target != "" {
		req.Header.Set("X-Amz-Target", target)
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	signV4(tb, creds, service, req, body)
	return req
}

// resolverErrors are the route53resolver model's errors, the JSON
// protocol's own (SerializationException, UnknownOperationException) and
// the front door's, with their statuses.
var resolverErrors = map[string]int{
	"InvalidParameterException": 400, "InvalidRequestException": 400, "ResourceNotFoundException": 400, "ResourceExistsException": 400,
	"ResourceInUseException": 400, "LimitExceededException": 400, "AccessDeniedException": 400, "ThrottlingException": 400,
	"InvalidNextTokenException": 400, "ResourceUnavailableException": 400, "InternalServiceErrorException": 500,
	"SerializationException": 400, "UnknownOperationException": 400, "RequestEntityTooLarge": 413,
}

// resolverProblem says what is wrong with a route53resolver answer (""
// if nothing): a JSON 1.1 object; an error names a known error in
// x-amzn-ErrorType and __type, with its status, a Message and nothing but
// the error shape's members.
func resolverProblem(status int, h http.Header, body []byte) string {
	p, obj := jsonAnswerProblem("route53resolver", "application/x-amz-json-1.1", resolverErrors, status, h, body)
	if p != "" || obj == nil {
		return p
	}
	code := h.Get("x-amzn-ErrorType")
	if obj["__type"] != code {
		return fmt.Sprintf("__type %v; want %s", obj["__type"], code)
	}
	if msg, ok := obj["Message"].(string); !ok || msg == "" {
		return fmt.Sprintf("error body %s has no Message", body)
	}
	for k, v := range obj {
		if _, ok := v.(string); !ok || (k != "__type" && k != "Message" && k != "FieldName" && k != "ResourceType") {
			return fmt.Sprintf("error body member %q: %v", k, v)
		}
	}
	return ""
}

// goWords are what a message in Go's words would show.
var goWords = []string{"Go ", "struct {", "json:", "map[", "[]string", "*int", "netip."}

// FuzzRoute53ResolverRequests sends arbitrary route53resolver requests —
// an operation (X-Amz-Target), a body and a method and path, signed by
// account a or b — through the whole front door: signature check, IAM,
// JSON decoding and the resolver over a real store and ec2. Nothing may
// panic, and every answer must be a well-formed JSON 1.1 one: a 200 JSON
// object, or an error naming a route53resolver error with its status and
// a Message — never a 5xx, and no Go type names in messages.
//
//	go test ./internal/controlplane/ -run '^$' -fuzz FuzzRoute53ResolverRequests -fuzztime 60s
func FuzzRoute53ResolverRequests(f *testing.F) {
	e := newResolverEnv(f)
	ctx := context.Background()
	a := e.ts.caller(e.accounts["a"])
	out, err := e.r53r.CreateEndpoint(ctx, a, r53resolver.CreateEndpointInput{CreatorRequestID: "seed", Direction: "OUTBOUND", SecurityGroupIDs: []string{e.groupA},
		IPs: []r53resolver.IPRequest{{SubnetID: e.subnetsA[0]}, {SubnetID: e.subnetsA[1]}}})
	if err != nil {
		f.Fatal(err)
	}
	rule, err := e.r53r.CreateRule(ctx, a, r53resolver.CreateRuleInput{CreatorRequestID: "seed", RuleType: "FORWARD", DomainName: "corp.example",
		EndpointID: out.ID, Targets: []r53resolver.TargetInput{{IP: "192.0.2.10"}}})
	if err != nil {
		f.Fatal(err)
	}
	assoc, err := e.r53r.AssociateRule(ctx, a, rule.ID, e.vpcA, "seed")
	if err != nil {
		f.Fatal(err)
	}
	js := func(v any) string { return string(mustJSON(v)) }
	for _, s := range []struct {
		who      uint8
		op, body string
	}{
		{0, "CreateResolverEndpoint", js(map[string]any{"CreatorRequestId": "f1", "Direction": "INBOUND", "SecurityGroupIds": []string{e.groupA},
			"IpAddresses": []any{map[string]string{"SubnetId": e.subnetsA[0], "Ip": "10.0.1.99"}, map[string]string{"SubnetId": e.subnetsA[1]}},
			"Tags":        []any{map[string]string{"Key": "k", "Value": "v"}}, "Protocols": []string{"Do53"}, "ResolverEndpointType": "IPV4"})},
		{0, "GetResolverEndpoint", js(map[string]string{"ResolverEndpointId": out.ID})},
		{1, "ListResolverEndpoints", `{"MaxResults":1,"NextToken":"MQ","Filters":[{"Name":"Direction","Values":["OUTBOUND"]}]}`},
		{0, "ListResolverEndpointIpAddresses", js(map[string]any{"ResolverEndpointId": out.ID, "MaxResults": 1})},
		{0, "DeleteResolverEndpoint", js(map[string]string{"ResolverEndpointId": out.ID})},
		{0, "CreateResolverRule", js(map[string]any{"CreatorRequestId": "f2", "RuleType": "FORWARD", "DomainName": "x.example", "ResolverEndpointId": out.ID,
			"TargetIps": []any{map[string]any{"Ip": "192.0.2.1", "Port": 5353}}})},
		{0, "CreateResolverRule", `{"CreatorRequestId":"f3","RuleType":"SYSTEM","DomainName":"."}`},
		{1, "GetResolverRule", js(map[string]string{"ResolverRuleId": rule.ID})},
		{0, "ListResolverRules", `{"Filters":[{"Name":"DomainName","Values":["CORP.example"]},{"Name":"TYPE","Values":["FORWARD"]}]}`},
		{0, "UpdateResolverRule", js(map[string]any{"ResolverRuleId": rule.ID, "Config": map[string]any{"Name": "n", "TargetIps": []any{map[string]string{"Ip": "192.0.2.2"}}}})},
		{0, "DeleteResolverRule", js(map[string]string{"ResolverRuleId": rule.ID})},
		{0, "AssociateResolverRule", js(map[string]string{"ResolverRuleId": rule.ID, "VPCId": e.otherVpcA, "Name": "x"})},
		{0, "DisassociateResolverRule", js(map[string]string{"ResolverRuleId": rule.ID, "VPCId": e.vpcA})},
		{0, "GetResolverRuleAssociation", js(map[string]string{"ResolverRuleAssociationId": assoc.ID})},
		{1, "ListResolverRuleAssociations", `{"MaxResults":100}`},
		{0, "CreateResolverEndpoint", `{"IpAddresses":[{"SubnetId":null,"Ip":5}],"Tags":{}}` + "\n{}"},
		{0, "ListResolverRules", `{"MaxResults":1e400,"Filters":[{"Values":[null]}]}`},
		{1, "Bogus", `[]`},
		{0, "", "\xff\xfe"},
	} {
		f.Add(s.who, "Route53Resolver."+s.op, "POST", "/", []byte(s.body))
	}
	f.Add(uint8(0), "Route53Resolver.GetResolverRule", "GET", "/x?y=%zz", []byte(`{}`))

	creds := []iam.Credentials{e.accounts["a"], e.accounts["b"]}
	f.Fuzz(func(t *testing.T, who uint8, target, method, uri string, body []byte) {
		if strings.ContainsAny(target, " \r\n\x00") || !validHeader(target) {
			return
		}
		header := http.Header{"X-Amz-Target": {target}, "Content-Type": {"application/x-amz-json-1.1"}}
		req, _, ok := fuzzedRequest(t, creds[who%2], "route53resolver", method, uri, "", header, body)
		if !ok {
			return
		}
		status, h, got := serveHTTP(e.handler, req)
		where := method + " " + uri + " " + target
		checkFuzzedAnswer(t, where, body, append([]byte(where), body...), status, h, got, resolverProblem, goWords)
	})
}

// validHeader reports whether a header value can be sent.
func validHeader(v string) bool {
	for _, c := range []byte(v) {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}
