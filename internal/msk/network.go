package msk

import (
	"context"
	"errors"
	"fmt"

	"github.com/kafkalink/kafkalink/internal/ec2"
)

// EC2Network is the Network of kafkalink's own EC2.
type EC2Network struct{ EC2 *ec2.Service }

// Subnet implements Network.
func (n EC2Network) Subnet(ctx context.Context, account, id string) (Subnet, error) {
	sns, err := n.EC2.Subnets(ctx, account, []string{id})
	if err != nil || len(sns) == 0 {
		return Subnet{}, lookupErr("subnet", id, err)
	}
	return Subnet{ID: sns[0].ID, VpcID: sns[0].VPCID, ZoneID: sns[0].AvailabilityZoneID}, nil
}

// SecurityGroupVpc implements Network.
func (n EC2Network) SecurityGroupVpc(ctx context.Context, account, id string) (string, error) {
	gs, err := n.EC2.SecurityGroups(ctx, account, []string{id})
	if err != nil || len(gs) == 0 {
		return "", lookupErr("security group", id, err)
	}
	return gs[0].VPCID, nil
}

// VpcExists implements Network.
func (n EC2Network) VpcExists(ctx context.Context, account, id string) error {
	if _, err := n.EC2.VPC(ctx, account, id); err != nil {
		return lookupErr("VPC", id, err)
	}
	return nil
}

// lookupErr is a failed EC2 lookup (err, or nil when nothing was found)
// as MSK reports it: what does not exist (or is malformed) wraps
// ErrNotFound.
func lookupErr(what, id string, err error) error {
	var ee *ec2.Error
	if err == nil || errors.As(err, &ee) {
		return fmt.Errorf("the %s %s does not exist in your account: %w", what, id, ErrNotFound)
	}
	return err
}
