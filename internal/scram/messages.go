package scram

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxMessageSize bounds each client message. A client-first message holds
// at most an escaped authzid and user name (3 bytes per byte of a name of
// at most maxUserLen), a nonce and a few extensions.
const maxMessageSize = 16 << 10

// clientFirst is a parsed client-first-message:
//
//	gs2-header [reserved-mext ","] username "," nonce ["," extensions]
//
// As in Kafka, only the gs2 flag "n" (no channel binding) is accepted.
// Unlike Kafka, which matches only ASCII names, user names may be any
// UTF-8 as RFC 5802 allows; the mandatory-extension field m= is refused as
// the RFC requires, where Kafka ignores it.
type clientFirst struct {
	gs2Header string // as sent: "n,," or "n,a=<saslname>,"
	authzid   string // decoded; "" if absent
	user      string // decoded
	nonce     string
	bare      string // client-first-message-bare, as sent
	tokenAuth bool   // the tokenauth extension asks for a delegation token
}

// clientFinal is a parsed client-final-message:
//
//	channel-binding "," nonce ["," extensions] "," proof
type clientFinal struct {
	channelBinding []byte
	nonce          string
	proof          []byte
	withoutProof   string // client-final-message-without-proof, as sent
}

var (
	errTooLong  = errors.New("message too long")
	errNotUTF8  = errors.New("message is not valid UTF-8")
	errChanBind = errors.New("channel binding is not supported")
)

func parseClientFirst(msg []byte) (clientFirst, error) {
	var cf clientFirst
	if len(msg) > maxMessageSize {
		return cf, errTooLong
	}
	if !utf8.Valid(msg) {
		return cf, errNotUTF8
	}
	s := string(msg)
	switch {
	case strings.HasPrefix(s, "n,"):
	case strings.HasPrefix(s, "y,"), strings.HasPrefix(s, "p="):
		return cf, errChanBind
	default:
		return cf, errors.New("invalid gs2 header")
	}
	authz, bare, ok := strings.Cut(s[2:], ",")
	if !ok {
		return cf, errors.New("invalid gs2 header")
	}
	if authz != "" {
		raw, ok := strings.CutPrefix(authz, "a=")
		if !ok {
			return cf, errors.New("invalid authorization id field")
		}
		var err error
		if cf.authzid, err = decodeSASLName(raw); err != nil {
			return cf, fmt.Errorf("authorization id: %w", err)
		}
	}
	cf.gs2Header = s[:2+len(authz)+1]
	cf.bare = bare

	fields := strings.Split(bare, ",")
	if strings.HasPrefix(fields[0], "m=") {
		return cf, errors.New("mandatory extensions are not supported")
	}
	raw, ok := strings.CutPrefix(fields[0], "n=")
	if !ok {
		return cf, errors.New("missing user name")
	}
	var err error
	if cf.user, err = decodeSASLName(raw); err != nil {
		return cf, fmt.Errorf("user name: %w", err)
	}
	if len(cf.user) > maxUserLen {
		return cf, errors.New("user name too long")
	}
	if len(fields) < 2 {
		return cf, errors.New("missing nonce")
	}
	if cf.nonce, err = parseNonce(fields[1]); err != nil {
		return cf, err
	}
	for _, f := range fields[2:] {
		k, v, err := parseExtension(f)
		if err != nil {
			return cf, err
		}
		// Kafka reads the value with Boolean.parseBoolean.
		if k == "tokenauth" && strings.EqualFold(v, "true") {
			cf.tokenAuth = true
		}
	}
	return cf, nil
}

func parseClientFinal(msg []byte) (clientFinal, error) {
	var cf clientFinal
	if len(msg) > maxMessageSize {
		return cf, errTooLong
	}
	if !utf8.Valid(msg) {
		return cf, errNotUTF8
	}
	s := string(msg)
	i := strings.LastIndex(s, ",p=")
	if i < 0 {
		return cf, errors.New("missing proof")
	}
	var err error
	if cf.proof, err = decodeBase64(s[i+3:]); err != nil {
		return cf, fmt.Errorf("proof: %w", err)
	}
	cf.withoutProof = s[:i]
	fields := strings.Split(cf.withoutProof, ",")
	raw, ok := strings.CutPrefix(fields[0], "c=")
	if !ok {
		return cf, errors.New("missing channel binding")
	}
	if cf.channelBinding, err = decodeBase64(raw); err != nil {
		return cf, fmt.Errorf("channel binding: %w", err)
	}
	if len(fields) < 2 {
		return cf, errors.New("missing nonce")
	}
	if cf.nonce, err = parseNonce(fields[1]); err != nil {
		return cf, err
	}
	for _, f := range fields[2:] {
		if _, _, err := parseExtension(f); err != nil {
			return cf, err
		}
	}
	return cf, nil
}

// decodeSASLName undoes the saslname escaping: "=2C" is ",", "=3D" is "=",
// and no other "=" may appear. The name must not be empty or hold NUL.
func decodeSASLName(s string) (string, error) {
	if s == "" {
		return "", errors.New("empty name")
	}
	if !strings.Contains(s, "=") {
		if strings.IndexByte(s, 0) >= 0 {
			return "", errors.New("NUL in name")
		}
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case 0:
			return "", errors.New("NUL in name")
		case '=':
			switch {
			case strings.HasPrefix(s[i:], "=2C"):
				b.WriteByte(',')
			case strings.HasPrefix(s[i:], "=3D"):
				b.WriteByte('=')
			default:
				return "", errors.New("invalid escape in name")
			}
			i += 2
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// encodeSASLName escapes a name for a saslname field.
func encodeSASLName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// parseNonce reads "r=" followed by printable ASCII other than ",".
func parseNonce(f string) (string, error) {
	n, ok := strings.CutPrefix(f, "r=")
	if !ok || n == "" {
		return "", errors.New("missing nonce")
	}
	for i := 0; i < len(n); i++ {
		if n[i] < 0x21 || n[i] > 0x7e {
			return "", errors.New("invalid nonce")
		}
	}
	return n, nil
}

// parseExtension reads one extension as Kafka matches it: letters, "=",
// and a non-empty ASCII value without NUL (or ",", by construction).
func parseExtension(f string) (key, value string, err error) {
	k, v, ok := strings.Cut(f, "=")
	if !ok || k == "" || v == "" {
		return "", "", errors.New("invalid extension")
	}
	for i := 0; i < len(k); i++ {
		if c := k[i] | 0x20; c < 'a' || c > 'z' {
			return "", "", errors.New("invalid extension name")
		}
	}
	for i := 0; i < len(v); i++ {
		if v[i] == 0 || v[i] > 0x7f {
			return "", "", errors.New("invalid extension value")
		}
	}
	return k, v, nil
}

// decodeBase64 decodes padded standard base64, refusing the line breaks
// the decoder would otherwise skip.
func decodeBase64(s string) ([]byte, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("invalid base64")
	}
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, errors.New("invalid base64")
	}
	return b, nil
}
