package ec2

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"unicode/utf8"
)

// Tag is a key and value on a VPC, subnet or security group.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// TagDescription is a tag with the resource it is on, as DescribeTags
// lists it.
type TagDescription struct {
	ResourceID   string
	ResourceType string // vpc, subnet, security-group
	Key          string
	Value        string
}

// TagSpecification is tags to put on a resource when it is created; its
// ResourceType must name the kind of resource the call creates.
type TagSpecification struct {
	ResourceType string
	Tags         []Tag
}

// Removal is a tag to delete: the key, and, if Value is not nil, only if
// the tag has that value.
type Removal struct {
	Key   string
	Value *string
}

// resourceType is the taggable resource type of an id.
func resourceType(id string) string {
	switch {
	case strings.HasPrefix(id, "vpc-"):
		return "vpc"
	case strings.HasPrefix(id, "subnet-"):
		return "subnet"
	case strings.HasPrefix(id, "sg-"):
		return "security-group"
	}
	return ""
}

// printable reports whether s is valid UTF-8 that XML can carry.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0xfffe || r == 0xffff {
			return false
		}
	}
	return true
}

func checkTag(t Tag) error {
	switch {
	case t.Key == "":
		return errf(CodeInvalidParameterValue, "Tag key cannot be empty")
	case utf8.RuneCountInString(t.Key) > 128:
		return errf(CodeInvalidParameterValue, "Tag key exceeds the maximum length of 128 characters")
	case utf8.RuneCountInString(t.Value) > 256:
		return errf(CodeInvalidParameterValue, "Tag value exceeds the maximum length of 256 characters")
	case !printable(t.Key) || !printable(t.Value):
		return errf(CodeInvalidParameterValue, "Tag keys and values must be valid UTF-8 text")
	case strings.HasPrefix(strings.ToLower(t.Key), "aws:"):
		return errf(CodeInvalidParameterValue, "Tag keys starting with 'aws:' are reserved for internal use")
	}
	return nil
}

// merge sets tags on a resource's tags, a later value for a key winning.
func merge(have, set []Tag) ([]Tag, error) {
	out := slices.Clone(have)
	for _, t := range set {
		if i := slices.IndexFunc(out, func(o Tag) bool { return o.Key == t.Key }); i >= 0 {
			out[i].Value = t.Value
		} else {
			out = append(out, t)
		}
	}
	if len(out) > maxTags {
		return nil, errf(CodeTagLimitExceeded, "The maximum number of Tags for a resource has been reached.")
	}
	slices.SortFunc(out, func(a, b Tag) int { return cmp.Compare(a.Key, b.Key) })
	return out, nil
}

// tagsOnCreate validates the tag specifications of a create call for
// resources of type kind and returns the tags they put on it.
func tagsOnCreate(kind string, specs []TagSpecification) ([]Tag, error) {
	var tags []Tag
	for _, sp := range specs {
		if sp.ResourceType == "" {
			return nil, missing("TagSpecification.ResourceType")
		}
		if sp.ResourceType != kind {
			return nil, errf(CodeInvalidParameterValue, "'%s' is not a valid taggable resource type for this operation.", sp.ResourceType)
		}
		if len(sp.Tags) == 0 {
			return nil, errf(CodeInvalidParameterValue, "Tag specification must have at least one tag")
		}
		for _, t := range sp.Tags {
			if err := checkTag(t); err != nil {
				return nil, err
			}
		}
		tags = append(tags, sp.Tags...)
	}
	return merge(nil, tags)
}

// tagsOf returns a pointer to the tags of a resource in a record, or nil.
func (r *record) tagsOf(id string) *[]Tag {
	if r.VPC.ID == id {
		return &r.VPC.Tags
	}
	if i := r.subnet(id); i >= 0 {
		return &r.Subnets[i].Tags
	}
	if i := r.group(id); i >= 0 {
		return &r.Groups[i].Tags
	}
	return nil
}

// byVPC groups resource ids by the VPC that holds them.
func (s *Service) byVPC(ctx context.Context, account string, ids []string) (map[string][]string, error) {
	for _, id := range ids {
		if resourceType(id) == "" {
			return nil, errf(CodeInvalidID, "The ID '%s' is not valid", id)
		}
		if err := CheckID("", id); err != nil {
			return nil, err
		}
	}
	recs, err := s.records(ctx, account)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, id := range ids {
		found := false
		for i := range recs {
			if recs[i].tagsOf(id) != nil {
				out[recs[i].VPC.ID] = append(out[recs[i].VPC.ID], id)
				found = true
				break
			}
		}
		if !found {
			return nil, notFound(id)
		}
	}
	return out, nil
}

// CreateTags adds or overwrites tags on resources of an account.
func (s *Service) CreateTags(ctx context.Context, account string, resources []string, tags []Tag) error {
	if len(resources) == 0 {
		return missing("ResourceId")
	}
	if len(tags) == 0 {
		return missing("Tag")
	}
	for _, t := range tags {
		if err := checkTag(t); err != nil {
			return err
		}
	}
	return s.editTags(ctx, account, resources, func(cur []Tag) ([]Tag, error) { return merge(cur, tags) })
}

// editTags replaces the tags of each of an account's resources with what
// edit makes of them, one VPC record at a time.
func (s *Service) editTags(ctx context.Context, account string, resources []string, edit func([]Tag) ([]Tag, error)) error {
	groups, err := s.byVPC(ctx, account, resources)
	if err != nil {
		return err
	}
	for vpcID, ids := range groups {
		err := s.update(ctx, account, vpcID, func(r *record) error {
			for _, id := range ids {
				p := r.tagsOf(id)
				if p == nil {
					return notFound(id)
				}
				next, err := edit(*p)
				if err != nil {
					return err
				}
				*p = next
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// DeleteTags removes tags from resources of an account; no removals means
// every tag.
func (s *Service) DeleteTags(ctx context.Context, account string, resources []string, removals []Removal) error {
	if len(resources) == 0 {
		return missing("ResourceId")
	}
	for _, rm := range removals {
		if rm.Key == "" {
			return errf(CodeInvalidParameterValue, "Tag key cannot be empty")
		}
	}
	return s.editTags(ctx, account, resources, func(cur []Tag) ([]Tag, error) {
		cur = slices.DeleteFunc(cur, func(t Tag) bool {
			if len(removals) == 0 {
				return true
			}
			return slices.ContainsFunc(removals, func(rm Removal) bool {
				return rm.Key == t.Key && (rm.Value == nil || *rm.Value == t.Value)
			})
		})
		if len(cur) == 0 {
			cur = nil
		}
		return cur, nil
	})
}

// Tags lists the tags on an account's resources that match the filters
// (key, value, resource-id, resource-type), by resource id and key.
func (s *Service) Tags(ctx context.Context, account string, filters ...Filter) ([]TagDescription, error) {
	if err := checkFilters(filters, tagFilters); err != nil {
		return nil, err
	}
	recs, err := s.records(ctx, account)
	if err != nil {
		return nil, err
	}
	var out []TagDescription
	add := func(id string, tags []Tag) {
		for _, t := range tags {
			d := TagDescription{ResourceID: id, ResourceType: resourceType(id), Key: t.Key, Value: t.Value}
			if matchAll(filters, func(name string) []string { return tagFilterValues(d, name) }) {
				out = append(out, d)
			}
		}
	}
	for _, r := range recs {
		add(r.VPC.ID, r.VPC.Tags)
		for _, sn := range r.Subnets {
			add(sn.ID, sn.Tags)
		}
		for _, g := range r.Groups {
			add(g.ID, g.Tags)
		}
	}
	slices.SortFunc(out, func(a, b TagDescription) int {
		return cmp.Or(cmp.Compare(a.ResourceID, b.ResourceID), cmp.Compare(a.Key, b.Key))
	})
	return out, nil
}

func tagFilterValues(d TagDescription, name string) []string {
	switch name {
	case "key":
		return []string{d.Key}
	case "value":
		return []string{d.Value}
	case "resource-id":
		return []string{d.ResourceID}
	case "resource-type":
		return []string{d.ResourceType}
	}
	return nil
}
