package iam

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafkalink/kafkalink/internal/sigv4"
)

// Lookup implements sigv4.Keys: the secret of an active access key.
// Inactive, deleted and expired keys are unknown to the verifier.
func (s *Service) Lookup(ctx context.Context, accessKeyID string) (sigv4.Credential, error) {
	k, err := s.AccessKey(ctx, accessKeyID)
	var ie *Error
	if errors.As(err, &ie) && ie.Code == "NoSuchEntity" || err == nil && k.Status != "Active" {
		return sigv4.Credential{}, fmt.Errorf("%w: %s", sigv4.ErrUnknownKey, accessKeyID)
	}
	if err != nil {
		return sigv4.Credential{}, err
	}
	secret, token, expires, err := s.Secret(ctx, accessKeyID)
	if err != nil {
		return sigv4.Credential{}, err
	}
	return sigv4.Credential{AccessKeyID: accessKeyID, SecretAccessKey: secret, SessionToken: token, Expires: expires}, nil
}
