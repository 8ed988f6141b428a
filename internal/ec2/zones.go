package ec2

import "slices"

// AvailabilityZones returns the region's zones with the names and ids (all
// if none) that match the filters. A name or id the region does not have
// is InvalidParameterValue.
func (s *Service) AvailabilityZones(names, ids []string, filters ...Filter) ([]Zone, error) {
	if err := checkFilters(filters, zoneFilters); err != nil {
		return nil, err
	}
	for _, n := range names {
		if _, ok := s.zoneNamed(n); !ok {
			return nil, errf(CodeInvalidParameterValue, "Invalid availability zone: [%s]", n)
		}
	}
	for _, id := range ids {
		if _, ok := s.zoneWithID(id); !ok {
			return nil, errf(CodeInvalidParameterValue, "Invalid availability zone id: [%s]", id)
		}
	}
	var out []Zone
	for _, z := range s.zones {
		if (len(names) > 0 || len(ids) > 0) && !slices.Contains(names, z.Name) && !slices.Contains(ids, z.ID) {
			continue
		}
		if matchAll(filters, func(name string) []string { return s.zoneFilterValues(z, name) }) {
			out = append(out, z)
		}
	}
	return out, nil
}

func (s *Service) zoneFilterValues(z Zone, name string) []string {
	switch name {
	case "zone-name":
		return []string{z.Name}
	case "zone-id":
		return []string{z.ID}
	case "region-name", "group-name", "network-border-group":
		return []string{s.region}
	case "state":
		return []string{"available"}
	case "zone-type":
		return []string{"availability-zone"}
	case "opt-in-status":
		return []string{"opt-in-not-required"}
	}
	return nil
}
