// Package iam is kafkalink's own identity and access management: accounts,
// IAM users, roles with trust policies, access keys, temporary security
// credentials, and inline and managed policies, kept in the store's global
// keyspace. It answers the two questions every authenticated request asks:
// whose key signed this (Keys, for SigV4 verification), and may this
// principal do this (Authorize, with the policy engine).
package iam

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/store"
)

// Error is an IAM or STS error with AWS's code, as the query protocol
// returns it.
type Error struct {
	Code    string // NoSuchEntity, EntityAlreadyExists, MalformedPolicyDocument, AccessDenied, …
	Message string
	Status  int // HTTP status
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errf(status int, code, format string, a ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, a...), Status: status}
}

func noSuchEntity(format string, a ...any) *Error { return errf(404, "NoSuchEntity", format, a...) }
func alreadyExists(format string, a ...any) *Error {
	return errf(409, "EntityAlreadyExists", format, a...)
}
func invalidInput(format string, a ...any) *Error { return errf(400, "InvalidInput", format, a...) }

// Service is the IAM of one kafkalink deployment.
type Service struct {
	st     store.Store
	sealer *sealer
	now    func() time.Time
}

// New returns the IAM service over a store. key (32 bytes) encrypts secret
// access keys at rest.
func New(st store.Store, key []byte, now func() time.Time) (*Service, error) {
	s, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, sealer: s, now: now}, nil
}

// Store keys, all in the global keyspace.
const (
	prefix         = "global/iam/"
	accountsPrefix = prefix + "accounts/"
	usersPrefix    = prefix + "users/"    // <acct>/<name>
	rolesPrefix    = prefix + "roles/"    // <acct>/<name>
	keysPrefix     = prefix + "keys/"     // <access key id>
	inlinePrefix   = prefix + "inline/"   // <acct>/<user|role>/<name>/<policy>
	policiesPrefix = prefix + "policies/" // <acct>/<name>
	attachPrefix   = prefix + "attach/"   // <acct>/<user|role>/<name>/<policy arn>
)

// Watch prefix for everything IAM keeps: a change under it may change a
// decision.
const WatchPrefix = prefix

var (
	accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)
	nameRe      = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	pathRe      = regexp.MustCompile(`^/([\x21-\x7e]*/)?$`)
)

func (s *Service) get(ctx context.Context, key string, v any) (int64, bool, error) {
	kv, ok, err := s.st.Get(ctx, key)
	if err != nil || !ok {
		return 0, ok, err
	}
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return 0, false, fmt.Errorf("iam: decode %s: %w", key, err)
	}
	return kv.ModRevision, true, nil
}

// create writes v at key only if the key is absent.
func (s *Service) create(ctx context.Context, key string, v any) (bool, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return false, err
	}
	_, ok, _, err := s.st.CompareAndSwap(ctx, key, b, 0)
	return ok, err
}

func (s *Service) put(ctx context.Context, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = s.st.Put(ctx, key, b)
	return err
}

func list[T any](ctx context.Context, s *Service, pfx string) ([]T, error) {
	kvs, _, err := s.st.List(ctx, pfx)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(kvs))
	for _, kv := range kvs {
		var v T
		if err := json.Unmarshal(kv.Value, &v); err != nil {
			return nil, fmt.Errorf("iam: decode %s: %w", kv.Key, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// randomID returns prefix followed by n characters of AWS's id alphabet.
func randomID(prefix string, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}

func randomSecret(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func validName(kind, name string) error {
	if !nameRe.MatchString(name) {
		return invalidInput("The specified value for %s is invalid. It must contain only alphanumeric characters and/or the following: +=,.@_-", kind)
	}
	return nil
}

func normPath(p string) (string, error) {
	if p == "" {
		return "/", nil
	}
	if !pathRe.MatchString(p) || len(p) > 512 {
		return "", invalidInput("The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.")
	}
	return p, nil
}

var errNotFound = errors.New("not found")

func splitARN(arn string) []string { return strings.SplitN(arn, ":", 6) }
