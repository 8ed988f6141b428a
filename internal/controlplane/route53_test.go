package controlplane_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/kafkalink/kafkalink/internal/controlplane"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/route53"
)

const (
	r53Owner  = "111111111111" // profile a: owns the zones
	r53Client = "222222222222" // profile b: owns a VPC it associates
)

// r53Env is a front door serving iam, sts, ec2 and route53 over one
// store, with accounts a and b and their VPCs: vpcA1 and vpcA2 (account
// a), vpcB (account b).
type r53Env struct {
	ts                 testServices
	r53                *route53.Service
	handler            http.Handler
	url                string
	accounts           map[string]iam.Credentials
	vpcA1, vpcA2, vpcB string
}

// newRoute53Env starts the front door of an r53Env for a test (or fuzz
// target); the aws CLI is not needed until cli.
func newRoute53Env(tb testing.TB) *r53Env {
	tb.Helper()
	ts := newTestServices(tb)
	e := &r53Env{ts: ts, r53: route53.New(ts.st, ts.iam, ts.ec2, nil),
		accounts: ts.createAccounts(map[string]string{"a": r53Owner, "b": r53Client})}
	e.handler = controlplane.New(ts.iam, "us-east-1", nil, controlplane.WithEC2(ts.ec2), controlplane.WithRoute53(e.r53))
	srv := httptest.NewServer(e.handler)
	tb.Cleanup(srv.Close)
	e.url = srv.URL
	for _, v := range []struct {
		id         *string
		acct, cidr string
	}{{&e.vpcA1, r53Owner, "10.1.0.0/16"}, {&e.vpcA2, r53Owner, "10.2.0.0/16"}, {&e.vpcB, r53Client, "10.3.0.0/16"}} {
		vpc, err := ts.ec2.CreateVPC(context.Background(), v.acct, v.cidr)
		if err != nil {
			tb.Fatal(err)
		}
		*v.id = vpc.ID
	}
	return e
}

// cli returns the aws CLI with profiles a and b for a test.
func (e *r53Env) cli(t *testing.T) *env {
	t.Helper()
	return cliFor(t, e.ts.iam, e.url, e.ts.dir, e.accounts)
}

var (
	r53ZoneIDRe   = regexp.MustCompile(`^/hostedzone/Z[A-Z0-9]{20}$`)
	r53ChangeIDRe = regexp.MustCompile(`^/change/C[A-Z0-9]{20}$`)
)

// r53VPCArg is the CLI's shorthand for a VPC of us-east-1.
func r53VPCArg(id string) string { return "VPCRegion=us-east-1,VPCId=" + id }

// r53Batch writes a change batch for --change-batch.
func r53Batch(t *testing.T, changes ...map[string]any) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"Comment": "test", "Changes": changes})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// r53RRSet is a change of a record set with a TTL and values.
func r53RRSet(action, name, typ string, ttl int, values ...string) map[string]any {
	recs := make([]map[string]string, len(values))
	for i, v := range values {
		recs[i] = map[string]string{"Value": v}
	}
	return map[string]any{"Action": action, "ResourceRecordSet": map[string]any{"Name": name, "Type": typ, "TTL": ttl, "ResourceRecords": recs}}
}

// r53Alias is a change of an alias record set.
func r53Alias(action, name, typ, zone, target string) map[string]any {
	return map[string]any{"Action": action, "ResourceRecordSet": map[string]any{"Name": name, "Type": typ,
		"AliasTarget": map[string]any{"HostedZoneId": zone, "DNSName": target, "EvaluateTargetHealth": false}}}
}

// r53Listed is what list-resource-record-sets listed: "name type" each.
func r53Listed(out map[string]any) []string {
	var got []string
	for _, r := range items(out, "ResourceRecordSets") {
		got = append(got, str(r, "Name")+" "+str(r, "Type"))
	}
	return got
}

// caller is a profile's root, as the domain sees it.
func (e *r53Env) caller(t *testing.T, profile string) iam.Caller {
	t.Helper()
	return e.ts.caller(e.accounts[profile])
}

// zone creates a zone as a profile, with the domain.
func (e *r53Env) zone(t *testing.T, profile, name, vpcID string) string {
	t.Helper()
	z, _, err := e.r53.CreateHostedZone(context.Background(), e.caller(t, profile),
		route53.CreateZoneInput{Name: name, CallerReference: "ref-" + name + "-" + vpcID, VPC: &route53.VPC{Region: "us-east-1", ID: vpcID}})
	if err != nil {
		t.Fatal(err)
	}
	return z.ID
}

// stored returns a zone's record sets as the store holds them ("name
// type ttl values" each), and nil once the zone is gone.
func (e *r53Env) stored(t *testing.T, id string) []string {
	t.Helper()
	zones, _, err := e.r53.Zones(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, z := range zones {
		if z.ID == id {
			out := []string{}
			for _, r := range z.Records {
				out = append(out, fmt.Sprintf("%s %s %d %s", r.Name, r.Type, r.TTL, strings.Join(r.Values, ",")))
			}
			return out
		}
	}
	return nil
}

func TestRoute53ZonesAndRecordsWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	r := newRoute53Env(t)
	e := r.cli(t)

	out := e.ok("a", "route53", "create-hosted-zone", "--name", "Example.COM", "--caller-reference", "ref-1",
		"--vpc", r53VPCArg(r.vpcA1), "--hosted-zone-config", "Comment=orders,PrivateZone=true")
	zoneID := str(out, "HostedZone", "Id")
	id := strings.TrimPrefix(zoneID, "/hostedzone/")
	if !r53ZoneIDRe.MatchString(zoneID) || str(out, "HostedZone", "Name") != "example.com." || get(out, "HostedZone", "Config", "PrivateZone") != true ||
		str(out, "HostedZone", "Config", "Comment") != "orders" || get(out, "HostedZone", "ResourceRecordSetCount") != float64(2) {
		t.Errorf("create-hosted-zone: got %v", out)
	}
	if !r53ChangeIDRe.MatchString(str(out, "ChangeInfo", "Id")) || str(out, "ChangeInfo", "Status") != "INSYNC" {
		t.Errorf("create-hosted-zone ChangeInfo: got %v", get(out, "ChangeInfo"))
	}
	if ns, _ := get(out, "DelegationSet", "NameServers").([]any); len(ns) != 4 || ns[0] != "ns-0.awsdns-00.com." {
		t.Errorf("create-hosted-zone DelegationSet: got %v; want Route 53's four name servers", get(out, "DelegationSet"))
	}
	if str(out, "VPC", "VPCId") != r.vpcA1 || str(out, "Location") != e.url+"/2013-04-01/hostedzone/"+id {
		t.Errorf("create-hosted-zone VPC and Location: got %v %s; want %s", get(out, "VPC"), str(out, "Location"), r.vpcA1)
	}
	if got := str(e.ok("a", "route53", "get-change", "--id", str(out, "ChangeInfo", "Id")), "ChangeInfo", "Status"); got != "INSYNC" {
		t.Errorf("get-change: got %s; want INSYNC", got)
	}
	got := e.ok("a", "route53", "get-hosted-zone", "--id", id)
	if str(got, "HostedZone", "Id") != zoneID || len(items(got, "VPCs")) != 1 || str(items(got, "VPCs")[0], "VPCId") != r.vpcA1 {
		t.Errorf("get-hosted-zone: got %v", got)
	}

	// Every type, a wildcard and an alias, in one batch.
	out = e.ok("a", "route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", r53Batch(t,
		r53RRSet("CREATE", "b-1.Example.com", "A", 60, "10.1.0.10"),
		r53RRSet("CREATE", "b-1.example.com.", "AAAA", 60, "2001:DB8::10"),
		r53RRSet("CREATE", "*.example.com", "A", 60, "10.1.0.99"),
		r53RRSet("CREATE", "www.example.com", "CNAME", 300, "b-1.example.com"),
		r53RRSet("CREATE", "example.com", "TXT", 300, `"v=spf1 -all"`, `"a" "b"`),
		r53RRSet("CREATE", "_kafka._tcp.example.com", "SRV", 300, "1 10 9098 b-1.example.com."),
		r53Alias("CREATE", "boot.example.com", "A", id, "b-1.example.com"),
	))
	if !r53ChangeIDRe.MatchString(str(out, "ChangeInfo", "Id")) || str(out, "ChangeInfo", "Status") != "INSYNC" || str(out, "ChangeInfo", "Comment") != "test" {
		t.Errorf("change-resource-record-sets: got %v", out)
	}
	all := e.ok("a", "route53", "list-resource-record-sets", "--hosted-zone-id", id)
	want := []string{"example.com. NS", "example.com. SOA", "example.com. TXT", `\052.example.com. A`, "_kafka._tcp.example.com. SRV",
		"b-1.example.com. A", "b-1.example.com. AAAA", "boot.example.com. A", "www.example.com. CNAME"}
	if l := r53Listed(all); !slices.Equal(l, want) {
		t.Errorf("list-resource-record-sets: got\n %v; want\n %v", l, want)
	}
	values := map[string]string{}
	for _, rs := range items(all, "ResourceRecordSets") {
		var vs []string
		for _, v := range items(rs, "ResourceRecords") {
			vs = append(vs, str(v, "Value"))
		}
		values[str(rs, "Name")+" "+str(rs, "Type")] = fmt.Sprint(get(rs, "TTL"), " ", strings.Join(vs, ","))
		if a := get(rs, "AliasTarget"); a != nil {
			values[str(rs, "Name")+" "+str(rs, "Type")] = fmt.Sprint(get(rs, "TTL"), " ", str(rs, "AliasTarget", "HostedZoneId"), " ", str(rs, "AliasTarget", "DNSName"))
		}
	}
	for name, want := range map[string]string{
		"example.com. SOA":             "900 ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400",
		"example.com. NS":              "172800 ns-0.awsdns-00.com.,ns-512.awsdns-00.net.,ns-1024.awsdns-00.org.,ns-1536.awsdns-00.co.uk.",
		"example.com. TXT":             `300 "v=spf1 -all","a" "b"`,
		"b-1.example.com. AAAA":        "60 2001:db8::10",
		"www.example.com. CNAME":       "300 b-1.example.com.",
		"_kafka._tcp.example.com. SRV": "300 1 10 9098 b-1.example.com.",
		"boot.example.com. A":          "<nil> " + id + " b-1.example.com.",
	} {
		if values[name] != want {
			t.Errorf("%s: got %q; want %q", name, values[name], want)
		}
	}
	// The paginator: pages of two; a listing the CLI stops in and resumes.
	if l := r53Listed(e.ok("a", "route53", "list-resource-record-sets", "--hosted-zone-id", id, "--page-size", "2")); !slices.Equal(l, want) {
		t.Errorf("list-resource-record-sets --page-size 2: got %v; want %v", l, want)
	}
	first := e.ok("a", "route53", "list-resource-record-sets", "--hosted-zone-id", id, "--max-items", "4", "--page-size", "3")
	if l := r53Listed(first); !slices.Equal(l, want[:4]) || str(first, "NextToken") == "" {
		t.Errorf("list-resource-record-sets --max-items 4: got %v (next %q); want %v", l, str(first, "NextToken"), want[:4])
	}
	rest := e.ok("a", "route53", "list-resource-record-sets", "--hosted-zone-id", id, "--starting-token", str(first, "NextToken"), "--page-size", "3")
	if l := r53Listed(rest); !slices.Equal(l, want[4:]) {
		t.Errorf("list-resource-record-sets --starting-token: got %v; want %v", l, want[4:])
	}
	from := e.ok("a", "route53", "list-resource-record-sets", "--hosted-zone-id", id, "--start-record-name", "B-1.example.com", "--start-record-type", "AAAA", "--max-items", "2")
	if l := r53Listed(from); !slices.Equal(l, want[6:8]) {
		t.Errorf("list-resource-record-sets from b-1 AAAA: got %v; want %v", l, want[6:8])
	}

	// A batch is all or nothing, and tells every problem.
	before := r.stored(t, id)
	stderr := e.fails("InvalidChangeBatch", "a", "route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", r53Batch(t,
		r53RRSet("CREATE", "new.example.com", "A", 60, "10.1.0.11"),
		r53RRSet("CREATE", "b-1.example.com", "A", 60, "10.1.0.12"),
		r53RRSet("CREATE", "bad.example.com", "A", 60, "1.2.3"),
	))
	for _, m := range []string{
		"Tried to create resource record set [name='b-1.example.com.', type='A'] but it already exists",
		"Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '1.2.3''",
	} {
		if !strings.Contains(stderr, m) {
			t.Errorf("InvalidChangeBatch: got %s; want %q", stderr, m)
		}
	}
	if after := r.stored(t, id); !slices.Equal(after, before) {
		t.Errorf("after a refused batch: got %v; want %v (unchanged)", after, before)
	}

	// UPSERT; DELETE everything but the apex; then the zone can go.
	e.ok("a", "route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", r53Batch(t,
		r53RRSet("UPSERT", "b-1.example.com", "A", 30, "10.1.0.20", "10.1.0.21")))
	if got := r.stored(t, id); !slices.Contains(got, "b-1.example.com. A 30 10.1.0.20,10.1.0.21") {
		t.Errorf("after UPSERT: got %v; want b-1.example.com. A 30 10.1.0.20,10.1.0.21", got)
	}
	e.fails("HostedZoneNotEmpty", "a", "route53", "delete-hosted-zone", "--id", id)
	e.ok("a", "route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", r53Batch(t,
		r53RRSet("DELETE", "b-1.example.com", "A", 30, "10.1.0.21", "10.1.0.20"),
		r53RRSet("DELETE", "b-1.example.com", "AAAA", 60, "2001:db8::10"),
		r53RRSet("DELETE", `\052.example.com`, "A", 60, "10.1.0.99"),
		r53RRSet("DELETE", "www.example.com", "CNAME", 300, "b-1.example.com."),
		r53RRSet("DELETE", "example.com", "TXT", 300, `"v=spf1 -all"`, `"a" "b"`),
		r53RRSet("DELETE", "_kafka._tcp.example.com", "SRV", 300, "1 10 9098 b-1.example.com"),
		r53Alias("DELETE", "boot.example.com", "A", id, "b-1.example.com."),
	))
	if del := e.ok("a", "route53", "delete-hosted-zone", "--id", id); str(del, "ChangeInfo", "Status") != "INSYNC" {
		t.Errorf("delete-hosted-zone: got %v", del)
	}
	if got := r.stored(t, id); got != nil {
		t.Errorf("after delete-hosted-zone: the zone holds %v; want it gone", got)
	}
}

func TestRoute53ListingZonesWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	r := newRoute53Env(t)
	e := r.cli(t)
	for i, n := range []string{"b.example.com", "example.com", "a.example.com", "example.net", "kafka.internal"} {
		r.zone(t, "a", n, []string{r.vpcA1, r.vpcA2}[i%2])
	}
	r.zone(t, "b", "example.org", r.vpcB) // not a's to list

	zoneNames := func(out map[string]any) []string {
		var got []string
		for _, z := range items(out, "HostedZones") {
			got = append(got, str(z, "Name"))
		}
		return got
	}
	all := e.ok("a", "route53", "list-hosted-zones")
	if got := zoneNames(all); len(got) != 5 || slices.Contains(got, "example.org.") {
		t.Fatalf("list-hosted-zones: got %v; want a's 5 zones", got)
	}
	if got := zoneNames(e.ok("a", "route53", "list-hosted-zones", "--page-size", "2")); !slices.Equal(got, zoneNames(all)) {
		t.Errorf("list-hosted-zones --page-size 2: got %v; want %v", got, zoneNames(all))
	}
	first := e.ok("a", "route53", "list-hosted-zones", "--max-items", "3", "--page-size", "2")
	next := e.ok("a", "route53", "list-hosted-zones", "--starting-token", str(first, "NextToken"))
	if got := append(zoneNames(first), zoneNames(next)...); !slices.Equal(got, zoneNames(all)) {
		t.Errorf("list-hosted-zones in two: got %v; want %v", got, zoneNames(all))
	}
	// By name: labels reversed (com.example, com.example.a, …, internal.kafka, net.example).
	want := []string{"example.com.", "a.example.com.", "b.example.com.", "kafka.internal.", "example.net."}
	if got := zoneNames(e.ok("a", "route53", "list-hosted-zones-by-name")); !slices.Equal(got, want) {
		t.Errorf("list-hosted-zones-by-name: got %v; want %v", got, want)
	}
	page := e.ok("a", "route53", "list-hosted-zones-by-name", "--dns-name", "A.example.com", "--max-items", "2")
	if got := zoneNames(page); !slices.Equal(got, want[1:3]) || get(page, "IsTruncated") != true || str(page, "NextDNSName") != "kafka.internal." || str(page, "NextHostedZoneId") == "" {
		t.Errorf("list-hosted-zones-by-name from a.example.com: got %v", page)
	}
	if got := zoneNames(e.ok("b", "route53", "list-hosted-zones")); !slices.Equal(got, []string{"example.org."}) {
		t.Errorf("list-hosted-zones as b: got %v; want [example.org.]", got)
	}
}

func TestRoute53VPCAssociationsWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	r := newRoute53Env(t)
	e := r.cli(t)
	id := r.zone(t, "a", "kafka.example", r.vpcA1)
	vpcs := func() []string {
		z, err := r.r53.GetHostedZone(context.Background(), r.caller(t, "a"), id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, v := range z.VPCs {
			out = append(out, v.ID)
		}
		return out
	}

	// Account b may not associate its VPC before a authorizes it.
	e.fails("NotAuthorizedException", "b", "route53", "associate-vpc-with-hosted-zone", "--hosted-zone-id", id, "--vpc", r53VPCArg(r.vpcB))
	auth := e.ok("a", "route53", "create-vpc-association-authorization", "--hosted-zone-id", id, "--vpc", r53VPCArg(r.vpcB))
	if str(auth, "HostedZoneId") != id || str(auth, "VPC", "VPCId") != r.vpcB || str(auth, "VPC", "VPCRegion") != "us-east-1" {
		t.Errorf("create-vpc-association-authorization: got %v", auth)
	}
	if vs := items(e.ok("a", "route53", "list-vpc-association-authorizations", "--hosted-zone-id", id), "VPCs"); len(vs) != 1 || str(vs[0], "VPCId") != r.vpcB {
		t.Errorf("list-vpc-association-authorizations: got %v; want %s", vs, r.vpcB)
	}
	// The zone's owner cannot associate b's VPC: its owner must.
	e.fails("NotAuthorizedException", "a", "route53", "associate-vpc-with-hosted-zone", "--hosted-zone-id", id, "--vpc", r53VPCArg(r.vpcB))
	assoc := e.ok("b", "route53", "associate-vpc-with-hosted-zone", "--hosted-zone-id", id, "--vpc", r53VPCArg(r.vpcB), "--comment", "clients")
	if str(assoc, "ChangeInfo", "Status") != "INSYNC" || str(assoc, "ChangeInfo", "Comment") != "clients" {
		t.Errorf("associate-vpc-with-hosted-zone: got %v", assoc)
	}
	// Deleting the authorization keeps the association …
	e.ok("a", "route53", "delete-vpc-association-authorization", "--hosted-zone-id", id, "--vpc", r53VPCArg(r.vpcB))
	if got := vpcs(); !slices.Equal(got, []string{r.vpcA1, r.vpcB}) {
		t.Errorf("VPCs after deleting the authorization: got %v; want %s %s", got, r.vpcA1, r.vpcB)
	}
	// … but once b disassociates, it cannot associate again.
	e.ok("b", "route53", "disassociate-vpc-from-hosted-zone", "--hosted-zone-id", id, "--vpc", r53VPCArg(r.vpcB))
	if got := vpcs(); !slices.Equal(got, []string{r.vpcA1}) {
		t.Errorf("VPCs after b disassociated: got %v; want %s", got, r.vpcA1)
	}
	e.fails("NotAuthorizedException", "b", "route53", "associate-vpc-with-hosted-zone", "--hosted-zone-id", id, "--vpc", r53VPCArg(r.vpcB))
	e.fails("LastVPCAssociation", "a", "route53", "disassociate-vpc-from-hosted-zone", "--hosted-zone-id", id, "--vpc", r53VPCArg(r.vpcA1))
}

func TestRoute53ErrorsWithTheAWSCLI(t *testing.T) {
	t.Parallel()
	r := newRoute53Env(t)
	e := r.cli(t)
	id := r.zone(t, "a", "example.com", r.vpcA1)

	stderr := e.fails("InvalidInput", "a", "route53", "create-hosted-zone", "--name", "public.example", "--caller-reference", "p")
	if !strings.Contains(stderr, "kafkalink serves private hosted zones only") {
		t.Errorf("create-hosted-zone without a VPC: got %s", stderr)
	}
	stderr = e.fails("InvalidInput", "a", "route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch",
		`{"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"w.example.com","Type":"A","SetIdentifier":"one","Weight":10,"TTL":60,"ResourceRecords":[{"Value":"10.1.0.1"}]}}]}`)
	if !strings.Contains(stderr, "kafkalink supports simple routing only: SetIdentifier, Weight") {
		t.Errorf("a weighted record set: got %s", stderr)
	}
	// Another account's zone is not b's to read.
	e.fails("AccessDenied", "b", "route53", "get-hosted-zone", "--id", id)

	// IAM: a user may do what its policies allow, on the zones they name.
	ctx := context.Background()
	if _, err := r.ts.iam.CreateUser(ctx, r53Owner, "dns", "/"); err != nil {
		t.Fatal(err)
	}
	creds, err := r.ts.iam.CreateAccessKey(ctx, r53Owner, "dns")
	if err != nil {
		t.Fatal(err)
	}
	e.profile("dns", creds)
	stderr = e.fails("AccessDenied", "dns", "route53", "list-hosted-zones")
	if !strings.Contains(stderr, "arn:aws:iam::111111111111:user/dns is not authorized to perform: route53:ListHostedZones on resource: arn:aws:route53:::hostedzone/*") {
		t.Errorf("denial: got %s", stderr)
	}
	if err := r.ts.iam.PutInlinePolicy(ctx, r53Owner, "user", "dns", "zone",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["route53:GetHostedZone","route53:ListResourceRecordSets"],"Resource":"arn:aws:route53:::hostedzone/`+id+`"}]}`); err != nil {
		t.Fatal(err)
	}
	e.ok("dns", "route53", "get-hosted-zone", "--id", id)
	e.fails("AccessDenied", "dns", "route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", r53Batch(t, r53RRSet("CREATE", "x.example.com", "A", 60, "10.1.0.1")))
}

func TestRoute53WithBoto3(t *testing.T) {
	t.Parallel()
	r := newRoute53Env(t)
	out := runBoto3(t, "route53_boto3.py", r.url, r.ts.dir, r.accounts, map[string]any{"vpcA1": r.vpcA1, "vpcA2": r.vpcA2, "vpcB": r.vpcB})

	// Every operation kafkalink serves was called, and checked.
	out.sawOperations(t, "CreateHostedZone", "GetHostedZone", "ListHostedZones", "ListHostedZonesByName", "DeleteHostedZone",
		"ChangeResourceRecordSets", "GetChange", "ListResourceRecordSets", "CreateVPCAssociationAuthorization",
		"ListVPCAssociationAuthorizations", "DeleteVPCAssociationAuthorization", "AssociateVPCWithHostedZone", "DisassociateVPCFromHostedZone")
	for name, want := range map[string][2]string{
		"create_public":           {"InvalidInput", "private hosted zones only"},
		"create_reused_reference": {"HostedZoneAlreadyExists", "caller reference"},
		"create_conflicting":      {"ConflictingDomainExists", "same domain name"},
		"create_bad_name":         {"InvalidDomainName", "not a valid domain name"},
		"create_other_region":     {"InvalidVPCId", "eu-west-1"},
		"get_unknown":             {"NoSuchHostedZone", "No hosted zone found"},
		"get_other_account":       {"AccessDenied", "not authorized"},
		"get_change_unknown":      {"NoSuchChange", "does not exist"},
		"change_exists":           {"InvalidChangeBatch", "Tried to create resource record set [name='b-1.example.com.', type='A'] but it already exists"},
		"change_bad_ipv4":         {"InvalidChangeBatch", "ARRDATAIllegalIPv4Address"},
		"change_routing":          {"InvalidInput", "simple routing only: SetIdentifier, Weight is not supported"},
		"change_geo":              {"InvalidInput", "simple routing only: GeoLocation, SetIdentifier is not supported"},
		"by_name_bad":             {"InvalidDomainName", "a..b is not a valid domain name"},
		"by_name_id_only":         {"InvalidInput", "DNS name must be specified"},
		"change_bad_xml":          {"InvalidInput", "Invalid XML"},
		"delete_not_empty":        {"HostedZoneNotEmpty", "non-required resource record sets"},
		"associate_unauthorized":  {"NotAuthorizedException", "not authorized"},
		"associate_not_owner":     {"NotAuthorizedException", "belongs to another account"},
		"associate_unknown_vpc":   {"InvalidVPCId", "does not exist"},
		"disassociate_last":       {"LastVPCAssociation", "last VPC"},
		"disassociate_not_found":  {"VPCAssociationNotFound", "not currently associated"},
		"deauthorize_not_found":   {"VPCAssociationAuthorizationNotFound", "has not been authorized"},
		"reassociate":             {"NotAuthorizedException", "not authorized"},
		"bad_token":               {"InvalidPaginationToken", "NextToken"},
		"bad_max_items":           {"InvalidInput", "positive integer"},
	} {
		if got := out.Errors[name]; got != want[0] {
			t.Errorf("boto3 %s: got error %q; want %s", name, got, want[0])
		}
		if got := out.Messages[name]; !strings.Contains(got, want[1]) {
			t.Errorf("boto3 %s: got message %q; want %q", name, got, want[1])
		}
	}
	for name, want := range map[string]any{
		"change_batch_messages": []any{"Tried to create resource record set [name='b-1.example.com.', type='A'] but it already exists",
			"Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '1.2.3''"},
		"zone_vpcs_after_deauthorize": []any{r.vpcA1, r.vpcB},
		"wildcard_name":               `\052.example.com.`,
		"change_status":               "INSYNC",
		"location":                    true,
		"zone":                        map[string]any{"name": "example.com.", "count": 2, "private": true, "vpcs": []string{r.vpcA1}},
		"authorizations":              []string{r.vpcB},
		"by_name":                     map[string]any{"names": []string{"z3.example.net.", "z4.example.net."}, "next": "z5.example.net.", "truncated": true},
		"deleted":                     "INSYNC",
	} {
		got, _ := json.Marshal(out.Values[name])
		w, _ := json.Marshal(want)
		if string(got) != string(w) {
			t.Errorf("boto3 %s: got %s; want %s", name, got, w)
		}
	}
	for name, want := range map[string][]int{
		"list_hosted_zones":         {2, 2, 2, 1},
		"list_resource_record_sets": {3, 3, 3, 1},
	} {
		if got := out.Pages[name]; !slices.Equal(got, want) {
			t.Errorf("boto3 paginator %s: got pages %v; want %v", name, got, want)
		}
	}
	if l := out.Listed["list_resource_record_sets"]; len(l) != 10 || l[0] != "example.com. NS" || l[2] != "example.com. TXT" {
		t.Errorf("boto3 list_resource_record_sets: got %v", l)
	}
	if l := out.Listed["list_hosted_zones"]; len(l) != 7 || len(slices.Compact(slices.Sorted(slices.Values(l)))) != 7 {
		t.Errorf("boto3 list_hosted_zones: got %v; want 7 distinct zones", l)
	}
}
