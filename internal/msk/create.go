package msk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"

	"github.com/google/uuid"

	"github.com/kafkalink/kafkalink/internal/authz"
	"github.com/kafkalink/kafkalink/internal/iam"
)

// Request is what CreateClusterV2 asked for; it is kept with the record of
// a cluster kafkalink provisions itself, so that it can be provisioned
// again after a restart.
type Request struct {
	Identity       authz.Cluster `json:"identity"`
	Brokers        int           `json:"brokers"`
	Auth           ClientAuth    `json:"auth"`
	VpcID          string        `json:"vpcId"`
	Subnets        []string      `json:"subnets"`
	SubnetZones    []string      `json:"zoneIds"`
	SecurityGroups []string      `json:"securityGroups"`
	KafkaVersion   string        `json:"kafkaVersion"`
	// Serverless clusters have VPC configs instead of subnets: an
	// endpoint in each VPC.
	Serverless bool        `json:"serverless,omitempty"`
	VpcConfigs []VpcConfig `json:"vpcConfigs,omitempty"`
}

// VpcConfig is one VPC of a serverless cluster.
type VpcConfig struct {
	VpcID          string   `json:"vpcId"`
	Subnets        []string `json:"subnets"`
	ZoneIDs        []string `json:"zoneIds"`
	SecurityGroups []string `json:"securityGroups"`
}

// MaxServerlessVPCs is how many VPCs a serverless cluster may have.
const MaxServerlessVPCs = 5

// EnableProvisioning lets CreateClusterV2 create clusters (the embedded
// provisioner of kafkalink dev); without it, clusters come from the
// configuration only.
func (s *Service) EnableProvisioning() {
	s.mu.Lock()
	s.provisioning = true
	s.mu.Unlock()
}

var clusterName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,63}$`)

// mayCreate checks what every CreateClusterV2 needs: the caller's
// permission, a provisioner, a valid name and valid tags. It reports
// whether a cluster of that name exists.
func (s *Service) mayCreate(ctx context.Context, caller iam.Caller, name string, tags map[string]string) (exists bool, err error) {
	if err := s.decide(ctx, caller, "kafka:CreateClusterV2", "*", caller.Principal.Account, nil); err != nil {
		return false, err
	}
	s.mu.Lock()
	provisioning := s.provisioning
	_, exists = s.clusters[name]
	s.mu.Unlock()
	switch {
	case !provisioning:
		return false, badRequest("", "This kafkalink serves the clusters of its configuration; CreateClusterV2 needs the embedded provisioner (kafkalink dev).")
	case !clusterName.MatchString(name):
		return false, badRequest("clusterName", "The cluster name %q is not valid: 1 to 64 letters, digits and hyphens, starting with a letter.", name)
	}
	return exists, checkTags(tags)
}

// CreateClusterInput is a provisioned cluster CreateClusterV2 asks for.
type CreateClusterInput struct {
	Name           string
	Brokers        int
	Auth           ClientAuth
	Subnets        []string
	SecurityGroups []string
	KafkaVersion   string
	Tags           map[string]string
}

// CreateCluster records a provisioned cluster to create in the caller's
// account; it is CREATING until the provisioner has started it.
func (s *Service) CreateCluster(ctx context.Context, caller iam.Caller, in CreateClusterInput) (Cluster, error) {
	account := caller.Principal.Account
	exists, err := s.mayCreate(ctx, caller, in.Name, in.Tags)
	if err != nil {
		return Cluster{}, err
	}
	if in.Brokers < 1 || in.Brokers > 15 {
		return Cluster{}, badRequest("numberOfBrokerNodes", "numberOfBrokerNodes must be between 1 and 15.")
	}
	if len(in.Subnets) < 2 || len(in.Subnets) > 3 {
		return Cluster{}, badRequest("brokerNodeGroupInfo", "Specify two or three client subnets, each in another Availability Zone.")
	}
	if in.Brokers%len(in.Subnets) != 0 {
		return Cluster{}, badRequest("numberOfBrokerNodes", "The number of broker nodes must be a multiple of the number of client subnets (%d).", len(in.Subnets))
	}
	req := Request{Brokers: in.Brokers, Auth: in.Auth, Subnets: in.Subnets, SecurityGroups: in.SecurityGroups, KafkaVersion: in.KafkaVersion}
	if !req.Auth.IAM && !req.Auth.SCRAM && !req.Auth.TLS {
		req.Auth.Unauthenticated = true
	}
	vpc, zones, err := s.checkNetwork(ctx, account, "brokerNodeGroupInfo", in.Subnets, in.SecurityGroups)
	if err != nil {
		return Cluster{}, err
	}
	req.VpcID, req.SubnetZones = vpc, zones
	if exists {
		return Cluster{}, conflict("A cluster named %s already exists.", in.Name)
	}
	return s.request(ctx, in.Name, account, req, in.Tags)
}

// request records a cluster to provision.
func (s *Service) request(ctx context.Context, name, account string, req Request, tags map[string]string) (Cluster, error) {
	req.Identity = authz.Cluster{Name: name, Account: account, Region: s.region, UUID: uuid.NewString() + "-1"}
	rec := Cluster{State: StateCreating, Created: s.now().UTC(), CurrentVersion: newVersion(), Tags: tags, Request: &req}
	b, err := json.Marshal(rec)
	if err != nil {
		return Cluster{}, err
	}
	_, ok, _, err := s.st.CompareAndSwap(ctx, s.ClusterPrefix()+name, b, 0)
	if err != nil {
		return Cluster{}, err
	}
	if !ok {
		return Cluster{}, conflict("A cluster named %s already exists.", name)
	}
	rec.Spec = Spec{Identity: req.Identity}
	return rec, nil
}

// checkNetwork validates a cluster's subnets (one VPC, distinct zones) and
// security groups (in that VPC), returning the VPC and the subnets' zones.
func (s *Service) checkNetwork(ctx context.Context, account, param string, subnets, groups []string) (string, []string, error) {
	var vpcID string
	var zones []string
	seen := map[string]bool{}
	for _, id := range subnets {
		sn, err := s.net.Subnet(ctx, account, id)
		if err != nil {
			return "", nil, netErr(param, err)
		}
		if vpcID == "" {
			vpcID = sn.VpcID
		}
		if sn.VpcID != vpcID {
			return "", nil, badRequest(param, "The client subnets must be in one VPC.")
		}
		if seen[sn.ZoneID] {
			return "", nil, badRequest(param, "The client subnets must be in different Availability Zones.")
		}
		seen[sn.ZoneID] = true
		zones = append(zones, sn.ZoneID)
	}
	for _, id := range groups {
		vpc, err := s.net.SecurityGroupVpc(ctx, account, id)
		if err != nil {
			return "", nil, netErr(param, err)
		}
		if vpc != vpcID {
			return "", nil, badRequest(param, "The security group %s is not in the VPC %s.", id, vpcID)
		}
	}
	return vpcID, zones, nil
}

// ServerlessInput is a serverless cluster CreateClusterV2 asks for.
type ServerlessInput struct {
	Name       string
	VpcConfigs []VpcConfig // subnets and security groups; the rest is filled in
	IAM        bool        // clientAuthentication.sasl.iam.enabled
	Tags       map[string]string
}

// CreateServerless records a serverless cluster to create in the caller's
// account: IAM authentication only, an endpoint in each of its VPCs.
func (s *Service) CreateServerless(ctx context.Context, caller iam.Caller, in ServerlessInput) (Cluster, error) {
	account := caller.Principal.Account
	exists, err := s.mayCreate(ctx, caller, in.Name, in.Tags)
	if err != nil {
		return Cluster{}, err
	}
	switch {
	case !in.IAM:
		return Cluster{}, badRequest("clientAuthentication", "Serverless clusters support IAM client authentication only.")
	case len(in.VpcConfigs) < 1 || len(in.VpcConfigs) > MaxServerlessVPCs:
		return Cluster{}, badRequest("vpcConfigs", "Specify between 1 and %d VPC configurations.", MaxServerlessVPCs)
	case exists:
		return Cluster{}, conflict("A cluster named %s already exists.", in.Name)
	}
	req := Request{Serverless: true, Brokers: 3, Auth: ClientAuth{IAM: true}}
	vpcs := map[string]bool{}
	for _, vc := range in.VpcConfigs {
		if len(vc.Subnets) < 2 || len(vc.Subnets) > 16 {
			return Cluster{}, badRequest("vpcConfigs", "Each VPC configuration needs at least two subnets, in different Availability Zones.")
		}
		vpc, zones, err := s.checkNetwork(ctx, account, "vpcConfigs", vc.Subnets, vc.SecurityGroups)
		if err != nil {
			return Cluster{}, err
		}
		if vpcs[vpc] {
			return Cluster{}, badRequest("vpcConfigs", "The VPC %s is named by two VPC configurations.", vpc)
		}
		vpcs[vpc] = true
		vc.VpcID, vc.ZoneIDs = vpc, zones
		req.VpcConfigs = append(req.VpcConfigs, vc)
	}
	return s.request(ctx, in.Name, account, req, in.Tags)
}

// DeleteCluster marks a cluster kafkalink provisioned DELETING; the
// provisioner stops it and forgets it. Clusters of the configuration
// cannot be deleted, nor clusters that client VPC connections still use.
func (s *Service) DeleteCluster(ctx context.Context, caller iam.Caller, arn, currentVersion string) (Cluster, error) {
	c, rev, err := s.cluster(ctx, arn)
	if err != nil {
		return Cluster{}, err
	}
	if err := s.authorize(ctx, caller, "kafka:DeleteCluster", c); err != nil {
		return Cluster{}, err
	}
	if c.Request == nil {
		return Cluster{}, badRequest("clusterArn", "The cluster %s comes from kafkalink's configuration; remove it there.", arn)
	}
	if currentVersion != "" && currentVersion != c.CurrentVersion {
		return Cluster{}, badRequest("currentVersion", "The provided cluster version %q is not the current version of the cluster.", currentVersion)
	}
	conns, err := s.vpcConnections(ctx, nil)
	if err != nil {
		return Cluster{}, err
	}
	for _, vc := range conns {
		if vc.ClusterARN == arn && (vc.State == StateCreating || vc.State == StateAvailable) {
			return Cluster{}, badRequest("clusterArn", "The cluster has client VPC connections (%s); they must be rejected or deleted first.", vc.ARN)
		}
	}
	c.State = StateDeleting
	return c, s.putCluster(ctx, c, rev)
}

// Requested lists the clusters CreateClusterV2 asked for, with their
// state, for the provisioner.
func (s *Service) Requested(ctx context.Context) ([]Cluster, error) {
	kvs, _, err := s.st.List(ctx, s.ClusterPrefix())
	if err != nil {
		return nil, err
	}
	var out []Cluster
	for _, kv := range kvs {
		var c Cluster
		if err := json.Unmarshal(kv.Value, &c); err != nil {
			return nil, fmt.Errorf("msk: %s: %w", kv.Key, err)
		}
		if c.Request != nil {
			c.Spec.Identity = c.Request.Identity
			out = append(out, c)
		}
	}
	return out, nil
}

// Provisioned records that a requested cluster runs as its request says:
// its spec is known from now on and it is ACTIVE (after CREATING or
// UPDATING).
func (s *Service) Provisioned(ctx context.Context, spec Spec) error {
	s.mu.Lock()
	s.clusters[spec.Identity.Name] = spec
	s.mu.Unlock()
	for {
		c, rev, err := s.cluster(ctx, spec.Identity.ARN())
		if err != nil {
			return err
		}
		if c.State != StateCreating && c.State != StateUpdating {
			return nil
		}
		c.State, c.Operation = StateActive, ""
		err = s.putCluster(ctx, c, rev)
		var me *Error
		if !errors.As(err, &me) || me.Code != "ConflictException" {
			return err
		}
		// Changed meanwhile (a connectivity realizer's ACTIVE): look again.
	}
}

// Deprovisioned forgets a deleted cluster.
func (s *Service) Deprovisioned(ctx context.Context, name string) error {
	s.mu.Lock()
	delete(s.clusters, name)
	s.mu.Unlock()
	for _, key := range []string{s.ClusterPrefix() + name, authz.ClusterPolicyKey(name)} {
		if _, _, err := s.st.Delete(ctx, key); err != nil {
			return err
		}
	}
	return nil
}

// UpdateSecurity changes which client authentication a cluster kafkalink
// provisioned offers, to what change makes of the current one. A scheme
// with multi-VPC connectivity on cannot be turned off, nor every scheme at
// once.
func (s *Service) UpdateSecurity(ctx context.Context, caller iam.Caller, arn, currentVersion string, change func(ClientAuth) ClientAuth) (Cluster, error) {
	c, rev, err := s.cluster(ctx, arn)
	if err != nil {
		return Cluster{}, err
	}
	if err := s.authorize(ctx, caller, "kafka:UpdateSecurity", c); err != nil {
		return Cluster{}, err
	}
	if c.Request == nil {
		return Cluster{}, badRequest("clusterArn", "The client authentication of %s comes from kafkalink's configuration; change it there.", arn)
	}
	if c.Serverless {
		return Cluster{}, badRequest("clusterArn", "Serverless clusters support IAM client authentication only.")
	}
	if c.State != StateActive {
		return Cluster{}, badRequest("", "The cluster is in the %s state; it must be ACTIVE to update security.", c.State)
	}
	if currentVersion != c.CurrentVersion {
		return Cluster{}, badRequest("currentVersion", "The provided cluster version %q is not the current version of the cluster.", currentVersion)
	}
	auth := change(c.Auth)
	if !auth.IAM && !auth.SCRAM && !auth.TLS && !auth.Unauthenticated {
		return Cluster{}, badRequest("clientAuthentication", "At least one client authentication must stay enabled.")
	}
	for _, sc := range Schemes {
		if c.VpcConnectivity[sc] && !auth.Has(sc) {
			return Cluster{}, badRequest("clientAuthentication", "%s cannot be turned off while multi-VPC private connectivity uses it.", sc)
		}
	}
	c.Request.Auth = auth
	c.CurrentVersion = newVersion()
	c.State, c.Operation = StateUpdating, OperationUpdateSecurity // until the provisioner has opened and closed listeners
	return c, s.putCluster(ctx, c, rev)
}
