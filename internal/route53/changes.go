package route53

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/iam"
)

// StatusInsync is the status of every change: kafkalink applies a change
// before it answers, and the DNS server serves it from the store.
const StatusInsync = "INSYNC"

// ChangeInfo is a change as GetChange reports it.
type ChangeInfo struct {
	ID        string    `json:"id"` // C and 20 upper-case letters and digits
	Owner     string    `json:"owner"`
	Status    string    `json:"status"`
	Submitted time.Time `json:"submitted"`
	Comment   string    `json:"comment,omitempty"`
}

// How long GetChange knows a change, and how often (in changes recorded)
// this process forgets older ones.
const (
	changeRetention = 30 * 24 * time.Hour
	sweepEvery      = 256
)

// begin records a change of the caller's account before it is applied;
// the change is forgotten again (abort) if applying it fails.
func (s *Service) begin(ctx context.Context, owner, comment string) (ChangeInfo, error) {
	ci := ChangeInfo{ID: newID("C"), Owner: owner, Status: StatusInsync, Submitted: s.now().UTC(), Comment: comment}
	b, err := json.Marshal(ci)
	if err != nil {
		return ChangeInfo{}, fmt.Errorf("route53: encode change: %w", err)
	}
	_, ok, _, err := s.st.CompareAndSwap(ctx, changesPrefix+ci.ID, b, 0)
	if err == nil && !ok {
		err = errors.New("the id is taken")
	}
	if err != nil {
		return ChangeInfo{}, fmt.Errorf("route53: record change %s: %w", ci.ID, err)
	}
	if s.changes.Add(1)%sweepEvery == 0 {
		s.sweep(ctx) // best effort: a change kept too long does no harm
	}
	return ci, nil
}

// abort forgets a change that was not applied.
func (s *Service) abort(ctx context.Context, ci ChangeInfo) {
	s.st.Delete(ctx, changesPrefix+ci.ID)
}

// sweep forgets changes older than the retention.
func (s *Service) sweep(ctx context.Context) {
	kvs, _, err := s.st.List(ctx, changesPrefix)
	if err != nil {
		return
	}
	cutoff := s.now().Add(-changeRetention)
	for _, kv := range kvs {
		var ci ChangeInfo
		if json.Unmarshal(kv.Value, &ci) == nil && ci.Submitted.Before(cutoff) {
			s.st.CompareAndDelete(ctx, kv.Key, kv.ModRevision)
		}
	}
}

// GetChange returns one of the caller's account's changes (id bare or as
// /change/<id>).
func (s *Service) GetChange(ctx context.Context, caller iam.Caller, id string) (ChangeInfo, error) {
	id = strings.TrimPrefix(id, "/change/")
	if id == "" {
		return ChangeInfo{}, invalidInput("1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must not be null")
	}
	if len(id) > 6500 {
		return ChangeInfo{}, invalidInput("1 validation error detected: Value at 'id' failed to satisfy constraint: Member must have length less than or equal to 6500")
	}
	if err := s.authorize(ctx, caller, "GetChange", "arn:aws:route53:::change/"+id); err != nil {
		return ChangeInfo{}, err
	}
	missing := errf(http.StatusNotFound, CodeNoSuchChange, "A change with the specified change ID does not exist.")
	if strings.ContainsFunc(id, func(r rune) bool { return (r < 'A' || r > 'Z') && (r < '0' || r > '9') }) {
		return ChangeInfo{}, missing
	}
	kv, ok, err := s.st.Get(ctx, changesPrefix+id)
	if err != nil {
		return ChangeInfo{}, fmt.Errorf("route53: read change %s: %w", id, err)
	}
	if !ok {
		return ChangeInfo{}, missing
	}
	var ci ChangeInfo
	if err := json.Unmarshal(kv.Value, &ci); err != nil {
		return ChangeInfo{}, fmt.Errorf("route53: decode change %s: %w", id, err)
	}
	if ci.Owner != caller.Principal.Account {
		return ChangeInfo{}, missing
	}
	return ci, nil
}
