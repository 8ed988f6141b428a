package iam

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kafkalink/kafkalink/internal/store"
)

// KeyEnv names the environment variable that may hold the key (base64, 32
// bytes) that encrypts secret access keys at rest.
const KeyEnv = "KAFKALINK_IAM_KEY"

// LoadKey returns the at-rest encryption key: from KeyEnv if set, else from
// DIR/iam.key, created (mode 0600) on first use.
func LoadKey(dir string) ([]byte, error) {
	if v := strings.TrimSpace(os.Getenv(KeyEnv)); v != "" {
		k, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("iam: %s must be 32 bytes of base64", KeyEnv)
		}
		return k, nil
	}
	path := filepath.Join(dir, "iam.key")
	b, err := os.ReadFile(path)
	if err == nil {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("iam: %s does not hold 32 bytes of base64", path)
		}
		return k, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("iam: %w", err)
	}
	k := make([]byte, 32)
	rand.Read(k)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	if err := os.WriteFile(path, []byte(base64.StdEncoding.EncodeToString(k)+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	return k, nil
}

// NewInDir is the IAM service over a store, with the at-rest key of a
// state directory (LoadKey).
func NewInDir(st store.Store, dir string) (*Service, error) {
	key, err := LoadKey(dir)
	if err != nil {
		return nil, err
	}
	return New(st, key, nil)
}

// sealer encrypts secrets with AES-256-GCM.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, errors.New("iam: the at-rest key must be 32 bytes")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("iam: %w", err)
	}
	return &sealer{aead: aead}, nil
}

// seal encrypts plaintext, binding it to aad (the access key id).
func (s *sealer) seal(plaintext, aad string) string {
	nonce := make([]byte, s.aead.NonceSize())
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(aad)))
}

func (s *sealer) open(sealed, aad string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < s.aead.NonceSize() {
		return "", errors.New("iam: sealed secret is malformed")
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, b[:n], b[n:], []byte(aad))
	if err != nil {
		return "", errors.New("iam: cannot decrypt a secret: wrong at-rest key?")
	}
	return string(pt), nil
}
