package controlplane_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
	"github.com/kafkalink/kafkalink/internal/ram"
)

// ramErrors are the ram model's errors (those of the operations kafkalink
// serves), the common AccessDeniedException, and the front door's, with
// their statuses.
var ramErrors = map[string]int{
	"IdempotentParameterMismatchException": 400, "InvalidClientTokenException": 400, "InvalidMaxResultsException": 400, "InvalidNextTokenException": 400,
	"InvalidParameterException": 400, "InvalidResourceTypeException": 400, "InvalidStateTransitionException": 400, "MalformedArnException": 400,
	"OperationNotPermittedException": 400, "ResourceShareInvitationAlreadyAcceptedException": 400, "ResourceShareInvitationAlreadyRejectedException": 400,
	"ResourceShareInvitationArnNotFoundException": 400, "ResourceShareInvitationExpiredException": 400, "ResourceShareLimitExceededException": 400,
	"TagLimitExceededException": 400, "TagPolicyViolationException": 400, "UnknownResourceException": 400, "ServerInternalException": 500,
	"ServiceUnavailableException": 503, "ThrottlingException": 429, "AccessDeniedException": 403, "UnknownOperationException": 404,
	"RequestEntityTooLarge": 413,
}

// ramProblem says what is wrong with a ram answer ("" if nothing): a
// JSON object; an error names a known error in x-amzn-ErrorType, with its
// status, and its body is {"message": …}.
func ramProblem(method string, status int, h http.Header, body []byte) string {
	if method == http.MethodHead && len(body) == 0 && h.Get("x-amzn-RequestId") != "" {
		return ""
	}
	p, obj := jsonAnswerProblem("ram", "application/json", ramErrors, status, h, body)
	if p != "" || obj == nil {
		return p
	}
	if msg, ok := obj["message"].(string); !ok || msg == "" || len(obj) != 1 {
		return fmt.Sprintf("error body %s is not {\"message\": …}", body)
	}
	return ""
}

// FuzzRAMRequests sends arbitrary ram requests — method, path, query and
// body, signed by account a or b — through the whole front door:
// signature check, IAM, routing, JSON decoding and RAM over a real store,
// sharing a real resolver's rules. Nothing may panic, and every answer
// must be a well-formed rest-json one: a 200 JSON object, or an error
// naming a ram error with its status and a message — never a 5xx, and no
// Go type names in messages.
//
//	go test ./internal/controlplane/ -run '^$' -fuzz FuzzRAMRequests -fuzztime 60s
func FuzzRAMRequests(f *testing.F) {
	e := newResolverEnv(f)
	ctx := context.Background()
	a := e.ts.caller(e.accounts["a"])
	rule, err := e.r53r.CreateRule(ctx, a, r53resolver.CreateRuleInput{CreatorRequestID: "seed", RuleType: "SYSTEM", DomainName: "corp.example"})
	if err != nil {
		f.Fatal(err)
	}
	other, err := e.r53r.CreateRule(ctx, a, r53resolver.CreateRuleInput{CreatorRequestID: "seed-2", RuleType: "SYSTEM", DomainName: "other.example"})
	if err != nil {
		f.Fatal(err)
	}
	sh, err := e.ram.CreateShare(ctx, a, ram.CreateShareInput{Name: "seed", ResourceARNs: []string{rule.ARN}, Principals: []string{resolverB}})
	if err != nil {
		f.Fatal(err)
	}
	inv := sh.Invitations[0].ARN
	js := func(v any) string { return string(mustJSON(v)) }
	addRequestSeeds(f, []requestSeed{
		{0, "POST", "/createresourceshare", "", js(map[string]any{"name": "f", "resourceArns": []string{other.ARN}, "principals": []string{resolverB},
			"tags": []any{map[string]string{"key": "k", "value": "v"}}, "allowExternalPrincipals": true, "clientToken": "c"})},
		{0, "POST", "/getresourceshares", "", `{"resourceOwner":"SELF","maxResults":1,"nextToken":"MQ","tagFilters":[{"tagKey":"k","tagValues":["v"]}]}`},
		{1, "POST", "/getresourceshares", "", `{"resourceOwner":"OTHER-ACCOUNTS","resourceShareStatus":"ACTIVE"}`},
		{1, "POST", "/getresourceshareinvitations", "", js(map[string]any{"resourceShareInvitationArns": []string{inv}, "maxResults": 5})},
		{1, "POST", "/acceptresourceshareinvitation", "", js(map[string]string{"resourceShareInvitationArn": inv})},
		{1, "POST", "/rejectresourceshareinvitation", "", js(map[string]string{"resourceShareInvitationArn": inv, "clientToken": "x"})},
		{0, "POST", "/associateresourceshare", "", js(map[string]any{"resourceShareArn": sh.ARN, "resourceArns": []string{other.ARN}, "principals": []string{"333333333333"}})},
		{0, "POST", "/disassociateresourceshare", "", js(map[string]any{"resourceShareArn": sh.ARN, "principals": []string{resolverB}})},
		{0, "DELETE", "/deleteresourceshare", "resourceShareArn=" + url.QueryEscape(sh.ARN) + "&clientToken=d", ""},
		{1, "POST", "/listresources", "", `{"resourceOwner":"OTHER-ACCOUNTS","resourceType":"route53resolver:ResolverRule","resourceRegionScope":"ALL"}`},
		{0, "POST", "/getresourceshareassociations", "", js(map[string]any{"associationType": "RESOURCE", "resourceArn": rule.ARN, "resourceShareArns": []string{sh.ARN}})},
		{0, "POST", "/createresourceshare", "", `{"name":5,"tags":[{"key":null}]}` + "\n{}"},
		{0, "POST", "/getresourceshares", "", `{"resourceOwner":"SELF","maxResults":1e400}`},
		{0, "GET", "/getresourceshares", "", ""},
		{1, "PATCH", "//x/../y", "a=%zz&;b", "\xff\xfe"},
	})
	creds := []iam.Credentials{e.accounts["a"], e.accounts["b"]}
	header := http.Header{"Content-Type": {"application/json"}}
	f.Fuzz(func(t *testing.T, who uint8, method, path, query string, body []byte) {
		req, uri, ok := fuzzedRequest(t, creds[who%2], "ram", method, path, query, header, body)
		if !ok {
			return
		}
		status, h, got := serveHTTP(e.handler, req)
		checkFuzzedAnswer(t, method+" "+uri, body, append([]byte(uri), body...), status, h, got,
			func(status int, h http.Header, got []byte) string { return ramProblem(method, status, h, got) }, goWords)
	})
}
