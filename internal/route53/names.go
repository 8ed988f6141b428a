package route53

import (
	"cmp"
	"slices"
	"strings"

	"github.com/miekg/dns"
)

// nameProblem is why a string is not a name kafkalink's Route 53 takes.
type nameProblem int

const (
	problemNone nameProblem = iota
	problemEmpty
	problemLabelLong
	problemNameLong
	problemCharacter
	problemWildcard
	problemNoWildcard
	problemRoot
)

// fatal words a name problem as Route 53 does in a change batch: a
// problem code and its description.
func (p nameProblem) fatal(raw string) string {
	return "FATAL problem: " + p.String() + " encountered with '" + raw + "'"
}

func (p nameProblem) String() string {
	switch p {
	case problemEmpty:
		return "DomainLabelEmpty (Domain label is empty)"
	case problemLabelLong:
		return "LabelTooLong (Domain label is too long)"
	case problemNameLong:
		return "DomainNameTooLong (Domain name is too long)"
	case problemCharacter:
		return "UnsupportedCharacter (Value contains unsupported characters)"
	case problemWildcard:
		return "WildcardNotLeftmost (A wildcard must be the whole leftmost label)"
	case problemNoWildcard:
		return "WildcardNotPermitted (A wildcard is not permitted in this name)"
	case problemRoot:
		return "DomainNameRoot (The root domain is not permitted)"
	}
	return "None"
}

// Name limits, and Route 53's escapes.
const (
	maxNameWireLength = 255
	maxLabelLength    = 63
	wildcardLabel     = "*"
	wildcardPresented = `\052`
	escapeDigits      = 3 // \ooo, octal
	maxEscape         = 0377
)

// ParseName returns the canonical form of a DNS name as Route 53 takes it
// (any case, trailing dot optional, characters as \ooo octal escapes):
// lowercase, fully qualified with a trailing dot. kafkalink's names are
// what every DNS server serves unescaped: labels of letters, digits, '-'
// and '_'; with wildcard, the leftmost label may be "*" ("\052").
func ParseName(raw string, wildcard bool) (string, bool) {
	n, p := parseName(raw, wildcard)
	return n, p == problemNone
}

func parseName(raw string, wildcard bool) (string, nameProblem) {
	s := strings.TrimSuffix(raw, ".")
	if s == "" {
		return "", problemRoot
	}
	var labels []string
	var label strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			if i+escapeDigits >= len(s) {
				return "", problemCharacter
			}
			v := 0
			for _, d := range s[i+1 : i+1+escapeDigits] {
				if d < '0' || d > '7' {
					return "", problemCharacter
				}
				v = v*8 + int(d-'0')
			}
			if v > maxEscape {
				return "", problemCharacter
			}
			c = byte(v)
			i += escapeDigits
			if c == '.' {
				return "", problemCharacter // a dot inside a label
			}
		} else if c == '.' {
			labels = append(labels, label.String())
			label.Reset()
			continue
		}
		switch {
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '*':
		default:
			return "", problemCharacter
		}
		label.WriteByte(c)
	}
	labels = append(labels, label.String())
	wire := 1
	for i, l := range labels {
		switch {
		case l == "":
			return "", problemEmpty
		case len(l) > maxLabelLength:
			return "", problemLabelLong
		case strings.Contains(l, wildcardLabel) && !wildcard:
			return "", problemNoWildcard
		case strings.Contains(l, wildcardLabel) && (i > 0 || l != wildcardLabel):
			return "", problemWildcard
		}
		wire += len(l) + 1
	}
	if wire > maxNameWireLength {
		return "", problemNameLong
	}
	name := strings.Join(labels, ".") + "."
	if _, ok := dns.IsDomainName(name); !ok {
		return "", problemCharacter
	}
	return name, problemNone
}

// PresentName writes a canonical name as Route 53 presents it: a
// wildcard label as \052.
func PresentName(name string) string {
	if rest, ok := strings.CutPrefix(name, wildcardLabel+"."); ok {
		return wildcardPresented + "." + rest
	}
	return name
}

// inZone reports whether a canonical name is the zone's apex or below it.
func inZone(name, zone string) bool {
	return name == zone || strings.HasSuffix(name, "."+zone)
}

// orderKey is the key Route 53 sorts names by: the presented name's
// labels reversed, with the trailing dot (com.example.www.).
func orderKey(name string) string {
	labels := strings.Split(strings.TrimSuffix(PresentName(name), "."), ".")
	slices.Reverse(labels)
	return strings.Join(labels, ".") + "."
}

// compareRecords orders record sets as ListResourceRecordSets does: by
// name with the labels reversed, then by type.
func compareRecords(a, b RecordSet) int {
	return cmp.Or(cmp.Compare(orderKey(a.Name), orderKey(b.Name)), cmp.Compare(a.Type, b.Type))
}

// compareZonesByName orders zones as ListHostedZonesByName does: by name
// with the labels reversed, then by id.
func compareZonesByName(a, b HostedZone) int {
	return cmp.Or(cmp.Compare(orderKey(a.Name), orderKey(b.Name)), cmp.Compare(a.ID, b.ID))
}
