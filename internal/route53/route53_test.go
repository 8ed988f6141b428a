package route53_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kafkalink/kafkalink/internal/route53"
)

func TestParseName(t *testing.T) {
	long := strings.Repeat("a", 63)
	for _, c := range []struct {
		raw      string
		wildcard bool
		want     string // "" when refused
	}{
		{"example.com", false, "example.com."},
		{"Example.COM.", false, "example.com."},
		{"_kafka._tcp.example.com", false, "_kafka._tcp.example.com."},
		{"b-1.x1y2z3.c1.kafka.us-east-1.amazonaws.com", false, "b-1.x1y2z3.c1.kafka.us-east-1.amazonaws.com."},
		{"internal", false, "internal."},
		{`\101bc.example.com`, false, "abc.example.com."},
		{"*.example.com", true, "*.example.com."},
		{`\052.example.com.`, true, "*.example.com."},
		{"*.example.com", false, ""},
		{"a.*.example.com", true, ""},
		{"a*.example.com", true, ""},
		{"**.example.com", true, ""},
		{"", false, ""},
		{".", false, ""},
		{"a..b", false, ""},
		{".a", false, ""},
		{"a b.example.com", false, ""},
		{`a\040b.example.com`, false, ""},
		{`a\056b.example.com`, false, ""},
		{`a\9.example.com`, false, ""},
		{`a\.b`, false, ""},
		{"exämple.com", false, ""},
		{long + ".com", false, long + ".com."},
		{long + "a.com", false, ""},
		{strings.Repeat(long+".", 3) + strings.Repeat("a", 61), false, strings.Repeat(long+".", 3) + strings.Repeat("a", 61) + "."},
		{strings.Repeat(long+".", 3) + strings.Repeat("a", 62), false, ""},
	} {
		got, ok := route53.ParseName(c.raw, c.wildcard)
		if ok != (c.want != "") || got != c.want {
			t.Errorf("ParseName(%q, %t): got %q %t; want %q", c.raw, c.wildcard, got, ok, c.want)
		}
	}
	for name, want := range map[string]string{"*.example.com.": `\052.example.com.`, "example.com.": "example.com.", "a.example.com.": "a.example.com."} {
		if got := route53.PresentName(name); got != want {
			t.Errorf("PresentName(%q): got %q; want %q", name, got, want)
		}
	}
}

func TestCanonicalValue(t *testing.T) {
	for _, c := range []struct {
		typ, value string
		want       string // canonical value, or the problem's code
		ok         bool
	}{
		{"A", "10.0.0.1", "10.0.0.1", true},
		{"A", "1.2.3", "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '1.2.3'", false},
		{"A", "01.2.3.4", "ARRDATAIllegalIPv4Address", false},
		{"A", "::ffff:1.2.3.4", "ARRDATAIllegalIPv4Address", false},
		{"A", "1.2.3.4 ; comment", "ARRDATAIllegalIPv4Address", false},
		{"A", "1.2.3.4\n5.6.7.8", "UnsupportedCharacter", false},
		{"AAAA", "2001:DB8::1", "2001:db8::1", true},
		{"AAAA", "1.2.3.4", "AAAARRDATAIllegalIPv6Address", false},
		{"AAAA", "fe80::1%eth0", "AAAARRDATAIllegalIPv6Address", false},
		{"CNAME", "Target.Example.com", "target.example.com.", true},
		{"CNAME", "target..com", "DomainLabelEmpty", false},
		{"NS", "ns-0.awsdns-00.com", "ns-0.awsdns-00.com.", true},
		{"TXT", `"v=spf1 -all"`, `"v=spf1 -all"`, true},
		{"TXT", `"a" "b c"`, `"a" "b c"`, true},
		{"TXT", `"quote \" and \\ backslash; (parens)"`, `"quote \" and \\ backslash; (parens)"`, true},
		{"TXT", "abc", "InvalidCharacterString (Value should be enclosed in quotation marks)", false},
		{"TXT", `"abc`, "InvalidCharacterString", false},
		{"TXT", `"a"b`, "InvalidCharacterString", false},
		{"TXT", `"a\040b"`, "UnsupportedEscape", false},
		{"TXT", `"é"`, "UnsupportedCharacter", false},
		{"TXT", `"` + strings.Repeat("x", 255) + `"`, `"` + strings.Repeat("x", 255) + `"`, true},
		{"TXT", `"` + strings.Repeat("x", 256) + `"`, "TXTRDATATooLong (Value is too long)", false},
		{"SRV", "1 10 9098 B-1.example.com", "1 10 9098 b-1.example.com.", true},
		{"SRV", "0 0 0 .", "0 0 0 .", true},
		{"SRV", "1 10 99999 b.example.com", "SRVRDATAInvalid", false},
		{"SRV", "1 10 b.example.com", "SRVRDATAInvalid", false},
		{"SOA", "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 2 7200 900 1209600 86400", "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 2 7200 900 1209600 86400", true},
		{"SOA", "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 2 7200 900 1209600", "SOARDATAInvalid", false},
	} {
		got, problem := route53.CanonicalValue(c.typ, c.value)
		switch {
		case c.ok && (problem != "" || got != c.want):
			t.Errorf("CanonicalValue(%s, %q): got %q %q; want %q", c.typ, c.value, got, problem, c.want)
		case !c.ok && (problem == "" || !strings.Contains(problem, c.want) || !strings.HasPrefix(problem, "Invalid Resource Record: 'FATAL problem: ")):
			t.Errorf("CanonicalValue(%s, %q): got %q %q; want a problem %q", c.typ, c.value, got, problem, c.want)
		}
	}
}

// base is what TestChangeBatches' zone holds before each batch.
var baseRecords = []string{
	"example.com. NS 172800 ns-0.awsdns-00.com.,ns-512.awsdns-00.net.,ns-1024.awsdns-00.org.,ns-1536.awsdns-00.co.uk.",
	"example.com. SOA 900 ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400",
	"b-1.example.com. A 60 10.0.0.1",
	"www.example.com. CNAME 300 b-1.example.com.",
}

func TestChangeBatches(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for _, c := range []struct {
		name    string
		changes func(zone string) []route53.Change
		code    string   // "" for success
		msgs    []string // InvalidChangeBatch's messages, or a part of the message
		added   []string // record sets after the batch, besides the base ones
		removed []string
	}{
		{name: "every type", changes: func(z string) []route53.Change {
			return []route53.Change{
				rr("CREATE", "B-2.Example.com", "A", 60, "10.0.0.2", "10.0.0.3"),
				rr("CREATE", "b-2.example.com.", "AAAA", 60, "2001:DB8::2"),
				rr("CREATE", "*.example.com", "A", 30, "10.0.0.9"),
				rr("CREATE", "example.com", "TXT", 300, `"v=1"`),
				rr("CREATE", "_kafka._tcp.example.com", "SRV", 300, "1 10 9098 b-2.example.com"),
				alias("CREATE", "example.com", "A", z, "b-1.example.com"),
			}
		}, added: []string{
			"example.com. A alias b-1.example.com.", "example.com. TXT 300 \"v=1\"", "*.example.com. A 30 10.0.0.9",
			"_kafka._tcp.example.com. SRV 300 1 10 9098 b-2.example.com.", "b-2.example.com. A 60 10.0.0.2,10.0.0.3", "b-2.example.com. AAAA 60 2001:db8::2",
		}},
		{name: "upsert replaces", changes: func(string) []route53.Change {
			return []route53.Change{rr("UPSERT", "b-1.example.com", "A", 10, "10.0.0.5")}
		}, added: []string{"b-1.example.com. A 10 10.0.0.5"}, removed: []string{"b-1.example.com. A 60 10.0.0.1"}},
		{name: "upsert the apex NS and SOA", changes: func(string) []route53.Change {
			return []route53.Change{
				rr("UPSERT", "example.com", "NS", 60, "ns-0.awsdns-00.com."),
				rr("UPSERT", "example.com", "SOA", 60, "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 2 7200 900 1209600 60"),
			}
		}, added: []string{"example.com. NS 60 ns-0.awsdns-00.com.", "example.com. SOA 60 ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 2 7200 900 1209600 60"},
			removed: baseRecords[:2]},
		{name: "delete and create again in one batch", changes: func(string) []route53.Change {
			return []route53.Change{rr("DELETE", "www.example.com", "CNAME", 300, "b-1.example.com"), rr("CREATE", "www.example.com", "A", 60, "10.0.0.7")}
		}, added: []string{"www.example.com. A 60 10.0.0.7"}, removed: []string{"www.example.com. CNAME 300 b-1.example.com."}},
		{name: "delete matches values in any order", changes: func(string) []route53.Change {
			return []route53.Change{rr("DELETE", "B-1.example.com.", "A", 60, "10.0.0.1")}
		}, removed: []string{"b-1.example.com. A 60 10.0.0.1"}},
		{name: "create what exists", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "b-1.example.com", "A", 60, "10.0.0.1")}
		}, msgs: []string{"Tried to create resource record set [name='b-1.example.com.', type='A'] but it already exists"}},
		{name: "every problem of the batch, and nothing applied", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{
				rr("CREATE", "ok.example.com", "A", 60, "10.0.0.8"),
				rr("CREATE", "bad.example.com", "A", 60, "1.2.3"),
				rr("DELETE", "gone.example.com", "TXT", 60, `"x"`),
				rr("CREATE", "two.example.com", "A", 60, "10.0.0.1", "10.0.0.1"),
			}
		}, msgs: []string{
			"Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with '1.2.3''",
			"Tried to delete resource record set [name='gone.example.com.', type='TXT'] but it was not found",
			"Duplicate Resource Record: '10.0.0.1'",
		}},
		{name: "delete with other values", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("DELETE", "b-1.example.com", "A", 61, "10.0.0.1")}
		}, msgs: []string{"Tried to delete resource record set [name='b-1.example.com.', type='A'] but the values provided do not match the current values"}},
		{name: "CNAME at the apex", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "example.com", "CNAME", 60, "b-1.example.com")}
		}, msgs: []string{"RRSet of type CNAME with DNS name example.com. is not permitted at apex in zone example.com."}},
		{name: "CNAME beside an A", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "b-1.example.com", "CNAME", 60, "www.example.com")}
		}, msgs: []string{"RRSet of type CNAME with DNS name b-1.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com."}},
		{name: "TXT beside a CNAME", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("UPSERT", "www.example.com", "TXT", 60, `"x"`)}
		}, msgs: []string{"RRSet of type TXT with DNS name www.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com."}},
		{name: "two values for a CNAME", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "c.example.com", "CNAME", 60, "a.example.com", "b.example.com")}
		}, msgs: []string{"RRSet of type CNAME with DNS name c.example.com. has 2 values: it must have exactly one"}},
		{name: "outside the zone", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "www.example.org", "A", 60, "10.0.0.1"), rr("CREATE", "badexample.com", "A", 60, "10.0.0.1")}
		}, msgs: []string{"RRSet with DNS name www.example.org. is not permitted in zone example.com.", "RRSet with DNS name badexample.com. is not permitted in zone example.com."}},
		{name: "a wildcard not leftmost", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "a.*.example.com", "A", 60, "10.0.0.1")}
		}, msgs: []string{"FATAL problem: WildcardNotLeftmost (A wildcard must be the whole leftmost label) encountered with 'a.*.example.com'"}},
		{name: "an empty label", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "a..example.com", "A", 60, "10.0.0.1")}
		}, msgs: []string{"FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with 'a..example.com'"}},
		{name: "delete the SOA", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("DELETE", "example.com", "SOA", 900, "ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400")}
		}, msgs: []string{"A HostedZone must contain exactly one SOA record."}},
		{name: "delete the apex NS", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("DELETE", "example.com", "NS", 172800, "ns-0.awsdns-00.com.", "ns-512.awsdns-00.net.", "ns-1024.awsdns-00.org.", "ns-1536.awsdns-00.co.uk.")}
		}, msgs: []string{"A HostedZone must contain at least one NS record for the zone itself."}},
		{name: "NS below the apex", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "sub.example.com", "NS", 60, "ns.other.com")}
		}, msgs: []string{"RRSet of type NS with DNS name sub.example.com. is not permitted"}},
		{name: "the same record set twice", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{rr("UPSERT", "x.example.com", "A", 60, "10.0.0.1"), rr("UPSERT", "X.example.com", "A", 60, "10.0.0.2")}
		}, msgs: []string{"The request contains an invalid set of changes for a resource record set 'A x.example.com.'"}},
		{name: "an alias to nothing", code: "InvalidChangeBatch", changes: func(z string) []route53.Change {
			return []route53.Change{alias("CREATE", "a.example.com", "A", z, "nothing.example.com")}
		}, msgs: []string{"Tried to create an alias that targets nothing.example.com., type A in zone %ZONE%, but that target was not found"}},
		{name: "an alias of another type", code: "InvalidChangeBatch", changes: func(z string) []route53.Change {
			return []route53.Change{alias("CREATE", "a.example.com", "AAAA", z, "b-1.example.com")}
		}, msgs: []string{"Tried to create an alias that targets b-1.example.com., type AAAA in zone %ZONE%, but that target was not found"}},
		{name: "an alias outside the zone", code: "InvalidChangeBatch", changes: func(z string) []route53.Change {
			return []route53.Change{alias("CREATE", "a.example.com", "A", z, "b.example.org")}
		}, msgs: []string{"but the alias target name does not lie within the target zone"}},
		{name: "an alias to another zone", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			return []route53.Change{alias("CREATE", "a.example.com", "A", "Z0123456789ABCDEFGHIJ", "b-1.example.com")}
		}, msgs: []string{"type A in zone Z0123456789ABCDEFGHIJ, but that target was not found"}},
		{name: "an alias loop", code: "InvalidChangeBatch", changes: func(z string) []route53.Change {
			return []route53.Change{alias("CREATE", "x.example.com", "A", z, "y.example.com"), alias("CREATE", "y.example.com", "A", z, "x.example.com")}
		}, msgs: []string{
			"Tried to create an alias that targets y.example.com., type A in zone %ZONE%, but the alias chain from it leads back to x.example.com.",
			"Tried to create an alias that targets x.example.com., type A in zone %ZONE%, but the alias chain from it leads back to y.example.com.",
		}},
		{name: "an alias to a target created alongside", changes: func(z string) []route53.Change {
			return []route53.Change{alias("CREATE", "x.example.com", "AAAA", z, "y.example.com"), rr("CREATE", "y.example.com", "AAAA", 60, "::1")}
		}, added: []string{"x.example.com. AAAA alias y.example.com.", "y.example.com. AAAA 60 ::1"}},
		{name: "weighted routing", code: "InvalidInput", changes: func(string) []route53.Change {
			c := rr("CREATE", "w.example.com", "A", 60, "10.0.0.1")
			c.Routing = []string{"SetIdentifier", "Weight"}
			return []route53.Change{c}
		}, msgs: []string{"kafkalink supports simple routing only: SetIdentifier, Weight is not supported"}},
		{name: "neither alias nor records", code: "InvalidInput", changes: func(string) []route53.Change {
			return []route53.Change{{Action: "CREATE", Name: "w.example.com", Type: "A"}}
		}, msgs: []string{"Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=CREATE, Name=w.example.com, Type=A, SetIdentifier=null]"}},
		{name: "both alias and records", code: "InvalidInput", changes: func(z string) []route53.Change {
			c := alias("CREATE", "w.example.com", "A", z, "b-1.example.com")
			c.TTL, c.Values = new(int64(60)), []string{"10.0.0.1"}
			return []route53.Change{c}
		}, msgs: []string{"but found more than one in Change"}},
		{name: "an alias CNAME", code: "InvalidInput", changes: func(z string) []route53.Change {
			return []route53.Change{alias("CREATE", "w.example.com", "CNAME", z, "b-1.example.com")}
		}, msgs: []string{"alias resource record sets of type A and AAAA only"}},
		{name: "an unknown action", code: "InvalidInput", changes: func(string) []route53.Change {
			return []route53.Change{rr("REPLACE", "w.example.com", "A", 60, "10.0.0.1")}
		}, msgs: []string{"Member must satisfy enum value set: [CREATE, DELETE, UPSERT]"}},
		{name: "a type not in the model", code: "InvalidInput", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "w.example.com", "a", 60, "10.0.0.1")}
		}, msgs: []string{"Value 'a' at 'changeBatch.changes.1.member.resourceRecordSet.type' failed to satisfy constraint"}},
		{name: "a type kafkalink does not serve", code: "InvalidInput", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "w.example.com", "MX", 60, "10 mail.example.com")}
		}, msgs: []string{"type MX is not supported"}},
		{name: "a negative TTL", code: "InvalidInput", changes: func(string) []route53.Change {
			return []route53.Change{rr("CREATE", "w.example.com", "A", -1, "10.0.0.1")}
		}, msgs: []string{"Value '-1' at 'changeBatch.changes.1.member.resourceRecordSet.tTL'"}},
		{name: "no changes", code: "InvalidInput", changes: func(string) []route53.Change { return nil },
			msgs: []string{"at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1"}},
		{name: "too many records", code: "InvalidChangeBatch", changes: func(string) []route53.Change {
			var cs []route53.Change
			for i := range 1001 {
				cs = append(cs, rr("CREATE", fmt.Sprintf("h%d.example.com", i), "A", 60, "10.0.0.1"))
			}
			return cs
		}, msgs: []string{"Number of records limit of 1000 exceeded."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			z, _, err := w.r53.CreateHostedZone(ctx, w.a, route53.CreateZoneInput{Name: "example.com", CallerReference: c.name, VPC: &w.vpcA1})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				zone, _ := w.r53.GetHostedZone(ctx, w.a, z.ID)
				var undo []route53.Change
				for _, r := range zone.Records {
					if r.Name != "example.com." || r.Type != "SOA" && r.Type != "NS" {
						undo = append(undo, route53.Change{Action: "DELETE", Name: r.Name, Type: r.Type, Values: r.Values, Alias: r.Alias})
						if r.Alias == nil {
							undo[len(undo)-1].TTL = &r.TTL
						}
					}
				}
				if len(undo) > 0 {
					if _, err := w.r53.ChangeResourceRecordSets(ctx, w.a, z.ID, "", undo); err != nil {
						t.Fatalf("cleaning up: %v", err)
					}
				}
				if _, err := w.r53.DeleteHostedZone(ctx, w.a, z.ID); err != nil {
					t.Fatalf("cleaning up: %v", err)
				}
			})
			if _, err := w.r53.ChangeResourceRecordSets(ctx, w.a, z.ID, "base", []route53.Change{
				rr("CREATE", "b-1.example.com", "A", 60, "10.0.0.1"), rr("CREATE", "www.example.com", "CNAME", 300, "b-1.example.com"),
			}); err != nil {
				t.Fatal(err)
			}
			ci, err := w.r53.ChangeResourceRecordSets(ctx, w.a, z.ID, "test", c.changes(z.ID))
			wantCode(t, "ChangeResourceRecordSets", err, c.code, "")
			var re *route53.Error
			if c.code == "InvalidChangeBatch" && errors.As(err, &re) {
				var want []string
				for _, m := range c.msgs {
					want = append(want, strings.ReplaceAll(m, "%ZONE%", z.ID))
				}
				if !slices.EqualFunc(re.Messages, want, strings.Contains) {
					t.Errorf("messages: got %q; want %q", re.Messages, want)
				}
				if re.Message != "["+strings.Join(re.Messages, ", ")+"]" {
					t.Errorf("message: got %q; want the messages joined", re.Message)
				}
			} else if c.code != "" && err != nil && !strings.Contains(err.Error(), c.msgs[0]) {
				t.Errorf("got %q; want %q", err, c.msgs[0])
			}
			want := slices.DeleteFunc(slices.Clone(baseRecords), func(r string) bool { return slices.Contains(c.removed, r) })
			want = append(want, c.added...)
			got := w.records(t, z.ID)
			slices.Sort(want)
			gotSorted := slices.Sorted(slices.Values(got))
			if !slices.Equal(gotSorted, want) {
				t.Errorf("record sets: got\n %q; want\n %q", gotSorted, want)
			}
			if err == nil {
				if ci.Status != "INSYNC" || ci.Comment != "test" || len(ci.ID) != 21 || ci.ID[0] != 'C' {
					t.Errorf("ChangeInfo: got %+v", ci)
				}
				if got, err := w.r53.GetChange(ctx, w.a, "/change/"+ci.ID); err != nil || got != ci {
					t.Errorf("GetChange: got %+v %v; want %+v", got, err, ci)
				}
			}
		})
	}
}

func TestListResourceRecordSets(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	z := w.zone(t, w.a, "example.com", w.vpcA1)
	var changes []route53.Change
	for _, n := range []string{"*.example.com", "a-b.example.com", "a.b.example.com", "b.example.com", "_srv.example.com", "z.example.com", "*.a.example.com"} {
		changes = append(changes, rr("CREATE", n, "TXT", 60, `"x"`), rr("CREATE", n, "A", 60, "10.0.0.1"))
	}
	if _, err := w.r53.ChangeResourceRecordSets(ctx, w.a, z.ID, "", changes); err != nil {
		t.Fatal(err)
	}
	// Route 53's order: names with the labels reversed, as presented
	// (\052 for *), then the type.
	// (com.example.\052 < com.example._srv < com.example.a-b <
	// com.example.a.\052: the trailing dot counts.)
	want := []string{
		"example.com. NS", "example.com. SOA", `\052.example.com. A`, `\052.example.com. TXT`,
		"_srv.example.com. A", "_srv.example.com. TXT", "a-b.example.com. A", "a-b.example.com. TXT",
		`\052.a.example.com. A`, `\052.a.example.com. TXT`, "b.example.com. A", "b.example.com. TXT",
		"a.b.example.com. A", "a.b.example.com. TXT", "z.example.com. A", "z.example.com. TXT",
	}
	list := func(name, typ string, max int) ([]string, string) {
		t.Helper()
		p, err := w.r53.ListResourceRecordSets(ctx, w.a, z.ID, name, typ, max)
		if err != nil {
			t.Fatalf("ListResourceRecordSets(%q, %q, %d): %v", name, typ, max, err)
		}
		var out []string
		for _, r := range p.Records {
			out = append(out, route53.PresentName(r.Name)+" "+r.Type)
		}
		next := ""
		if p.NextName != "" {
			next = route53.PresentName(p.NextName) + " " + p.NextType
		}
		return out, next
	}
	if got, next := list("", "", 0); !slices.Equal(got, want) || next != "" {
		t.Errorf("all: got\n %q (next %q); want\n %q", got, next, want)
	}
	// Pages of five, each from where the last one stopped.
	var paged []string
	name, typ := "", ""
	for {
		got, next := list(name, typ, 5)
		paged = append(paged, got...)
		if next == "" {
			break
		}
		name, typ, _ = strings.Cut(next, " ")
	}
	if !slices.Equal(paged, want) {
		t.Errorf("in pages of 5: got\n %q; want\n %q", paged, want)
	}
	for _, c := range []struct {
		name, typ string
		want      []string
	}{
		{"b.example.com", "", want[10:12]},
		{"B.example.com.", "TXT", want[11:13]},
		{"ba.example.com", "", want[14:16]},
		{`\052.example.com`, "CNAME", want[3:5]},
		{"a.example.com", "A", want[8:10]},
		{"zz.example.com", "", nil},
		{"other.org", "", nil},
		{"com", "", want[:2]},
	} {
		if got, _ := list(c.name, c.typ, 2); !slices.Equal(got, c.want) {
			t.Errorf("from %s %s: got %q; want %q", c.name, c.typ, got, c.want)
		}
	}
	_, err := w.r53.ListResourceRecordSets(ctx, w.a, z.ID, "", "A", 0)
	wantCode(t, "a type without a name", err, "InvalidInput", "needs a start record name")
	_, err = w.r53.ListResourceRecordSets(ctx, w.a, z.ID, "a..b", "", 0)
	wantCode(t, "a bad name", err, "InvalidInput", "")
	_, err = w.r53.ListResourceRecordSets(ctx, w.a, z.ID, "a.example.com", "BOGUS", 0)
	wantCode(t, "a bad type", err, "InvalidInput", "enum value set")
	_, err = w.r53.ListResourceRecordSets(ctx, w.b, z.ID, "", "", 0)
	wantCode(t, "another account", err, "AccessDenied", "is not authorized to access this resource")
}

func TestZones(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	z, ci, err := w.r53.CreateHostedZone(ctx, w.a, route53.CreateZoneInput{Name: "Kafka.Internal", CallerReference: "one", Comment: "brokers", VPC: &w.vpcA1})
	if err != nil {
		t.Fatal(err)
	}
	if len(z.ID) != 21 || z.ID[0] != 'Z' || strings.ToUpper(z.ID) != z.ID || z.Name != "kafka.internal." || z.Owner != acctA ||
		z.Comment != "brokers" || !same(vpcIDs(z.VPCs), []string{w.vpcA1.ID}) || !z.Created.Equal(epoch) {
		t.Errorf("CreateHostedZone: got %+v", z)
	}
	apex := []string{strings.Replace(baseRecords[0], "example.com.", "kafka.internal.", 1), strings.Replace(baseRecords[1], "example.com.", "kafka.internal.", 1)}
	if got := describe(z.Records); !same(got, apex) {
		t.Errorf("apex records: got %q; want %q", got, apex)
	}
	if ci.Status != "INSYNC" || !ci.Submitted.Equal(epoch) {
		t.Errorf("ChangeInfo: got %+v", ci)
	}
	for _, c := range []struct {
		name string
		in   route53.CreateZoneInput
		code string
		msg  string
	}{
		{"no VPC", route53.CreateZoneInput{Name: "a.example", CallerReference: "r1"}, "InvalidInput", "kafkalink serves private hosted zones only"},
		{"no name", route53.CreateZoneInput{CallerReference: "r1", VPC: &w.vpcA1}, "InvalidInput", "'name'"},
		{"no caller reference", route53.CreateZoneInput{Name: "a.example", VPC: &w.vpcA1}, "InvalidInput", "'callerReference'"},
		{"a long caller reference", route53.CreateZoneInput{Name: "a.example", CallerReference: strings.Repeat("r", 129), VPC: &w.vpcA1}, "InvalidInput", "128"},
		{"a long comment", route53.CreateZoneInput{Name: "a.example", CallerReference: "r1", Comment: strings.Repeat("c", 257), VPC: &w.vpcA1}, "InvalidInput", "256"},
		{"a delegation set", route53.CreateZoneInput{Name: "a.example", CallerReference: "r1", VPC: &w.vpcA1, DelegationSetID: "N1"}, "InvalidInput", "delegation set"},
		{"a bad name", route53.CreateZoneInput{Name: "a..example", CallerReference: "r1", VPC: &w.vpcA1}, "InvalidDomainName", "DomainLabelEmpty"},
		{"a wildcard", route53.CreateZoneInput{Name: "*.example", CallerReference: "r1", VPC: &w.vpcA1}, "InvalidDomainName", "WildcardNotPermitted"},
		{"the root", route53.CreateZoneInput{Name: ".", CallerReference: "r1", VPC: &w.vpcA1}, "InvalidDomainName", ""},
		{"another region", route53.CreateZoneInput{Name: "a.example", CallerReference: "r1", VPC: &route53.VPC{Region: "eu-west-1", ID: w.vpcA1.ID}}, "InvalidVPCId", "us-east-1"},
		{"no region", route53.CreateZoneInput{Name: "a.example", CallerReference: "r1", VPC: &route53.VPC{ID: w.vpcA1.ID}}, "InvalidInput", "vPCRegion"},
		{"a malformed VPC id", route53.CreateZoneInput{Name: "a.example", CallerReference: "r1", VPC: &route53.VPC{Region: "us-east-1", ID: "vpc-x"}}, "InvalidVPCId", "not valid"},
		{"an unknown VPC", route53.CreateZoneInput{Name: "a.example", CallerReference: "r1", VPC: &route53.VPC{Region: "us-east-1", ID: "vpc-0123456789abcdef0"}}, "InvalidVPCId", "does not exist"},
		{"another account's VPC", route53.CreateZoneInput{Name: "a.example", CallerReference: "r1", VPC: &w.vpcB}, "InvalidVPCId", "does not belong to account 111111111111"},
		{"a reused caller reference", route53.CreateZoneInput{Name: "a.example", CallerReference: "one", VPC: &w.vpcA2}, "HostedZoneAlreadyExists", "caller reference"},
		{"the name again on the VPC", route53.CreateZoneInput{Name: "KAFKA.internal.", CallerReference: "r2", VPC: &w.vpcA1}, "ConflictingDomainExists", "with the same domain name"},
	} {
		_, _, err := w.r53.CreateHostedZone(ctx, w.a, c.in)
		wantCode(t, c.name, err, c.code, c.msg)
	}
	// A refused creation leaves nothing behind: its caller reference and
	// name are free.
	if _, _, err := w.r53.CreateHostedZone(ctx, w.a, route53.CreateZoneInput{Name: "a.example", CallerReference: "r1", VPC: &w.vpcA1}); err != nil {
		t.Errorf("creating a zone after refusals: %v", err)
	}
	// The same name on another VPC is another zone.
	other := w.zone(t, w.a, "kafka.internal", w.vpcA2)
	zones, rev, err := w.r53.Zones(ctx)
	if err != nil || len(zones) != 3 || rev == 0 {
		t.Fatalf("Zones: got %d zones, revision %d, %v; want 3", len(zones), rev, err)
	}

	// The DNS server watches Prefix: a change batch reaches it.
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	events, err := w.st.Watch(wctx, w.r53.Prefix(), rev+1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.r53.ChangeResourceRecordSets(ctx, w.a, z.ID, "", []route53.Change{rr("CREATE", "b-1.kafka.internal", "A", 60, "10.1.0.5")}); err != nil {
		t.Fatal(err)
	}
	if ev := <-events; ev.KV.Key != w.r53.Prefix()+z.ID {
		t.Errorf("watch: got an event for %s; want %s", ev.KV.Key, w.r53.Prefix()+z.ID)
	}

	got, err := w.r53.GetHostedZone(ctx, w.a, "/hostedzone/"+z.ID)
	if err != nil || got.ID != z.ID || len(got.Records) != 3 {
		t.Errorf("GetHostedZone: got %+v %v", got, err)
	}
	_, err = w.r53.GetHostedZone(ctx, w.a, "Z0123456789ABCDEFGHIJ")
	wantCode(t, "an unknown zone", err, "NoSuchHostedZone", "No hosted zone found with ID: Z0123456789ABCDEFGHIJ")
	_, err = w.r53.GetHostedZone(ctx, w.a, strings.Repeat("Z", 33))
	wantCode(t, "a long id", err, "InvalidInput", "32")
	_, err = w.r53.GetHostedZone(ctx, w.b, z.ID)
	wantCode(t, "another account's zone", err, "AccessDenied", "")

	// Listing: by id with a marker, and by name.
	var ids []string
	for marker := ""; ; {
		page, next, err := w.r53.ListHostedZones(ctx, w.a, marker, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, z := range page {
			ids = append(ids, z.ID)
		}
		if marker = next; next == "" {
			break
		}
	}
	if want := slices.Sorted(slices.Values([]string{zones[0].ID, zones[1].ID, zones[2].ID})); !same(ids, want) || !slices.Contains(ids, other.ID) {
		t.Errorf("ListHostedZones in pages of 2: got %v; want %v", ids, want)
	}
	if page, _, _ := w.r53.ListHostedZones(ctx, w.b, "", 0); len(page) != 0 {
		t.Errorf("ListHostedZones as b: got %d zones; want none", len(page))
	}
	byName, nextName, nextID, err := w.r53.ListHostedZonesByName(ctx, w.a, "kafka.internal", "", 2)
	if err != nil || len(byName) != 2 || byName[0].Name != "kafka.internal." || byName[1].Name != "kafka.internal." || nextName != "" || nextID != "" {
		t.Errorf("ListHostedZonesByName from kafka.internal: got %v %q %q %v", describeZones(byName), nextName, nextID, err)
	}
	byName, nextName, nextID, err = w.r53.ListHostedZonesByName(ctx, w.a, "", "", 1)
	if err != nil || len(byName) != 1 || byName[0].Name != "a.example." || nextName != "kafka.internal." || nextID == "" {
		t.Errorf("ListHostedZonesByName, 1: got %v %q %q %v", describeZones(byName), nextName, nextID, err)
	}
	_, _, _, err = w.r53.ListHostedZonesByName(ctx, w.a, "", z.ID, 0)
	wantCode(t, "ListHostedZonesByName with an id and no name", err, "InvalidInput", "")

	// Deleting: not while it holds record sets; then its name is free on
	// its VPC, and its caller reference stays taken.
	_, err = w.r53.DeleteHostedZone(ctx, w.a, z.ID)
	wantCode(t, "DeleteHostedZone with records", err, "HostedZoneNotEmpty", "non-required resource record sets")
	_, err = w.r53.DeleteHostedZone(ctx, w.b, z.ID)
	wantCode(t, "DeleteHostedZone by b", err, "AccessDenied", "")
	if _, err := w.r53.ChangeResourceRecordSets(ctx, w.a, z.ID, "", []route53.Change{rr("DELETE", "b-1.kafka.internal", "A", 60, "10.1.0.5")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.r53.DeleteHostedZone(ctx, w.a, z.ID); err != nil {
		t.Fatalf("DeleteHostedZone: %v", err)
	}
	_, err = w.r53.DeleteHostedZone(ctx, w.a, z.ID)
	wantCode(t, "DeleteHostedZone again", err, "NoSuchHostedZone", "")
	_, _, err = w.r53.CreateHostedZone(ctx, w.a, route53.CreateZoneInput{Name: "kafka.internal", CallerReference: "one", VPC: &w.vpcA1})
	wantCode(t, "the deleted zone's caller reference", err, "HostedZoneAlreadyExists", "")
	if _, _, err := w.r53.CreateHostedZone(ctx, w.a, route53.CreateZoneInput{Name: "kafka.internal", CallerReference: "two", VPC: &w.vpcA1}); err != nil {
		t.Errorf("the deleted zone's name on its VPC: %v", err)
	}
}

func describeZones(zs []route53.HostedZone) []string {
	var out []string
	for _, z := range zs {
		out = append(out, z.Name+" "+z.ID)
	}
	return out
}

func TestVPCAssociations(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	z := w.zone(t, w.a, "kafka.example", w.vpcA1)
	vpcs := func() []string {
		t.Helper()
		got, err := w.r53.GetHostedZone(ctx, w.a, z.ID)
		if err != nil {
			t.Fatal(err)
		}
		return vpcIDs(got.VPCs)
	}
	step := func(what string, err error, code string) {
		t.Helper()
		wantCode(t, what, err, code, "")
	}
	associate := func(c string, v route53.VPC) error {
		caller := w.a
		if c == "b" {
			caller = w.b
		}
		_, err := w.r53.AssociateVPCWithHostedZone(ctx, caller, z.ID, v, "")
		return err
	}
	disassociate := func(c string, v route53.VPC) error {
		caller := w.a
		if c == "b" {
			caller = w.b
		}
		_, err := w.r53.DisassociateVPCFromHostedZone(ctx, caller, z.ID, v, "")
		return err
	}

	// Without an authorization, b cannot associate its VPC.
	step("b associates without authorization", associate("b", w.vpcB), "NotAuthorizedException")
	step("b authorizes its own VPC on a's zone", w.r53.CreateVPCAssociationAuthorization(ctx, w.b, z.ID, w.vpcB), "AccessDenied")
	step("a authorizes an unknown VPC", w.r53.CreateVPCAssociationAuthorization(ctx, w.a, z.ID, route53.VPC{Region: "us-east-1", ID: "vpc-0123456789abcdef0"}), "InvalidVPCId")
	step("a authorizes a VPC of another region", w.r53.CreateVPCAssociationAuthorization(ctx, w.a, z.ID, route53.VPC{Region: "us-west-2", ID: w.vpcB.ID}), "InvalidVPCId")
	step("a authorizes b's VPC", w.r53.CreateVPCAssociationAuthorization(ctx, w.a, z.ID, w.vpcB), "")
	step("a authorizes b's VPC again", w.r53.CreateVPCAssociationAuthorization(ctx, w.a, z.ID, w.vpcB), "")
	auths, next, err := w.r53.ListVPCAssociationAuthorizations(ctx, w.a, z.ID, "", 0)
	if err != nil || !same(vpcIDs(auths), []string{w.vpcB.ID}) || next != "" {
		t.Errorf("ListVPCAssociationAuthorizations: got %v %q %v; want %s", auths, next, err, w.vpcB.ID)
	}
	_, _, err = w.r53.ListVPCAssociationAuthorizations(ctx, w.b, z.ID, "", 0)
	step("b lists a's authorizations", err, "AccessDenied")
	// The VPC's owner associates it; the zone's owner cannot.
	step("a associates b's VPC", associate("a", w.vpcB), "NotAuthorizedException")
	step("b associates an unknown VPC", associate("b", route53.VPC{Region: "us-east-1", ID: "vpc-0123456789abcdef0"}), "InvalidVPCId")
	step("b associates its VPC", associate("b", w.vpcB), "")
	step("b associates its VPC again", associate("b", w.vpcB), "ConflictingDomainExists")
	if got := vpcs(); !same(got, []string{w.vpcA1.ID, w.vpcB.ID}) {
		t.Errorf("VPCs: got %v; want %s %s", got, w.vpcA1.ID, w.vpcB.ID)
	}
	// Deleting the authorization keeps the association.
	step("a deletes the authorization", w.r53.DeleteVPCAssociationAuthorization(ctx, w.a, z.ID, w.vpcB), "")
	step("a deletes it again", w.r53.DeleteVPCAssociationAuthorization(ctx, w.a, z.ID, w.vpcB), "VPCAssociationAuthorizationNotFound")
	if got := vpcs(); !same(got, []string{w.vpcA1.ID, w.vpcB.ID}) {
		t.Errorf("VPCs after the authorization is deleted: got %v; want %s %s", got, w.vpcA1.ID, w.vpcB.ID)
	}
	// Re-association then fails.
	step("b disassociates its VPC", disassociate("b", w.vpcB), "")
	step("b disassociates it again", disassociate("b", w.vpcB), "VPCAssociationNotFound")
	step("b associates its VPC again", associate("b", w.vpcB), "NotAuthorizedException")
	if got := vpcs(); !same(got, []string{w.vpcA1.ID}) {
		t.Errorf("VPCs after b left: got %v; want %s", got, w.vpcA1.ID)
	}
	// The owner's own VPCs; the zone keeps its last one.
	step("b disassociates a's VPC", disassociate("b", w.vpcA1), "AccessDenied")
	step("a disassociates its last VPC", disassociate("a", w.vpcA1), "LastVPCAssociation")
	step("a associates its second VPC", associate("a", w.vpcA2), "")
	step("a disassociates its first VPC", disassociate("a", w.vpcA1), "")
	if got := vpcs(); !same(got, []string{w.vpcA2.ID}) {
		t.Errorf("VPCs: got %v; want %s", got, w.vpcA2.ID)
	}
	// One zone of a name per VPC, across accounts.
	w.r53.CreateVPCAssociationAuthorization(ctx, w.a, z.ID, w.vpcB)
	step("b associates its VPC with a fresh authorization", associate("b", w.vpcB), "")
	_, _, err = w.r53.CreateHostedZone(ctx, w.b, route53.CreateZoneInput{Name: "kafka.example", CallerReference: "b", VPC: &w.vpcB})
	step("b creates a zone of the name on its VPC", err, "ConflictingDomainExists")
	other := w.zone(t, w.a, "kafka.example", w.vpcA1)
	_, err = w.r53.AssociateVPCWithHostedZone(ctx, w.a, other.ID, w.vpcA2, "")
	step("a associates a second zone of the name with a VPC", err, "ConflictingDomainExists")
	_, err = w.r53.AssociateVPCWithHostedZone(ctx, w.a, "Z0123456789ABCDEFGHIJ", w.vpcA2, "")
	step("an unknown zone", err, "NoSuchHostedZone")

	// Paging the authorizations.
	var want []string
	for i := range 5 {
		v, err := w.ec2.CreateVPC(ctx, acctB, fmt.Sprintf("10.%d.0.0/16", 10+i))
		if err != nil {
			t.Fatal(err)
		}
		step("authorize", w.r53.CreateVPCAssociationAuthorization(ctx, w.a, z.ID, route53.VPC{Region: "us-east-1", ID: v.ID}), "")
		want = append(want, v.ID)
	}
	want = append(want, w.vpcB.ID)
	slices.Sort(want)
	var got []string
	for token := ""; ; {
		page, next, err := w.r53.ListVPCAssociationAuthorizations(ctx, w.a, z.ID, token, 4)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, vpcIDs(page)...)
		if token = next; next == "" {
			break
		}
	}
	if !same(got, want) {
		t.Errorf("authorizations in pages of 4: got %v; want %v", got, want)
	}
	_, _, err = w.r53.ListVPCAssociationAuthorizations(ctx, w.a, z.ID, "!!", 0)
	step("a bad token", err, "InvalidPaginationToken")
}

func TestAuthorization(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	z := w.zone(t, w.a, "example.com", w.vpcA1)
	if _, err := w.iam.CreateUser(ctx, acctA, "dns", "/"); err != nil {
		t.Fatal(err)
	}
	creds, err := w.iam.CreateAccessKey(ctx, acctA, "dns")
	if err != nil {
		t.Fatal(err)
	}
	user, err := w.iam.Resolve(ctx, creds.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]func() error{
		"CreateHostedZone": func() error {
			_, _, err := w.r53.CreateHostedZone(ctx, user, route53.CreateZoneInput{Name: "u.example", CallerReference: "u", VPC: &w.vpcA2})
			return err
		},
		"GetHostedZone": func() error { _, err := w.r53.GetHostedZone(ctx, user, z.ID); return err },
		"ListHostedZones": func() error {
			_, _, err := w.r53.ListHostedZones(ctx, user, "", 0)
			return err
		},
		"ChangeResourceRecordSets": func() error {
			_, err := w.r53.ChangeResourceRecordSets(ctx, user, z.ID, "", []route53.Change{rr("UPSERT", "u.example.com", "A", 60, "10.0.0.1")})
			return err
		},
	}
	for _, c := range []struct {
		policy  string
		allowed []string
	}{
		{"", nil},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"route53:*","Resource":"arn:aws:route53:::hostedzone/` + z.ID + `"}]}`,
			[]string{"GetHostedZone", "ChangeResourceRecordSets"}},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["route53:Get*","route53:List*"],"Resource":"*"}]}`,
			[]string{"GetHostedZone", "ListHostedZones"}},
		{`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"route53:*","Resource":"*"},{"Effect":"Deny","Action":"route53:ChangeResourceRecordSets","Resource":"*"}]}`,
			[]string{"GetHostedZone", "ListHostedZones", "CreateHostedZone"}},
	} {
		if c.policy != "" {
			if err := w.iam.PutInlinePolicy(ctx, acctA, "user", "dns", "p", c.policy); err != nil {
				t.Fatal(err)
			}
		}
		for action, call := range calls {
			err := call()
			want := "AccessDenied"
			if slices.Contains(c.allowed, action) {
				want = ""
			}
			if got := code(err); got != want {
				t.Errorf("policy %s: %s: got %q (%v); want %q", c.policy, action, got, err, want)
			}
			if want != "" && !strings.Contains(err.Error(), "arn:aws:iam::111111111111:user/dns is not authorized to perform: route53:"+action) {
				t.Errorf("%s denied: got %q", action, err)
			}
		}
	}
}

func TestChanges(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	_, ci, err := w.r53.CreateHostedZone(ctx, w.a, route53.CreateZoneInput{Name: "example.com", CallerReference: "c", VPC: &w.vpcA1})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := w.r53.GetChange(ctx, w.a, ci.ID); err != nil || got != ci {
		t.Errorf("GetChange: got %+v %v; want %+v", got, err, ci)
	}
	for _, c := range []struct {
		name, id, code string
		as             string
	}{
		{"another account's change", ci.ID, "NoSuchChange", "b"},
		{"an unknown change", "C0123456789ABCDEFGHIJ", "NoSuchChange", "a"},
		{"a change id with a slash", "C01/../x", "NoSuchChange", "a"},
		{"no id", "", "InvalidInput", "a"},
	} {
		caller := w.a
		if c.as == "b" {
			caller = w.b
		}
		_, err := w.r53.GetChange(ctx, caller, c.id)
		wantCode(t, c.name, err, c.code, "")
	}
}

// TestConcurrentChanges changes one zone from many goroutines: every
// change lands (compare-and-swap retries), and of two zones of one name
// on one VPC created at once exactly one is.
func TestConcurrentChanges(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	z := w.zone(t, w.a, "example.com", w.vpcA1)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 10 {
		wg.Go(func() {
			_, err := w.r53.ChangeResourceRecordSets(ctx, w.a, z.ID, "", []route53.Change{rr("CREATE", fmt.Sprintf("h%d.example.com", i), "A", 60, "10.0.0.1")})
			errs <- err
		})
	}
	created := make(chan error, 10)
	for i := range 4 {
		wg.Go(func() {
			_, _, err := w.r53.CreateHostedZone(ctx, w.a, route53.CreateZoneInput{Name: "race.example", CallerReference: fmt.Sprint("race", i), VPC: &w.vpcA2})
			created <- err
		})
	}
	wg.Wait()
	close(errs)
	close(created)
	for err := range errs {
		if err != nil {
			t.Errorf("ChangeResourceRecordSets: %v", err)
		}
	}
	if got := len(w.records(t, z.ID)); got != 12 {
		t.Errorf("record sets after 10 concurrent batches: got %d; want 12", got)
	}
	won := 0
	for err := range created {
		switch code(err) {
		case "":
			won++
		case "ConflictingDomainExists":
		default:
			t.Errorf("CreateHostedZone: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("zones of one name created at once on one VPC: got %d; want 1", won)
	}
}
