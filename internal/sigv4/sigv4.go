// Package sigv4 verifies AWS Signature Version 4 (AWS4-HMAC-SHA256)
// signatures made with access keys that kafkalink issues: HTTP requests
// signed in the Authorization header or presigned in the query string (the
// control-plane API), AWS_MSK_IAM SASL payloads, and MSK signer OAUTHBEARER
// tokens (the data plane).
//
// The package only verifies; it never signs. Secrets are looked up through
// the Keys interface, signing keys are derived per (secret, date, region,
// service) and cached, and signatures are compared in constant time. Errors
// are *Error values whose Code is the one AWS would return.
package sigv4

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/http"
	"sync"
	"time"
)

// Algorithm is the only signing algorithm accepted.
const Algorithm = "AWS4-HMAC-SHA256"

// DefaultMaxSkew is the clock skew tolerated when Verifier.MaxSkew is zero.
const DefaultMaxSkew = 5 * time.Minute

// MaxPresignExpires is the longest X-Amz-Expires a presigned request may
// carry (seven days), as AWS allows.
const MaxPresignExpires = 604800

// MaxSASLExpires is the longest X-Amz-Expires accepted in AWS_MSK_IAM
// payloads and MSK signer OAUTHBEARER tokens.
const MaxSASLExpires = 900

// MSKService is the signing name (credential scope service) of MSK IAM
// authentication.
const MSKService = "kafka-cluster"

// MSKConnectAction is the action every MSK IAM authentication signs.
const MSKConnectAction = "kafka-cluster:Connect"

// MSKVersion is the only AWS_MSK_IAM payload version.
const MSKVersion = "2020_10_22"

// DefaultCacheSize is the number of derived signing keys a Verifier keeps
// when CacheSize is zero.
const DefaultCacheSize = 1024

// emptySHA256 is the hex SHA-256 of the empty string.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

// unsignedPayload is the payload hash a client may send in
// x-amz-content-sha256 to leave the body unsigned.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Credential is what the verifier needs to know of an access key.
type Credential struct {
	// AccessKeyID is the public half of the key (AKIA… or ASIA…).
	AccessKeyID string
	// SecretAccessKey is the secret the signature is made with.
	SecretAccessKey string
	// SessionToken is non-empty for temporary (ASIA…) credentials: the
	// request must carry exactly this token. For long-term keys it is empty
	// and the request must carry no token.
	SessionToken string
	// Expires is when a temporary credential stops working; zero for
	// long-term keys.
	Expires time.Time
}

// Keys finds the secret for an access key id.
type Keys interface {
	// Lookup returns the credential of accessKeyID, or an error wrapping
	// ErrUnknownKey if there is none.
	Lookup(ctx context.Context, accessKeyID string) (Credential, error)
}

// KeysFunc adapts a function to the Keys interface.
type KeysFunc func(ctx context.Context, accessKeyID string) (Credential, error)

// Lookup calls f.
func (f KeysFunc) Lookup(ctx context.Context, accessKeyID string) (Credential, error) {
	return f(ctx, accessKeyID)
}

// ErrUnknownKey is returned (possibly wrapped) by Keys.Lookup when the access
// key id does not exist; the verifier reports it as InvalidClientTokenId.
var ErrUnknownKey = errors.New("sigv4: unknown access key")

// Verifier checks signatures. The zero value is not usable: Keys must be set.
// A Verifier must not be copied after first use; it is safe for concurrent
// use.
type Verifier struct {
	// Keys finds the secrets of access keys.
	Keys Keys
	// Now returns the current time; time.Now when nil.
	Now func() time.Time
	// MaxSkew is the largest difference tolerated between a request's
	// X-Amz-Date and Now; DefaultMaxSkew when zero.
	MaxSkew time.Duration
	// Region, when non-empty, is the only credential scope region
	// VerifyRequest accepts.
	Region string
	// Services, when non-empty, lists the credential scope services
	// VerifyRequest accepts.
	Services []string
	// CacheSize bounds the signing-key cache; DefaultCacheSize when zero,
	// no caching when negative.
	CacheSize int

	mu    sync.Mutex
	cache map[cacheKey][]byte
}

// cacheKey identifies a derived signing key without holding the secret.
type cacheKey struct {
	secret                [sha256.Size]byte
	date, region, service string
}

// Result tells who signed and for what.
type Result struct {
	// AccessKeyID is the key that made the signature.
	AccessKeyID string
	// Region and Service are the credential scope's.
	Region, Service string
	// SignedAt is the request's X-Amz-Date.
	SignedAt time.Time
	// Expires is when a presigned request, SASL payload or OAUTHBEARER
	// token stops being valid (SignedAt + X-Amz-Expires); zero for
	// Authorization-header requests.
	Expires time.Time
	// CredentialExpires is when the temporary credential that signed
	// expires; zero for long-term keys. A SASL session must not outlive it.
	CredentialExpires time.Time
	// SessionToken is the security token the request carried, if any.
	SessionToken string
	// Signature is the verified signature: it identifies one signed
	// request, SASL payload or token (for replay detection).
	Signature [32]byte
}

// Error codes, as AWS names them.
const (
	// CodeSignatureDoesNotMatch: the signature, or what it covers (scope
	// region, service, date, host, body), does not match.
	CodeSignatureDoesNotMatch = "SignatureDoesNotMatch"
	// CodeIncompleteSignature: the signature is malformed or incomplete.
	CodeIncompleteSignature = "IncompleteSignature"
	// CodeMissingAuthenticationToken: the request is not signed at all.
	CodeMissingAuthenticationToken = "MissingAuthenticationToken"
	// CodeInvalidClientTokenID: unknown access key, or a session token that
	// does not belong to it.
	CodeInvalidClientTokenID = "InvalidClientTokenId"
	// CodeExpiredToken: the temporary credential has expired.
	CodeExpiredToken = "ExpiredToken"
	// CodeRequestExpired: the request is outside the clock skew or past its
	// presigned expiry.
	CodeRequestExpired = "RequestExpired"
	// CodeAccessDenied: the signature is valid but not for this use.
	CodeAccessDenied = "AccessDenied"
	// CodeInvalidParameterValue: a malformed SASL payload, token or
	// parameter.
	CodeInvalidParameterValue = "InvalidParameterValue"
	// CodeInternalFailure: the key store failed.
	CodeInternalFailure = "InternalFailure"
)

// Error is a verification failure. Reason is short and safe to return to the
// client: it never contains a secret or the expected signature.
type Error struct {
	// Code is the AWS error code (one of the Code constants).
	Code string
	// Reason explains the failure.
	Reason string

	cause error
}

// Error returns "Code: Reason".
func (e *Error) Error() string { return e.Code + ": " + e.Reason }

// Unwrap returns the key store error behind an InternalFailure or
// InvalidClientTokenId, if any.
func (e *Error) Unwrap() error { return e.cause }

// StatusCode is the HTTP status AWS answers the error with.
func (e *Error) StatusCode() int {
	switch e.Code {
	case CodeIncompleteSignature, CodeInvalidParameterValue, CodeRequestExpired, CodeExpiredToken:
		return http.StatusBadRequest
	case CodeInternalFailure:
		return http.StatusInternalServerError
	default:
		return http.StatusForbidden
	}
}

func newError(code, reason string) *Error { return &Error{Code: code, Reason: reason} }

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) maxSkew() time.Duration {
	if v.MaxSkew > 0 {
		return v.MaxSkew
	}
	return DefaultMaxSkew
}

func hmacSHA256(key []byte, data string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(data))
	return h.Sum(nil)
}

// signingKey derives (or fetches from the cache) the SigV4 signing key.
func (v *Verifier) signingKey(secret, date, region, service string) []byte {
	size := v.CacheSize
	if size == 0 {
		size = DefaultCacheSize
	}
	var k cacheKey
	if size > 0 {
		k = cacheKey{secret: sha256.Sum256([]byte(secret)), date: date, region: region, service: service}
		v.mu.Lock()
		key, ok := v.cache[k]
		v.mu.Unlock()
		if ok {
			return key
		}
	}
	key := hmacSHA256([]byte("AWS4"+secret), date)
	key = hmacSHA256(key, region)
	key = hmacSHA256(key, service)
	key = hmacSHA256(key, "aws4_request")
	if size > 0 {
		v.mu.Lock()
		if v.cache == nil {
			v.cache = make(map[cacheKey][]byte)
		}
		if len(v.cache) >= size {
			// Evict an arbitrary entry; map iteration order is random.
			for old := range v.cache {
				delete(v.cache, old)
				break
			}
		}
		v.cache[k] = key
		v.mu.Unlock()
	}
	return key
}
