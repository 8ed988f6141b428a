package ec2

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// VPCWithSubnets is a VPC and its subnets.
type VPCWithSubnets struct {
	VPC
	Subnets []Subnet
}

// AllVPCs lists the VPCs of every account in the service's region, with
// their subnets: what realizes them on the network needs.
func (s *Service) AllVPCs(ctx context.Context) ([]VPCWithSubnets, error) {
	// Keys are ec2/<account>/<region>/vpc/<vpc-id>.
	kvs, _, err := s.st.List(ctx, WatchPrefix)
	if err != nil {
		return nil, fmt.Errorf("ec2: list VPCs: %w", err)
	}
	var out []VPCWithSubnets
	for _, kv := range kvs {
		rest, _ := strings.CutPrefix(kv.Key, WatchPrefix)
		_, rest, _ = strings.Cut(rest, "/") // the account
		if !strings.HasPrefix(rest, s.region+"/vpc/") {
			continue
		}
		var r record
		if err := json.Unmarshal(kv.Value, &r); err != nil {
			return nil, fmt.Errorf("ec2: decode %s: %w", kv.Key, err)
		}
		out = append(out, VPCWithSubnets{VPC: r.VPC, Subnets: r.Subnets})
	}
	return out, nil
}

// FindVPC returns a VPC of this region by id, whatever account owns it
// (VPC.Owner says which): what a service that accepts other accounts' VPCs
// (Route 53's VPC association authorizations) needs to look one up. A
// malformed id is InvalidVpcID.Malformed, an unknown one
// InvalidVpcID.NotFound.
func (s *Service) FindVPC(ctx context.Context, id string) (VPC, error) {
	if err := vpcKind.check(id); err != nil {
		return VPC{}, err
	}
	vpcs, err := s.AllVPCs(ctx)
	if err != nil {
		return VPC{}, err
	}
	for _, v := range vpcs {
		if v.ID == id {
			return v.VPC, nil
		}
	}
	return VPC{}, vpcNotFound(id)
}
