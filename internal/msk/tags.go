package msk

import (
	"context"
	"maps"
	"strings"

	"github.com/kafkalink/kafkalink/internal/iam"
)

// maxTags is how many tags a resource may carry.
const maxTags = 50

// checkTags validates tags as MSK does: keys of 1–128 characters not
// starting with "aws:", values of at most 256.
func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return badRequest("tags", "A resource can have at most %d tags.", maxTags)
	}
	for k, v := range tags {
		if k == "" || len(k) > 128 || strings.HasPrefix(strings.ToLower(k), "aws:") {
			return badRequest("tags", "The tag key %q is not valid: 1 to 128 characters, not starting with aws:.", k)
		}
		if len(v) > 256 {
			return badRequest("tags", "The value of tag %q is longer than 256 characters.", k)
		}
	}
	return nil
}

// Tags returns the tags of a cluster or VPC connection.
func (s *Service) Tags(ctx context.Context, caller iam.Caller, arn string) (map[string]string, error) {
	var out map[string]string
	err := s.tagged(ctx, caller, arn, "kafka:ListTagsForResource", func(tags map[string]string) (map[string]string, bool, error) {
		out = maps.Clone(tags)
		return nil, false, nil
	})
	if out == nil {
		out = map[string]string{}
	}
	return out, err
}

// Tag adds or replaces tags of a cluster or VPC connection.
func (s *Service) Tag(ctx context.Context, caller iam.Caller, arn string, add map[string]string) error {
	if err := checkTags(add); err != nil {
		return err
	}
	return s.tagged(ctx, caller, arn, "kafka:TagResource", func(tags map[string]string) (map[string]string, bool, error) {
		next := maps.Clone(tags)
		if next == nil {
			next = map[string]string{}
		}
		maps.Copy(next, add)
		if len(next) > maxTags {
			return nil, false, badRequest("tags", "A resource can have at most %d tags.", maxTags)
		}
		return next, true, nil
	})
}

// Untag removes tags (by key) of a cluster or VPC connection.
func (s *Service) Untag(ctx context.Context, caller iam.Caller, arn string, keys []string) error {
	return s.tagged(ctx, caller, arn, "kafka:UntagResource", func(tags map[string]string) (map[string]string, bool, error) {
		next := maps.Clone(tags)
		for _, k := range keys {
			delete(next, k)
		}
		return next, true, nil
	})
}

// tagged authorizes action on the resource named by arn and applies f to
// its tags, storing what f returns when it says so.
func (s *Service) tagged(ctx context.Context, caller iam.Caller, arn, action string, f func(map[string]string) (map[string]string, bool, error)) error {
	if strings.Contains(arn, ":vpc-connection/") {
		vc, rev, err := s.vpcConnection(ctx, arn)
		if err != nil {
			return err
		}
		if err := s.connAuthorize(ctx, caller, action, vc); err != nil {
			return err
		}
		next, store, err := f(vc.Tags)
		if err != nil || !store {
			return err
		}
		vc.Tags = next
		return s.putConn(ctx, vc, rev)
	}
	c, rev, err := s.cluster(ctx, arn)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, caller, action, c); err != nil {
		return err
	}
	next, store, err := f(c.Tags)
	if err != nil || !store {
		return err
	}
	c.Tags = next
	return s.putCluster(ctx, c, rev)
}
