package scram

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
)

// The SCRAM mechanisms kafkalink offers, named as in SaslHandshake.
const (
	SHA256 = "SCRAM-SHA-256"
	SHA512 = "SCRAM-SHA-512"
)

// Iteration bounds, as Kafka enforces them when credentials are altered
// (ScramMechanism.minIterations and ScramControlManager.MAX_ITERATIONS).
const (
	MinIterations = 4096
	MaxIterations = 16384
)

// Mechanisms lists the supported mechanisms in Kafka's type order.
func Mechanisms() []string { return []string{SHA256, SHA512} }

// mechanism is one SCRAM hash family.
type mechanism struct {
	name    string
	kafka   int8 // the mechanism's type in the Kafka SCRAM APIs
	newHash func() hash.Hash
	size    int // the hash's output size: salted password, keys, proof
}

var (
	mechSHA256 = &mechanism{name: SHA256, kafka: 1, newHash: sha256.New, size: sha256.Size}
	mechSHA512 = &mechanism{name: SHA512, kafka: 2, newHash: sha512.New, size: sha512.Size}
)

// lookupMechanism returns the mechanism with that SASL name, or nil.
func lookupMechanism(name string) *mechanism {
	switch name {
	case SHA256:
		return mechSHA256
	case SHA512:
		return mechSHA512
	}
	return nil
}

// mechanismOfType returns the mechanism with that Kafka type, or nil
// (0 is Kafka's UNKNOWN).
func mechanismOfType(t int8) *mechanism {
	switch t {
	case mechSHA256.kafka:
		return mechSHA256
	case mechSHA512.kafka:
		return mechSHA512
	}
	return nil
}

// MechanismType returns the Kafka type of a mechanism (1 for SCRAM-SHA-256,
// 2 for SCRAM-SHA-512), or 0 (UNKNOWN).
func MechanismType(name string) int8 {
	if m := lookupMechanism(name); m != nil {
		return m.kafka
	}
	return 0
}

// MechanismName returns the SASL name of a Kafka mechanism type, or "" for
// an unknown type.
func MechanismName(t int8) string {
	if m := mechanismOfType(t); m != nil {
		return m.name
	}
	return ""
}

func (m *mechanism) hmac(key []byte, parts ...[]byte) []byte {
	h := hmac.New(m.newHash, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func (m *mechanism) hash(b []byte) []byte {
	h := m.newHash()
	h.Write(b)
	return h.Sum(nil)
}

// keys derives StoredKey and ServerKey from a salted password:
// ClientKey = HMAC(SaltedPassword, "Client Key"), StoredKey = H(ClientKey),
// ServerKey = HMAC(SaltedPassword, "Server Key").
func (m *mechanism) keys(saltedPassword []byte) (storedKey, serverKey []byte) {
	clientKey := m.hmac(saltedPassword, []byte("Client Key"))
	storedKey = m.hash(clientKey)
	clear(clientKey)
	serverKey = m.hmac(saltedPassword, []byte("Server Key"))
	return storedKey, serverKey
}
