package controlplane_test

import (
	"context"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/route53"
)

// r53Response is any Route 53 response body, success or error.
type r53Response struct {
	XMLName   xml.Name
	Type      string   `xml:"Error>Type"`
	Code      string   `xml:"Error>Code"`
	Message   string   `xml:"Error>Message"`
	Messages  []string `xml:"Error>Messages>Message"`
	RequestID string   `xml:"RequestId"`
}

// FuzzRoute53Requests sends arbitrary route53 requests — method, path,
// query and XML body, signed (SigV4, service route53) by account a or b —
// through the whole front door: signature check, IAM, routing, XML and
// query decoding and Route 53 over a real store. Nothing may panic, and
// every answer must be a well-formed rest-xml one: a 2xx whose XML root is
// an operation's response in Route 53's namespace, or an <ErrorResponse>
// whose code is one of Route 53's errors with its status, with a type, a
// message and the request id — never a 5xx, a redirect or plain text, and
// no Go type names in messages.
//
//	go test ./internal/controlplane/ -run '^$' -fuzz FuzzRoute53Requests -fuzztime 60s
func FuzzRoute53Requests(f *testing.F) {
	e := newRoute53Env(f)
	ctx := context.Background()
	a := e.ts.caller(e.accounts["a"])
	z, ci, err := e.r53.CreateHostedZone(ctx, a, route53.CreateZoneInput{Name: "example.com", CallerReference: "fuzz", VPC: &route53.VPC{Region: "us-east-1", ID: e.vpcA1}})
	if err != nil {
		f.Fatal(err)
	}
	zone := "/2013-04-01/hostedzone/" + z.ID
	ns := `xmlns="https://route53.amazonaws.com/doc/2013-04-01/"`
	vpc := func(root, id string) string {
		return `<?xml version="1.0" encoding="UTF-8"?><` + root + ` ` + ns + `><VPC><VPCRegion>us-east-1</VPCRegion><VPCId>` + id + `</VPCId></VPC></` + root + `>`
	}
	changes := `<ChangeResourceRecordSetsRequest ` + ns + `><ChangeBatch><Comment>c</Comment><Changes>` +
		`<Change><Action>UPSERT</Action><ResourceRecordSet><Name>b-1.example.com</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>10.1.0.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>` +
		`<Change><Action>CREATE</Action><ResourceRecordSet><Name>\052.example.com</Name><Type>TXT</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>"a" "b"</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change>` +
		`<Change><Action>DELETE</Action><ResourceRecordSet><Name>boot.example.com</Name><Type>AAAA</Type><AliasTarget><HostedZoneId>` + z.ID + `</HostedZoneId><DNSName>b-1.example.com</DNSName><EvaluateTargetHealth>false</EvaluateTargetHealth></AliasTarget></ResourceRecordSet></Change>` +
		`</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`
	addRequestSeeds(f, []requestSeed{
		{0, "POST", "/2013-04-01/hostedzone", "", `<CreateHostedZoneRequest ` + ns + `><Name>fuzz.example</Name><VPC><VPCRegion>us-east-1</VPCRegion><VPCId>` + e.vpcA2 + `</VPCId></VPC><CallerReference>r</CallerReference><HostedZoneConfig><Comment>x</Comment><PrivateZone>true</PrivateZone></HostedZoneConfig></CreateHostedZoneRequest>`},
		{0, "GET", "/2013-04-01/hostedzone", "maxitems=1&marker=Z0", ""},
		{0, "GET", "/2013-04-01/hostedzonesbyname", "dnsname=example.com&hostedzoneid=" + z.ID + "&maxitems=2", ""},
		{0, "GET", zone, "", ""},
		{1, "GET", zone, "", ""},
		{0, "DELETE", "/2013-04-01/hostedzone/Z0123456789ABCDEFGHIJ", "", ""},
		{0, "GET", "/2013-04-01/change/" + ci.ID, "", ""},
		{0, "POST", zone + "/rrset/", "", changes},
		{0, "POST", zone + "/rrset", "", `<ChangeResourceRecordSetsRequest ` + ns + `><ChangeBatch><Changes><Change><Action>CREATE</Action><ResourceRecordSet><Name>x.example.com</Name><Type>A</Type><SetIdentifier>1</SetIdentifier><GeoLocation><CountryCode>DE</CountryCode></GeoLocation></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>`},
		{0, "GET", zone + "/rrset", "name=%5C052.example.com&type=A&maxitems=1&identifier=x", ""},
		{0, "POST", zone + "/authorizevpcassociation", "", vpc("CreateVPCAssociationAuthorizationRequest", e.vpcB)},
		{0, "GET", zone + "/authorizevpcassociation", "maxresults=1&nexttoken=dXMtZWFzdC0xL3ZwYw", ""},
		{0, "POST", zone + "/deauthorizevpcassociation", "", vpc("DeleteVPCAssociationAuthorizationRequest", e.vpcB)},
		{1, "POST", zone + "/associatevpc", "", vpc("AssociateVPCWithHostedZoneRequest", e.vpcB)},
		{1, "POST", zone + "/disassociatevpc", "", vpc("DisassociateVPCFromHostedZoneRequest", e.vpcB)},
		{0, "POST", zone + "/associatevpc", "", `<!DOCTYPE x [<!ENTITY a "b">]><AssociateVPCWithHostedZoneRequest ` + ns + `>&a;</AssociateVPCWithHostedZoneRequest>`},
		{0, "POST", zone + "/associatevpc", "", `<AssociateVPCWithHostedZoneRequest><VPC/><VPC/></AssociateVPCWithHostedZoneRequest>`},
		{0, "POST", "/2013-04-01/hostedzone", "", `<?xml version="1.0" encoding="ISO-8859-1"?><a/>`},
		{0, "GET", "/2013-04-01/hostedzone/%2F..%2Fx/rrset", "type=%zz", ""},
		{0, "PUT", "//2013-04-01/hostedzone/", "", "\xff\xfe"},
		{0, "POST", "/2013-04-01/hostedzone/Q/authorizevpcassociation", "\x8d\xfd\xec}\xbf", `<?xml version="0"?>0`},
	})
	creds := []iam.Credentials{e.accounts["a"], e.accounts["b"]}

	// r53Statuses are the HTTP statuses of the errors kafkalink's Route 53
	// answers with, as the route53 model (and, for AccessDenied, Route 53's
	// common errors) gives them.
	r53Statuses := map[string]int{
		"NoSuchHostedZone": 404, "HostedZoneAlreadyExists": 409, "ConflictingDomainExists": 400, "InvalidVPCId": 400,
		"NotAuthorizedException": 401, "LastVPCAssociation": 400, "VPCAssociationNotFound": 404,
		"VPCAssociationAuthorizationNotFound": 404, "InvalidDomainName": 400, "InvalidInput": 400, "InvalidChangeBatch": 400,
		"HostedZoneNotEmpty": 400, "NoSuchChange": 404, "NoSuchDelegationSet": 400, "InvalidPaginationToken": 400,
		"TooManyVPCAssociationAuthorizations": 400, "LimitsExceeded": 400, "AccessDenied": 403,
	}

	f.Fuzz(func(t *testing.T, who uint8, method, path, query string, body []byte) {
		req, uri, ok := fuzzedRequest(t, creds[who%2], "route53", method, path, query, nil, body)
		if !ok {
			return
		}
		status, h, got := serveHTTP(e.handler, req)
		where := method + " " + uri
		if status >= 500 || status >= 300 && status < 400 {
			t.Fatalf("%s %q: got %d %s; want no server error or redirect", where, body, status, got)
		}
		if h.Get("Content-Type") != "text/xml" || h.Get("x-amzn-RequestId") == "" {
			t.Fatalf("%s %q: got Content-Type %q, request id %q; want text/xml and an id", where, body, h.Get("Content-Type"), h.Get("x-amzn-RequestId"))
		}
		var r r53Response
		if err := xml.Unmarshal(got, &r); err != nil {
			t.Fatalf("%s %q: the response is not XML: %v\n%s", where, body, err, got)
		}
		switch {
		case status < 300:
			if r.XMLName.Space != "https://route53.amazonaws.com/doc/2013-04-01/" || !strings.HasSuffix(r.XMLName.Local, "Response") || r.Code != "" {
				t.Fatalf("%s %q: got a %d with %s; want an operation's response", where, body, status, got)
			}
		case frontDoorAuthErrors[r.Code] == status:
			// Refused before any route53 operation (a request the SDK signs differently).
		default:
			if r.XMLName.Local != "ErrorResponse" || r.Type != "Sender" || r.Message == "" || r.RequestID != h.Get("x-amzn-RequestId") {
				t.Fatalf("%s %q: got %d %s; want an ErrorResponse with a type, a message and the request id", where, body, status, got)
			}
			if want, ok := r53Statuses[r.Code]; !ok || want != status {
				t.Fatalf("%s %q: got %s with status %d; want a Route 53 error with its status (%d)", where, body, r.Code, status, want)
			}
			if (len(r.Messages) > 0) != (r.Code == "InvalidChangeBatch") {
				t.Fatalf("%s %q: got %s with messages %q; want messages with InvalidChangeBatch only", where, body, r.Code, r.Messages)
			}
		}
		noGoWords(t, where, body, append([]byte(uri), body...), got, []string{"Go ", "struct {", "reflect", "xml:", "map[", "[]string", "*string"})
	})
}
