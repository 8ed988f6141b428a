package route53

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// A VPC is associated with at most one zone of a name (the resolver of
// the VPC must know which zone answers). Each association claims the
// store key route53/vpcnames/<region>/<vpc id>/<zone name> before it is
// made, and releases it once it is undone, so that two zones of a name
// never both get a VPC, whatever runs at once. A claim whose zone does
// not hold the VPC is an association in progress, or one left half-done
// by a process that stopped: after claimGrace it is taken over.
const claimGrace = time.Minute

// claim is the value of a name claim: the zone, and when it was claimed.
type claim struct {
	Zone string    `json:"zone"`
	At   time.Time `json:"at"`
}

// nameKey is the key of a VPC's claim on a zone name.
func nameKey(v VPC, zoneName string) string {
	return vpcNamePrefix + v.Region + "/" + v.ID + "/" + zoneName
}

// claimName claims a zone name on a VPC for zone id, answering
// ConflictingDomainExists when another zone of the name has it.
func (s *Service) claimName(ctx context.Context, v VPC, zoneName, id string) error {
	key := nameKey(v, zoneName)
	mine, err := json.Marshal(claim{Zone: id, At: s.now().UTC()})
	if err != nil {
		return fmt.Errorf("route53: encode claim: %w", err)
	}
	for range maxCASRetries {
		_, ok, cur, err := s.st.CompareAndSwap(ctx, key, mine, 0)
		if err != nil {
			return fmt.Errorf("route53: claim %s: %w", key, err)
		}
		if ok {
			return nil
		}
		var c claim
		if json.Unmarshal(cur.Value, &c) == nil {
			if c.Zone == id {
				return nil
			}
			z, _, found, err := s.load(ctx, c.Zone)
			if err != nil {
				return err
			}
			if found && slices.Contains(z.VPCs, v) || s.now().Sub(c.At) < claimGrace {
				return errf(http.StatusBadRequest, CodeConflictingDomainExists,
					"The VPC %s in %s region has already been associated with the hosted zone %s with the same domain name.", v.ID, v.Region, c.Zone)
			}
		}
		if _, ok, _, err = s.st.CompareAndSwap(ctx, key, mine, cur.ModRevision); err != nil {
			return fmt.Errorf("route53: claim %s: %w", key, err)
		} else if ok {
			return nil
		}
	}
	return fmt.Errorf("route53: %s changed %d times under us", key, maxCASRetries)
}

// releaseName deletes a VPC's claim on a name if it is zone id's and the
// zone does not hold the VPC (any more, or yet): an association that runs
// alongside keeps it, and claims it again once it is done.
func (s *Service) releaseName(ctx context.Context, v VPC, zoneName, id string) {
	key := nameKey(v, zoneName)
	kv, ok, err := s.st.Get(ctx, key)
	var c claim
	if err != nil || !ok || json.Unmarshal(kv.Value, &c) != nil || c.Zone != id {
		return
	}
	if z, _, found, err := s.load(ctx, id); err != nil || found && slices.Contains(z.VPCs, v) {
		return
	}
	s.st.CompareAndDelete(ctx, key, kv.ModRevision)
}

// release deletes a key if it still holds value.
func (s *Service) release(ctx context.Context, key, value string) {
	if kv, ok, err := s.st.Get(ctx, key); err == nil && ok && string(kv.Value) == value {
		s.st.CompareAndDelete(ctx, key, kv.ModRevision)
	}
}
