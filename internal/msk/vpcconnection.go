package msk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/kafkalink/kafkalink/internal/iam"
)

// CreateVpcConnectionInput is what a client account asks for.
type CreateVpcConnectionInput struct {
	ClusterARN     string
	Auth           Scheme
	VpcID          string
	Subnets        []string
	SecurityGroups []string
	Tags           map[string]string
}

// CreateVpcConnection opens a client account's managed VPC connection into
// a cluster. The caller needs kafka:CreateVpcConnection on the cluster
// (from another account: in its identity policy and in the cluster
// policy) and ec2:CreateVPCEndpoint. The connection starts CREATING; it is
// AVAILABLE once its endpoint is open.
func (s *Service) CreateVpcConnection(ctx context.Context, caller iam.Caller, in CreateVpcConnectionInput) (VpcConnection, error) {
	c, _, err := s.cluster(ctx, in.ClusterARN)
	if err != nil {
		var me *Error
		if errors.As(err, &me) {
			me.Parameter = "targetClusterArn"
		}
		return VpcConnection{}, err
	}
	account := caller.Principal.Account
	if err := s.authorize(ctx, caller, "kafka:CreateVpcConnection", c); err != nil {
		return VpcConnection{}, err
	}
	if err := s.decide(ctx, caller, "ec2:CreateVPCEndpoint", "*", account, nil); err != nil {
		return VpcConnection{}, err
	}
	if c.Serverless {
		return VpcConnection{}, badRequest("targetClusterArn", "Managed VPC connections are for provisioned clusters.")
	}
	if c.Identity.Region != s.region {
		return VpcConnection{}, badRequest("targetClusterArn", "Multi-VPC private connectivity isn't supported across Regions.")
	}
	if c.State != StateActive {
		return VpcConnection{}, badRequest("targetClusterArn", "The cluster is in the %s state; it must be ACTIVE.", c.State)
	}
	if err := checkTags(in.Tags); err != nil {
		return VpcConnection{}, err
	}
	switch in.Auth {
	case SchemeIAM, SchemeSCRAM, SchemeTLS:
	default:
		return VpcConnection{}, badRequest("authentication", "The authentication %q is not valid; use SASL_IAM, SASL_SCRAM or TLS.", in.Auth)
	}
	if !c.VpcConnectivity[in.Auth] {
		return VpcConnection{}, badRequest("authentication", "Multi-VPC private connectivity is not turned on for %s on the cluster.", in.Auth)
	}
	if err := s.net.VpcExists(ctx, account, in.VpcID); err != nil {
		return VpcConnection{}, netErr("vpcId", err)
	}
	if len(in.Subnets) < 2 {
		return VpcConnection{}, badRequest("clientSubnets", "Specify at least two subnets, in Availability Zones the cluster uses.")
	}
	zones := map[string]bool{}
	for _, z := range c.ZoneIDs {
		zones[z] = true
	}
	used := map[string]string{}
	for _, id := range in.Subnets {
		sn, err := s.net.Subnet(ctx, account, id)
		if err != nil {
			return VpcConnection{}, netErr("clientSubnets", err)
		}
		if sn.VpcID != in.VpcID {
			return VpcConnection{}, badRequest("clientSubnets", "The subnet %s is not in the VPC %s.", id, in.VpcID)
		}
		if !zones[sn.ZoneID] {
			return VpcConnection{}, badRequest("clientSubnets", "The subnet %s is in Availability Zone %s, which the cluster doesn't use (%s).", id, sn.ZoneID, strings.Join(c.ZoneIDs, ", "))
		}
		if other, dup := used[sn.ZoneID]; dup {
			return VpcConnection{}, badRequest("clientSubnets", "The subnets %s and %s are in the same Availability Zone %s.", other, id, sn.ZoneID)
		}
		used[sn.ZoneID] = id
	}
	if len(in.SecurityGroups) == 0 {
		return VpcConnection{}, badRequest("securityGroups", "Specify at least one security group.")
	}
	for _, id := range in.SecurityGroups {
		vpc, err := s.net.SecurityGroupVpc(ctx, account, id)
		if err != nil {
			return VpcConnection{}, netErr("securityGroups", err)
		}
		if vpc != in.VpcID {
			return VpcConnection{}, badRequest("securityGroups", "The security group %s is not in the VPC %s.", id, in.VpcID)
		}
	}
	id := uuid.NewString()
	vc := VpcConnection{
		ARN:   fmt.Sprintf("arn:aws:kafka:%s:%s:vpc-connection/%s/%s/%s", s.region, account, c.Identity.Account, c.Identity.Name, id),
		ID:    id,
		Owner: account, ClusterARN: in.ClusterARN, Cluster: c.Identity.Name, Auth: in.Auth, VpcID: in.VpcID,
		Subnets: in.Subnets, SecurityGroups: in.SecurityGroups, State: StateCreating, Created: s.now().UTC(), Tags: in.Tags,
	}
	b, err := json.Marshal(vc)
	if err != nil {
		return VpcConnection{}, err
	}
	if _, err := s.st.Put(ctx, s.VpcConnectionPrefix()+id, b); err != nil {
		return VpcConnection{}, err
	}
	return vc, nil
}

// netErr turns a Network lookup failure into MSK's answer.
func netErr(param string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return badRequest(param, "%s", err.Error())
	}
	return err
}

// vpcConnections lists the region's VPC connections that keep selects
// (nil: all of them).
func (s *Service) vpcConnections(ctx context.Context, keep func(VpcConnection) bool) ([]VpcConnection, error) {
	kvs, _, err := s.st.List(ctx, s.VpcConnectionPrefix())
	if err != nil {
		return nil, err
	}
	out := make([]VpcConnection, 0, len(kvs))
	for _, kv := range kvs {
		var vc VpcConnection
		if err := json.Unmarshal(kv.Value, &vc); err != nil {
			return nil, fmt.Errorf("msk: %s: %w", kv.Key, err)
		}
		if keep == nil || keep(vc) {
			out = append(out, vc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// VpcConnections lists every VPC connection (for the realizer).
func (s *Service) VpcConnections(ctx context.Context) ([]VpcConnection, error) {
	return s.vpcConnections(ctx, nil)
}

// vpcConnection finds a VPC connection by ARN, with its revision.
func (s *Service) vpcConnection(ctx context.Context, arn string) (VpcConnection, int64, error) {
	parts := strings.Split(arn, "/")
	if !strings.HasPrefix(arn, "arn:aws:kafka:") || !strings.Contains(arn, ":vpc-connection/") || len(parts) != 4 {
		return VpcConnection{}, 0, badRequest("arn", "The VPC connection ARN %q is not valid.", arn)
	}
	if _, err := uuid.Parse(parts[3]); err != nil {
		return VpcConnection{}, 0, badRequest("arn", "The VPC connection ARN %q is not valid.", arn)
	}
	kv, ok, err := s.st.Get(ctx, s.VpcConnectionPrefix()+parts[3])
	if err != nil {
		return VpcConnection{}, 0, err
	}
	var vc VpcConnection
	if ok {
		if err := json.Unmarshal(kv.Value, &vc); err != nil {
			return VpcConnection{}, 0, err
		}
	}
	if !ok || vc.ARN != arn {
		return VpcConnection{}, 0, notFound("arn", "The VPC connection %s does not exist.", arn)
	}
	return vc, kv.ModRevision, nil
}

// connAuthorize decides a call on a VPC connection the caller's account
// owns.
func (s *Service) connAuthorize(ctx context.Context, caller iam.Caller, action string, vc VpcConnection) error {
	if vc.Owner != caller.Principal.Account {
		return notFound("arn", "The VPC connection %s does not exist.", vc.ARN)
	}
	return s.decide(ctx, caller, action, vc.ARN, vc.Owner, nil)
}

// DescribeVpcConnection returns one of the caller's account's VPC
// connections.
func (s *Service) DescribeVpcConnection(ctx context.Context, caller iam.Caller, arn string) (VpcConnection, error) {
	vc, _, err := s.vpcConnection(ctx, arn)
	if err != nil {
		return VpcConnection{}, err
	}
	return vc, s.connAuthorize(ctx, caller, "kafka:DescribeVpcConnection", vc)
}

// ListVpcConnections lists the caller's account's VPC connections.
func (s *Service) ListVpcConnections(ctx context.Context, caller iam.Caller) ([]VpcConnection, error) {
	if err := s.decide(ctx, caller, "kafka:ListVpcConnections", "*", caller.Principal.Account, nil); err != nil {
		return nil, err
	}
	return s.vpcConnections(ctx, func(vc VpcConnection) bool { return vc.Owner == caller.Principal.Account })
}

// ListClientVpcConnections lists the VPC connections into a cluster, for
// its owner.
func (s *Service) ListClientVpcConnections(ctx context.Context, caller iam.Caller, arn string) ([]VpcConnection, error) {
	c, _, err := s.cluster(ctx, arn)
	if err != nil {
		return nil, err
	}
	if err := s.authorize(ctx, caller, "kafka:ListClientVpcConnections", c); err != nil {
		return nil, err
	}
	return s.vpcConnections(ctx, func(vc VpcConnection) bool { return vc.ClusterARN == arn })
}

// RejectClientVpcConnection lets a cluster's owner reject a client's VPC
// connection: its endpoint and live sessions close.
func (s *Service) RejectClientVpcConnection(ctx context.Context, caller iam.Caller, clusterARN, arn string) error {
	c, _, err := s.cluster(ctx, clusterARN)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, caller, "kafka:RejectClientVpcConnection", c); err != nil {
		return err
	}
	vc, rev, err := s.vpcConnection(ctx, arn)
	if err != nil {
		return err
	}
	if vc.ClusterARN != clusterARN {
		return notFound("vpcConnectionArn", "The VPC connection %s is not a connection to the cluster %s.", arn, clusterARN)
	}
	if vc.State == StateRejected {
		return badRequest("vpcConnectionArn", "The VPC connection %s is already rejected.", arn)
	}
	vc.State, vc.Bootstrap = StateRejected, ""
	return s.putConn(ctx, vc, rev)
}

// DeleteVpcConnection deletes one of the caller's account's VPC
// connections; its endpoint and live sessions close.
func (s *Service) DeleteVpcConnection(ctx context.Context, caller iam.Caller, arn string) (VpcConnection, error) {
	vc, rev, err := s.vpcConnection(ctx, arn)
	if err != nil {
		return VpcConnection{}, err
	}
	if err := s.connAuthorize(ctx, caller, "kafka:DeleteVpcConnection", vc); err != nil {
		return VpcConnection{}, err
	}
	_, ok, err := s.st.CompareAndDelete(ctx, s.VpcConnectionPrefix()+vc.ID, rev)
	if err != nil {
		return VpcConnection{}, err
	}
	if !ok {
		return VpcConnection{}, conflict("The VPC connection changed while the request was processed; retry.")
	}
	vc.State = StateDeleting
	return vc, nil
}

// SetVpcConnectionState records what realizing a connection gave: its
// bootstrap string and AVAILABLE, or FAILED and why. A connection that
// was rejected or deleted meanwhile is left alone.
func (s *Service) SetVpcConnectionState(ctx context.Context, arn, state, bootstrap, reason string) error {
	vc, rev, err := s.vpcConnection(ctx, arn)
	if err != nil {
		return err
	}
	if vc.State != StateCreating && vc.State != StateAvailable {
		return nil
	}
	vc.State, vc.Bootstrap, vc.Reason = state, bootstrap, reason
	return s.putConn(ctx, vc, rev)
}

func (s *Service) putConn(ctx context.Context, vc VpcConnection, rev int64) error {
	b, err := json.Marshal(vc)
	if err != nil {
		return err
	}
	_, ok, _, err := s.st.CompareAndSwap(ctx, s.VpcConnectionPrefix()+vc.ID, b, rev)
	if err != nil {
		return err
	}
	if !ok {
		return conflict("The VPC connection changed while the request was processed; retry.")
	}
	return nil
}
