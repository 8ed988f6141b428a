package controlplane_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
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
	if h.Get("x-amzn-RequestId") == "" {
		return "no x-amzn-RequestId"
	}
	if method == http.MethodHead && len(body) == 0 {
		return ""
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		return fmt.Sprintf("Content-Type %q; want application/json", ct)
	}
	var obj map[string]any
	if err := json.Unmarshal(body, &obj); err != nil {
		return fmt.Sprintf("body is not a JSON object: %v", err)
	}
	if status == http.StatusOK {
		if h.Get("x-amzn-ErrorType") != "" {
			return "a success with x-amzn-ErrorType"
		}
		return ""
	}
	code := h.Get("x-amzn-ErrorType")
	want, known := ramErrors[code]
	switch {
	case !known:
		return fmt.Sprintf("x-amzn-ErrorType %q is not a ram error", code)
	case want != status:
		return fmt.Sprintf("%s with status %d; want %d", code, status, want)
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
	a, err := e.ts.iam.Resolve(ctx, e.accounts["a"].AccessKeyID)
	if err != nil {
		f.Fatal(err)
	}
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
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	for _, s := range []struct {
		who                       uint8
		method, path, query, body string
	}{
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
	} {
		f.Add(s.who, s.method, s.path, s.query, []byte(s.body))
	}
	creds := []iam.Credentials{e.accounts["a"], e.accounts["b"]}
	f.Fuzz(func(t *testing.T, who uint8, method, path, query string, body []byte) {
		uri := path
		if query != "" {
			uri += "?" + query
		}
		if _, err := url.ParseRequestURI(uri); err != nil || !strings.HasPrefix(path, "/") || strings.ContainsAny(uri, " \r\n\x00") {
			return
		}
		if _, err := http.NewRequest(method, "http://kafkalink.test"+uri, nil); err != nil {
			return
		}
		status, h, got := e.serve(resolverSigned(t, creds[who%2], "ram", method, uri, "", body))
		where := method + " " + uri
		if status >= 500 {
			t.Fatalf("%s %q: got %d %s %s; want no server error", where, body, status, h.Get("x-amzn-ErrorType"), got)
		}
		if code := h.Get("x-amzn-ErrorType"); signatureErrors[code] != 0 && signatureErrors[code] == status {
			return
		}
		if p := ramProblem(method, status, h, got); p != "" {
			t.Fatalf("%s %q: %s (got %d %s)", where, body, p, status, got)
		}
		for _, w := range goWords {
			if bytes.Contains(got, []byte(w)) && !bytes.Contains(append([]byte(uri), body...), []byte(w)) {
				t.Fatalf("%s %q: a message in Go's words (%q): %s", where, body, w, got)
			}
		}
	})
}
