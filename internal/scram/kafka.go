package scram

// The Kafka SCRAM credential APIs, answered by kafkalink for the cluster a
// client reached, never forwarded upstream.
//
// DescribeUserScramCredentials (key 50): as a KRaft broker answers it from
// its metadata image (ScramImage.describe). No users (null or empty) means
// every user with a credential. Per user: DUPLICATE_RESOURCE for a user
// named twice, RESOURCE_NOT_FOUND for a user without credentials, else the
// mechanisms and iteration counts.
//
// AlterUserScramCredentials (key 51): as the KRaft controller does
// (ScramControlManager.alterCredentials). A user may appear once across
// deletions and upsertions (DUPLICATE_RESOURCE otherwise, and the user's
// other entries are dropped); an empty name is UNACCEPTABLE_CREDENTIAL, an
// unknown mechanism UNSUPPORTED_SASL_MECHANISM, iterations outside
// 4096..16384 UNACCEPTABLE_CREDENTIAL, deleting a missing credential
// RESOURCE_NOT_FOUND. kafkalink also refuses an empty or oversized salt and
// a salted password whose length is not the hash's, which no client
// produces. Users whose entry is valid are applied one by one; Kafka
// applies them in one metadata batch.
//
// Authorizing the request (ALTER or DESCRIBE on the cluster) is the
// gateway's, before these handlers run.

import (
	"context"
	"errors"
	"slices"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka's messages.
const (
	msgAlterDuplicate    = "A user credential cannot be altered twice in the same request"
	msgDeleteMissing     = "Attempt to delete a user credential that does not exist"
	msgDescribeDuplicate = "Cannot describe SCRAM credentials for the same user twice in a single request: "
	msgDescribeMissing   = "Attempt to describe a user credential that does not exist: "
)

// apiError is a per-user error of the SCRAM APIs.
type apiError struct {
	code int16
	msg  string
}

// toAPIError maps an error of this package to the code and message a
// Kafka broker would answer. Unexpected failures say no more than Kafka's
// UNKNOWN_SERVER_ERROR does.
func toAPIError(err error) apiError {
	var ie *invalidError
	switch {
	case errors.As(err, &ie) && errors.Is(ie.kind, ErrUnsupportedMechanism):
		return apiError{kerr.UnsupportedSaslMechanism.Code, ie.msg}
	case errors.As(err, &ie):
		return apiError{kerr.UnacceptableCredential.Code, ie.msg}
	case errors.Is(err, ErrNotFound):
		return apiError{kerr.ResourceNotFound.Code, msgDeleteMissing}
	}
	return apiError{kerr.UnknownServerError.Code, kerr.UnknownServerError.Description}
}

// HandleAlter answers an AlterUserScramCredentials request for the
// cluster. Results come in the order users first appear in the request,
// deletions before upsertions.
func (c *Credentials) HandleAlter(ctx context.Context, cluster string, req *kmsg.AlterUserSCRAMCredentialsRequest) *kmsg.AlterUserSCRAMCredentialsResponse {
	resp := req.ResponseKind().(*kmsg.AlterUserSCRAMCredentialsResponse)
	var order []string
	seen := make(map[string]bool)
	note := func(name string) {
		if !seen[name] {
			seen[name] = true
			order = append(order, name)
		}
	}
	errs := make(map[string]apiError)
	dels := make(map[string]kmsg.AlterUserSCRAMCredentialsRequestDeletion)
	ups := make(map[string]kmsg.AlterUserSCRAMCredentialsRequestUpsertion)

	for _, d := range req.Deletions {
		note(d.Name)
		if _, failed := errs[d.Name]; failed {
			continue
		}
		if _, twice := dels[d.Name]; twice {
			delete(dels, d.Name)
			errs[d.Name] = apiError{kerr.DuplicateResource.Code, msgAlterDuplicate}
			continue
		}
		if err := c.validateDeletion(ctx, cluster, d); err != nil {
			errs[d.Name] = toAPIError(err)
			continue
		}
		dels[d.Name] = d
	}
	for _, u := range req.Upsertions {
		note(u.Name)
		if _, failed := errs[u.Name]; failed {
			continue
		}
		_, deleted := dels[u.Name]
		_, upserted := ups[u.Name]
		if deleted || upserted {
			delete(dels, u.Name)
			delete(ups, u.Name)
			errs[u.Name] = apiError{kerr.DuplicateResource.Code, msgAlterDuplicate}
			continue
		}
		if _, err := validateUpsert(u.Name, MechanismName(u.Mechanism), int(u.Iterations), u.Salt, u.SaltedPassword); err != nil {
			errs[u.Name] = toAPIError(err)
			continue
		}
		ups[u.Name] = u
	}

	for _, name := range order {
		var err error
		if d, ok := dels[name]; ok {
			err = c.Delete(ctx, cluster, name, MechanismName(d.Mechanism))
		} else if u, ok := ups[name]; ok {
			err = c.Upsert(ctx, cluster, name, MechanismName(u.Mechanism), int(u.Iterations), u.Salt, u.SaltedPassword)
		}
		if err != nil {
			e := toAPIError(err)
			if e.code == kerr.UnknownServerError.Code {
				c.log.ErrorContext(ctx, "scram: alter user credentials", "cluster", cluster, "user", name, "err", err)
			}
			errs[name] = e
		}
		r := kmsg.NewAlterUserSCRAMCredentialsResponseResult()
		r.User = name
		if e, ok := errs[name]; ok {
			r.ErrorCode = e.code
			r.ErrorMessage = kmsg.StringPtr(e.msg)
		}
		resp.Results = append(resp.Results, r)
	}
	return resp
}

// validateDeletion checks a deletion as Kafka does, existence included.
func (c *Credentials) validateDeletion(ctx context.Context, cluster string, d kmsg.AlterUserSCRAMCredentialsRequestDeletion) error {
	m, err := validateName(d.Name, MechanismName(d.Mechanism))
	if err != nil {
		return err
	}
	ok, err := c.exists(ctx, cluster, d.Name, m)
	if err != nil {
		c.log.ErrorContext(ctx, "scram: alter user credentials", "cluster", cluster, "user", d.Name, "err", err)
		return err
	}
	if !ok {
		return ErrNotFound
	}
	return nil
}

// HandleDescribe answers a DescribeUserScramCredentials request for the
// cluster. Results come in request order, or ordered by user name when
// every user is described.
func (c *Credentials) HandleDescribe(ctx context.Context, cluster string, req *kmsg.DescribeUserSCRAMCredentialsRequest) *kmsg.DescribeUserSCRAMCredentialsResponse {
	resp := req.ResponseKind().(*kmsg.DescribeUserSCRAMCredentialsResponse)
	var names []string // nil: every user
	count := make(map[string]int)
	for _, u := range req.Users {
		if count[u.Name] == 0 {
			names = append(names, u.Name)
		}
		count[u.Name]++
	}
	infos, err := c.Describe(ctx, cluster, names)
	if err != nil {
		c.log.ErrorContext(ctx, "scram: describe user credentials", "cluster", cluster, "err", err)
		resp.ErrorCode = kerr.UnknownServerError.Code
		resp.ErrorMessage = kmsg.StringPtr(kerr.UnknownServerError.Description)
		return resp
	}
	if names == nil {
		for name := range infos {
			names = append(names, name)
		}
		slices.Sort(names)
	}
	for _, name := range names {
		r := kmsg.NewDescribeUserSCRAMCredentialsResponseResult()
		r.User = name
		switch {
		case count[name] > 1:
			r.ErrorCode = kerr.DuplicateResource.Code
			r.ErrorMessage = kmsg.StringPtr(msgDescribeDuplicate + name)
		case len(infos[name]) == 0:
			r.ErrorCode = kerr.ResourceNotFound.Code
			r.ErrorMessage = kmsg.StringPtr(msgDescribeMissing + name)
		default:
			for _, mi := range infos[name] {
				ci := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
				ci.Mechanism = MechanismType(mi.Mechanism)
				ci.Iterations = int32(mi.Iterations)
				r.CredentialInfos = append(r.CredentialInfos, ci)
			}
		}
		resp.Results = append(resp.Results, r)
	}
	return resp
}
