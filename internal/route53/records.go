package route53

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/miekg/dns"
)

// Change actions, as ChangeResourceRecordSets names them.
const (
	ActionCreate = "CREATE"
	ActionUpsert = "UPSERT"
	ActionDelete = "DELETE"
)

// Change is one change of a change batch, as ChangeResourceRecordSets
// takes it.
type Change struct {
	Action string // CREATE, UPSERT or DELETE
	Name   string // as given: any case, trailing dot optional, \ooo escapes
	Type   string
	TTL    *int64 // nil when absent
	Values []string
	Alias  *AliasTarget
	// Routing names the routing-policy members the change carries
	// (SetIdentifier, Weight, Region, Failover, GeoLocation,
	// MultiValueAnswer, …): kafkalink serves simple routing only.
	Routing []string
}

// rrTypes is the RRType enumeration of Route 53's model.
const rrTypes = "SOA, A, TXT, NS, CNAME, MX, NAPTR, PTR, SRV, SPF, AAAA, CAA, DS, TLSA, SSHFP, SVCB, HTTPS"

// supportedType reports whether kafkalink serves a record type.
func supportedType(t string) bool {
	switch t {
	case "A", "AAAA", "CNAME", "TXT", "SRV", "SOA", "NS":
		return true
	}
	return false
}

// CheckType answers InvalidInput for a type that is not in Route 53's
// enumeration (param names where it was given), and for one kafkalink
// does not serve.
func CheckType(param, t string) error {
	if err := checkEnum(param, t); err != nil {
		return err
	}
	if !supportedType(t) {
		return invalidInput("kafkalink supports resource record sets of type A, AAAA, CNAME, TXT and SRV, and the zone's own SOA and NS: type %s is not supported", t)
	}
	return nil
}

// checkEnum answers InvalidInput for a type that is not in Route 53's
// enumeration.
func checkEnum(param, t string) error {
	if !slices.Contains(strings.Split(rrTypes, ", "), t) {
		return invalidInput("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			t, param, rrTypes)
	}
	return nil
}

// describe names a change as Route 53's InvalidInput messages do.
func (c Change) describe() string {
	return fmt.Sprintf("Change with [Action=%s, Name=%s, Type=%s, SetIdentifier=null]", c.Action, c.Name, c.Type)
}

// checkShape answers InvalidInput for a change (the n-th, from 1) that is
// not well formed, before its records are looked at.
func checkShape(n int, c Change) error {
	member := fmt.Sprintf("changeBatch.changes.%d.member", n)
	switch c.Action {
	case ActionCreate, ActionUpsert, ActionDelete:
	case "":
		return invalidInput("1 validation error detected: Value null at '%s.action' failed to satisfy constraint: Member must not be null", member)
	default:
		return invalidInput("1 validation error detected: Value '%s' at '%s.action' failed to satisfy constraint: Member must satisfy enum value set: [CREATE, DELETE, UPSERT]", c.Action, member)
	}
	if c.Name == "" {
		return invalidInput("1 validation error detected: Value null at '%s.resourceRecordSet.name' failed to satisfy constraint: Member must not be null", member)
	}
	if len(c.Name) > 1024 {
		return invalidInput("1 validation error detected: Value at '%s.resourceRecordSet.name' failed to satisfy constraint: Member must have length less than or equal to 1024", member)
	}
	if c.Type == "" {
		return invalidInput("1 validation error detected: Value null at '%s.resourceRecordSet.type' failed to satisfy constraint: Member must not be null", member)
	}
	if err := CheckType(member+".resourceRecordSet.type", c.Type); err != nil {
		return err
	}
	if len(c.Routing) > 0 {
		return invalidInput("kafkalink supports simple routing only: %s is not supported in %s", strings.Join(c.Routing, ", "), c.describe())
	}
	records := c.TTL != nil && len(c.Values) > 0
	switch {
	case c.Alias != nil && (c.TTL != nil || len(c.Values) > 0):
		return invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found more than one in %s", c.describe())
	case c.Alias == nil && !records:
		return invalidInput("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in %s", c.describe())
	}
	if c.Alias != nil {
		if c.Type != "A" && c.Type != "AAAA" {
			return invalidInput("kafkalink supports alias resource record sets of type A and AAAA only: %s", c.describe())
		}
		if c.Alias.HostedZoneID == "" {
			return invalidInput("1 validation error detected: Value null at '%s.resourceRecordSet.aliasTarget.hostedZoneId' failed to satisfy constraint: Member must not be null", member)
		}
		if c.Alias.DNSName == "" {
			return invalidInput("1 validation error detected: Value null at '%s.resourceRecordSet.aliasTarget.dNSName' failed to satisfy constraint: Member must not be null", member)
		}
	}
	if c.TTL != nil && (*c.TTL < 0 || *c.TTL > 2147483647) {
		return invalidInput("1 validation error detected: Value '%d' at '%s.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value between 0 and 2147483647", *c.TTL, member)
	}
	for i, v := range c.Values {
		if len(v) > maxValueLen {
			return invalidInput("1 validation error detected: Value at '%s.resourceRecordSet.resourceRecords.%d.member.value' failed to satisfy constraint: Member must have length less than or equal to %d", member, i+1, maxValueLen)
		}
	}
	return nil
}

// invalidRecord words a bad value as Route 53 does.
func invalidRecord(problem, value string) string {
	return "Invalid Resource Record: 'FATAL problem: " + problem + " encountered with '" + value + "''"
}

// CanonicalValue checks one value of a record set of type typ and
// returns it in canonical presentation format: exactly what a DNS server
// parses back into the same record (names lowercase and fully qualified,
// addresses as Go writes them, TXT strings quoted). A bad value is
// answered with Route 53's wording of the problem.
func CanonicalValue(typ, v string) (string, string) {
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return "", invalidRecord("UnsupportedCharacter (Value contains unsupported characters)", v)
		}
	}
	var problem string
	switch typ {
	case "A":
		if a, err := netip.ParseAddr(v); err != nil || !a.Is4() {
			problem = "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)"
		}
	case "AAAA":
		if a, err := netip.ParseAddr(v); err != nil || !a.Is6() || a.Zone() != "" {
			problem = "AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)"
		}
	case "CNAME", "NS":
		n, p := parseName(v, false)
		if p != problemNone {
			return "", invalidRecord(p.String(), v)
		}
		v = n
	case "TXT":
		if problem = checkTXT(v); problem != "" {
			return "", invalidRecord(problem, v)
		}
	case "SRV":
		f := strings.Fields(v)
		if len(f) != 4 || !uint16s(f[:3]) {
			problem = "SRVRDATAInvalid (Value should be [priority] [weight] [port] [server host name])"
			break
		}
		if f[3] != "." {
			n, p := parseName(f[3], false)
			if p != problemNone {
				return "", invalidRecord(p.String(), v)
			}
			f[3] = n
		}
		v = strings.Join(f, " ")
	case "SOA":
		f := strings.Fields(v)
		if len(f) != 7 || !uint32s(f[2:]) {
			problem = "SOARDATAInvalid (Value should be [authority-domain] [domain-of-zone-admin] [zone-serial-number] [refresh-time] [retry-time] [expire-time] [negative caching (TTL)])"
			break
		}
		for i := range 2 {
			n, p := parseName(f[i], false)
			if p != problemNone {
				return "", invalidRecord(p.String(), v)
			}
			f[i] = n
		}
		v = strings.Join(f, " ")
	default:
		problem = "UnsupportedType (Type " + typ + " is not supported)"
	}
	if problem != "" {
		return "", invalidRecord(problem, v)
	}
	// The record as a DNS server reads it, and reads it back.
	rr, err := dns.NewRR("kafkalink.invalid. 0 IN " + typ + " " + v)
	if err != nil || rr == nil {
		return "", invalidRecord("RRDATAIllegal (Value is not a valid "+typ+" record)", v)
	}
	out := strings.TrimPrefix(rr.String(), rr.Header().String())
	if again, err := dns.NewRR(rr.String()); err != nil || again == nil || !dns.IsDuplicate(rr, again) {
		return "", invalidRecord("RRDATAIllegal (Value is not a valid "+typ+" record)", v)
	}
	if typ != "TXT" {
		out = strings.ToLower(out)
	}
	return out, ""
}

func uint16s(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseUint(f, 10, 16); err != nil {
			return false
		}
	}
	return true
}

func uint32s(fields []string) bool {
	for _, f := range fields {
		if _, err := strconv.ParseUint(f, 10, 32); err != nil {
			return false
		}
	}
	return true
}

// checkTXT checks a TXT value: one or more quoted character strings of
// at most 255 characters, separated by spaces, of printable ASCII where
// only \" and \\ are escapes (Route 53 reads \ooo escapes as octal, DNS
// servers as decimal: kafkalink takes neither).
func checkTXT(v string) string {
	if !strings.HasPrefix(v, `"`) {
		return "InvalidCharacterString (Value should be enclosed in quotation marks)"
	}
	for i := 0; i < len(v); {
		switch {
		case v[i] == ' ':
			i++
			continue
		case v[i] != '"':
			return "InvalidCharacterString (Value should be enclosed in quotation marks)"
		}
		n := 0
		i++
		for ; i < len(v) && v[i] != '"'; i++ {
			c := v[i]
			if c == '\\' {
				if i+1 >= len(v) || (v[i+1] != '"' && v[i+1] != '\\') {
					return "UnsupportedEscape (Only \\\" and \\\\ may be escaped)"
				}
				i++
			} else if c > '~' {
				return "UnsupportedCharacter (Value contains unsupported characters)"
			}
			n++
		}
		if i >= len(v) {
			return "InvalidCharacterString (Value should be enclosed in quotation marks)"
		}
		i++ // the closing quote
		if n > 255 {
			return "TXTRDATATooLong (Value is too long)"
		}
		if i < len(v) && v[i] != ' ' {
			return "InvalidCharacterString (Value should be enclosed in quotation marks)"
		}
	}
	return ""
}

// sameSet reports whether two record sets of a name and type are equal:
// TTL, values (in any order) and alias target.
func sameSet(a, b RecordSet) bool {
	if a.TTL != b.TTL || len(a.Values) != len(b.Values) || (a.Alias == nil) != (b.Alias == nil) {
		return false
	}
	if a.Alias != nil && *a.Alias != *b.Alias {
		return false
	}
	x, y := slices.Clone(a.Values), slices.Clone(b.Values)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// prepare checks a well-formed change against the zone and returns its
// record set in canonical form, or Route 53's messages for what is wrong.
func prepare(z *HostedZone, c Change) (RecordSet, []string) {
	name, p := parseName(c.Name, true)
	if p != problemNone {
		return RecordSet{}, []string{p.fatal(c.Name)}
	}
	shown := PresentName(name)
	var msgs []string
	switch {
	case !inZone(name, z.Name):
		return RecordSet{}, []string{fmt.Sprintf("RRSet with DNS name %s is not permitted in zone %s", shown, z.Name)}
	case c.Type == "CNAME" && name == z.Name:
		msgs = append(msgs, fmt.Sprintf("RRSet of type CNAME with DNS name %s is not permitted at apex in zone %s", shown, z.Name))
	case (c.Type == "SOA" || c.Type == "NS") && name != z.Name:
		msgs = append(msgs, fmt.Sprintf("RRSet of type %s with DNS name %s is not permitted: kafkalink's private hosted zones have %s records at the apex (%s) only", c.Type, shown, c.Type, z.Name))
	}
	set := RecordSet{Name: name, Type: c.Type}
	if c.Alias != nil {
		target, p := parseName(c.Alias.DNSName, true)
		if p != problemNone {
			return RecordSet{}, append(msgs, p.fatal(c.Alias.DNSName))
		}
		set.Alias = &AliasTarget{HostedZoneID: strings.TrimPrefix(c.Alias.HostedZoneID, "/hostedzone/"), DNSName: target, EvaluateTargetHealth: c.Alias.EvaluateTargetHealth}
		return set, msgs
	}
	set.TTL = *c.TTL
	for _, v := range c.Values {
		cv, problem := CanonicalValue(c.Type, v)
		switch {
		case problem != "":
			msgs = append(msgs, problem)
		case slices.Contains(set.Values, cv):
			msgs = append(msgs, "Duplicate Resource Record: '"+v+"'")
		default:
			set.Values = append(set.Values, cv)
		}
	}
	switch {
	case (c.Type == "CNAME" || c.Type == "SOA") && len(c.Values) > 1:
		msgs = append(msgs, fmt.Sprintf("RRSet of type %s with DNS name %s has %d values: it must have exactly one", c.Type, shown, len(c.Values)))
	}
	return set, msgs
}

// cnameConflict is the message for a record set that may not join the
// record sets of its name: a CNAME stands alone.
func cnameConflict(recs []RecordSet, set RecordSet, zone string) string {
	for _, r := range recs {
		if r.Name == set.Name && r.Type != set.Type && (r.Type == "CNAME" || set.Type == "CNAME") {
			return fmt.Sprintf("RRSet of type %s with DNS name %s is not permitted as it conflicts with other records with the same DNS name in zone %s", set.Type, PresentName(set.Name), zone)
		}
	}
	return ""
}

// applyBatch applies a change batch to a zone, all or nothing: a change
// that is not well formed is InvalidInput; otherwise every problem of
// every change is collected into one InvalidChangeBatch. Changes apply in
// order, so a batch may delete a record set and create it again.
func applyBatch(z *HostedZone, changes []Change, endpoint func(name string) bool) error {
	if len(changes) == 0 {
		return invalidInput("1 validation error detected: Value '[]' at 'changeBatch.changes' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	values := 0
	for i, c := range changes {
		if err := checkShape(i+1, c); err != nil {
			return err
		}
		values += max(len(c.Values), 1)
	}
	if values > maxRecordsPerBatch {
		return changeBatchError([]string{fmt.Sprintf("Number of records limit of %d exceeded.", maxRecordsPerBatch)})
	}
	var msgs []string
	add := func(m ...string) {
		for _, m := range m {
			if !slices.Contains(msgs, m) {
				msgs = append(msgs, m)
			}
		}
	}
	recs := slices.Clone(z.Records)
	touched := map[string][]string{}
	var aliases []RecordSet
	for _, c := range changes {
		set, problems := prepare(z, c)
		if len(problems) > 0 {
			add(problems...)
			continue
		}
		shown := PresentName(set.Name)
		key := set.Type + " " + shown
		prev := touched[key]
		touched[key] = append(prev, c.Action)
		if len(prev) > 0 && (len(prev) > 1 || prev[0] != ActionDelete || c.Action != ActionCreate) {
			add(fmt.Sprintf("The request contains an invalid set of changes for a resource record set '%s'", key))
			continue
		}
		i := slices.IndexFunc(recs, func(r RecordSet) bool { return r.Name == set.Name && r.Type == set.Type })
		switch c.Action {
		case ActionCreate:
			if i >= 0 {
				add(fmt.Sprintf("Tried to create resource record set [name='%s', type='%s'] but it already exists", shown, set.Type))
				continue
			}
			if m := cnameConflict(recs, set, z.Name); m != "" {
				add(m)
				continue
			}
			recs = append(recs, set)
		case ActionUpsert:
			if m := cnameConflict(recs, set, z.Name); m != "" {
				add(m)
				continue
			}
			if i >= 0 {
				recs[i] = set
			} else {
				recs = append(recs, set)
			}
		case ActionDelete:
			switch {
			case i < 0:
				add(fmt.Sprintf("Tried to delete resource record set [name='%s', type='%s'] but it was not found", shown, set.Type))
			case set.Type == "SOA" && set.Name == z.Name:
				add("A HostedZone must contain exactly one SOA record.")
			case set.Type == "NS" && set.Name == z.Name:
				add("A HostedZone must contain at least one NS record for the zone itself.")
			case !sameSet(recs[i], set):
				add(fmt.Sprintf("Tried to delete resource record set [name='%s', type='%s'] but the values provided do not match the current values", shown, set.Type))
			default:
				recs = slices.Delete(recs, i, i+1)
			}
			continue
		}
		if set.Alias != nil {
			aliases = append(aliases, set)
		}
	}
	for _, a := range aliases {
		if i := slices.IndexFunc(recs, func(r RecordSet) bool { return r.Name == a.Name && r.Type == a.Type }); i >= 0 && recs[i].Alias != nil && *recs[i].Alias == *a.Alias {
			add(aliasProblem(z, recs, a, endpoint)...)
		}
	}
	if len(recs) > maxRecordSets {
		add(fmt.Sprintf("The hosted zone %s would have %d resource record sets; the limit is %d", z.ID, len(recs), maxRecordSets))
	}
	if len(msgs) > 0 {
		return changeBatchError(msgs)
	}
	slices.SortFunc(recs, compareRecords)
	z.Records = recs
	return nil
}

// aliasProblem checks an alias record set against the zone's record sets
// once the batch is applied: its target is one of kafkalink's endpoints
// (endpoint says which names are), or a record set of the same type in
// the same zone, and following aliases from it does not come back.
func aliasProblem(z *HostedZone, recs []RecordSet, a RecordSet, endpoint func(string) bool) []string {
	t := a.Alias
	prefix := fmt.Sprintf("Tried to create an alias that targets %s, type %s in zone %s, but ", PresentName(t.DNSName), a.Type, t.HostedZoneID)
	switch {
	case endpoint != nil && endpoint(t.DNSName):
		return nil
	case t.HostedZoneID != z.ID:
		return []string{prefix + "that target was not found (kafkalink's aliases target its endpoints or record sets of the same hosted zone)"}
	case !inZone(t.DNSName, z.Name):
		return []string{prefix + "the alias target name does not lie within the target zone"}
	}
	seen := map[string]bool{a.Name: true}
	for name := t.DNSName; ; {
		i := slices.IndexFunc(recs, func(r RecordSet) bool { return r.Name == name && r.Type == a.Type })
		switch {
		case i < 0:
			return []string{prefix + "that target was not found"}
		case seen[name]:
			return []string{prefix + "the alias chain from it leads back to " + PresentName(name)}
		case recs[i].Alias == nil:
			return nil
		}
		seen[name] = true
		name = recs[i].Alias.DNSName
	}
}
