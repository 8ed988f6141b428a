// Package msk is kafkalink's MSK control plane: the clusters kafkalink
// fronts as MSK describes them (ARN, state, client authentication, zones,
// multi-VPC connectivity, currentVersion), their cluster policies, and the
// managed VPC connections client accounts open into them. Every operation
// is authorized by the policy engine with the caller's identity policies
// and, for a cluster's resources, the cluster policy (cross-account calls
// need both). What the records ask for is realized elsewhere: the daemon
// watches the store and opens or closes endpoints.
package msk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kafkalink/kafkalink/internal/authz"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/policy"
	"github.com/kafkalink/kafkalink/internal/store"
)

// Scheme is a client authentication scheme as VPC connections name it.
type Scheme string

// The schemes multi-VPC connectivity supports.
const (
	SchemeIAM   Scheme = "SASL_IAM"
	SchemeSCRAM Scheme = "SASL_SCRAM"
	SchemeTLS   Scheme = "TLS"
)

// Schemes lists the schemes in MSK's order.
var Schemes = []Scheme{SchemeIAM, SchemeSCRAM, SchemeTLS}

// Cluster states and VPC connection states, as MSK names them.
const (
	StateActive    = "ACTIVE"
	StateUpdating  = "UPDATING"
	StateCreating  = "CREATING"
	StateAvailable = "AVAILABLE"
	StateRejected  = "REJECTED"
	StateDeleting  = "DELETING"
	StateFailed    = "FAILED"
)

// What a cluster is UPDATING for, as MSK names its cluster operations.
// The operation says who returns the cluster to ACTIVE: the provisioner
// for UpdateSecurity, the connectivity realizer for UpdateConnectivity.
const (
	OperationUpdateConnectivity = "UPDATE_CONNECTIVITY"
	OperationUpdateSecurity     = "UPDATE_SECURITY"
)

// ClientAuth is which client authentication a cluster offers.
type ClientAuth struct {
	IAM, SCRAM, TLS, Unauthenticated bool
}

// Has reports whether the cluster offers a scheme.
func (a ClientAuth) Has(s Scheme) bool {
	switch s {
	case SchemeIAM:
		return a.IAM
	case SchemeSCRAM:
		return a.SCRAM
	case SchemeTLS:
		return a.TLS
	}
	return false
}

// Spec is what the configuration says of a provisioned cluster.
type Spec struct {
	Identity       authz.Cluster
	KafkaVersion   string
	Brokers        int
	Auth           ClientAuth
	ACLsInForce    bool // allow.everyone.if.no.acl.found is false
	Subnets        []string
	SecurityGroups []string
	ZoneIDs        []string // the AZ ids of Subnets
	// Bootstrap returns the bootstrap string of the cluster's own listener
	// set for a scheme ("PLAINTEXT" for unauthenticated), "" if none.
	Bootstrap func(scheme string) string
	// Nodes lists the live brokers and the hosts of their own listeners.
	Nodes func() []Node
	// Serverless clusters have VPC configs (an endpoint in each) and no
	// subnets of their own.
	Serverless bool
	VpcConfigs []VpcConfig
}

// Node is one broker of a cluster.
type Node struct {
	ID    int32
	Hosts []string // where the cluster's own listeners serve it
}

// Cluster is a cluster's record: its spec and what the control plane
// changes.
type Cluster struct {
	Spec            `json:"-"`
	State           string            `json:"state"`
	Created         time.Time         `json:"created"`
	CurrentVersion  string            `json:"currentVersion"`
	VpcConnectivity map[Scheme]bool   `json:"vpcConnectivity,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	// Operation is what an UPDATING cluster waits for (an Operation
	// constant), "" in every other state.
	Operation string `json:"operation,omitempty"`
	// Request is set for clusters CreateClusterV2 created.
	Request *Request `json:"request,omitempty"`
}

// VpcConnection is a client account's managed VPC connection.
type VpcConnection struct {
	ARN            string            `json:"arn"`
	ID             string            `json:"id"`
	Owner          string            `json:"owner"` // the client account
	ClusterARN     string            `json:"clusterArn"`
	Cluster        string            `json:"cluster"`
	Auth           Scheme            `json:"authentication"`
	VpcID          string            `json:"vpcId"`
	Subnets        []string          `json:"subnets"`
	SecurityGroups []string          `json:"securityGroups"`
	State          string            `json:"state"`
	Created        time.Time         `json:"created"`
	Tags           map[string]string `json:"tags,omitempty"`
	// Bootstrap is the endpoint's bootstrap string once it is open.
	Bootstrap string `json:"bootstrap,omitempty"`
	Reason    string `json:"reason,omitempty"` // why it FAILED
}

// Subnet is what MSK needs to know of a client subnet.
type Subnet struct {
	ID, VpcID, ZoneID string
}

// Network looks up a client account's networks (EC2).
type Network interface {
	// Subnet returns an account's subnet, or an error wrapping
	// ErrNotFound.
	Subnet(ctx context.Context, account, id string) (Subnet, error)
	// SecurityGroupVpc returns the VPC of an account's security group,
	// or an error wrapping ErrNotFound.
	SecurityGroupVpc(ctx context.Context, account, id string) (string, error)
	// VpcExists returns an error wrapping ErrNotFound if the account has
	// no such VPC.
	VpcExists(ctx context.Context, account, id string) error
}

// ErrNotFound is wrapped by Network lookups of what does not exist.
var ErrNotFound = errors.New("not found")

// Error is an MSK API error: its HTTP status, its name and message.
type Error struct {
	Status    int
	Code      string
	Message   string
	Parameter string // invalidParameter, when one parameter is at fault
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func badRequest(param, format string, a ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "BadRequestException", Message: fmt.Sprintf(format, a...), Parameter: param}
}

func notFound(param, format string, a ...any) *Error {
	return &Error{Status: http.StatusNotFound, Code: "NotFoundException", Message: fmt.Sprintf(format, a...), Parameter: param}
}

func conflict(format string, a ...any) *Error {
	return &Error{Status: http.StatusConflict, Code: "ConflictException", Message: fmt.Sprintf(format, a...)}
}

// Service is the MSK control plane of one region.
type Service struct {
	st     store.Store
	iam    *iam.Service
	net    Network
	region string
	now    func() time.Time

	mu           sync.Mutex
	clusters     map[string]Spec // by name
	provisioning bool            // CreateClusterV2 may create clusters
	realizer     bool            // a connectivity realizer ends UpdateConnectivity's UPDATING
}

// New returns the control plane of a region.
func New(st store.Store, svc *iam.Service, network Network, region string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{st: st, iam: svc, net: network, region: region, now: now, clusters: map[string]Spec{}}
}

// Region is the service's region.
func (s *Service) Region() string { return s.region }

// ClusterPrefix is where the store keeps the region's cluster records
// (for watchers that provision them).
func (s *Service) ClusterPrefix() string { return "msk/" + s.region + "/clusters/" }

// VpcConnectionPrefix is where the store keeps the region's VPC
// connections (for watchers that realize them).
func (s *Service) VpcConnectionPrefix() string { return "msk/" + s.region + "/vpc-connections/" }

// Register makes a configured cluster known; its record (state,
// connectivity, version) is created ACTIVE the first time.
func (s *Service) Register(ctx context.Context, spec Spec) error {
	s.mu.Lock()
	s.clusters[spec.Identity.Name] = spec
	s.mu.Unlock()
	rec := Cluster{State: StateActive, Created: s.now().UTC(), CurrentVersion: newVersion()}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if _, _, _, err := s.st.CompareAndSwap(ctx, s.ClusterPrefix()+spec.Identity.Name, b, 0); err != nil {
		return fmt.Errorf("msk: register %s: %w", spec.Identity.Name, err)
	}
	return nil
}

// newVersion is a fresh currentVersion, in MSK's shape (14 upper-case
// letters and digits).
func newVersion() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	id := uuid.New()
	b := make([]byte, 14)
	for i := range b {
		b[i] = alphabet[int(id[i])%len(alphabet)]
	}
	return string(b)
}

// cluster loads a cluster by ARN, with its record's revision.
func (s *Service) cluster(ctx context.Context, arn string) (Cluster, int64, error) {
	name, _, ok := parseClusterARN(arn)
	if !ok {
		return Cluster{}, 0, badRequest("clusterArn", "The cluster ARN %q is not valid.", arn)
	}
	missing := notFound("clusterArn", "The cluster %s does not exist.", arn)
	kv, found, err := s.st.Get(ctx, s.ClusterPrefix()+name)
	if err != nil {
		return Cluster{}, 0, err
	}
	if !found {
		return Cluster{}, 0, missing
	}
	var c Cluster
	if err := json.Unmarshal(kv.Value, &c); err != nil {
		return Cluster{}, 0, fmt.Errorf("msk: cluster %s: %w", name, err)
	}
	s.mu.Lock()
	spec, known := s.clusters[name]
	s.mu.Unlock()
	switch {
	case known:
		c.Spec = spec
	case c.Request != nil: // not provisioned yet
		r := c.Request
		c.Spec = Spec{Identity: r.Identity, KafkaVersion: r.KafkaVersion, Brokers: r.Brokers, Auth: r.Auth, ACLsInForce: true,
			Subnets: r.Subnets, SecurityGroups: r.SecurityGroups, ZoneIDs: r.SubnetZones, Serverless: r.Serverless, VpcConfigs: r.VpcConfigs}
	default:
		return Cluster{}, 0, missing
	}
	if c.Identity.ARN() != arn {
		return Cluster{}, 0, missing
	}
	if c.Spec.Nodes != nil {
		c.Brokers = len(c.Spec.Nodes())
	}
	return c, kv.ModRevision, nil
}

// parseClusterARN splits arn:aws:kafka:<region>:<acct>:cluster/<name>/<uuid>.
func parseClusterARN(arn string) (name, id string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kafka" {
		return "", "", false
	}
	res := strings.Split(parts[5], "/")
	if len(res) != 3 || res[0] != "cluster" || res[1] == "" || res[2] == "" {
		return "", "", false
	}
	return res[1], res[2], true
}

// Clusters lists every cluster's record, by name.
func (s *Service) Clusters(ctx context.Context) ([]Cluster, error) {
	kvs, _, err := s.st.List(ctx, s.ClusterPrefix())
	if err != nil {
		return nil, err
	}
	var out []Cluster
	for _, kv := range kvs {
		name := strings.TrimPrefix(kv.Key, s.ClusterPrefix())
		s.mu.Lock()
		spec, known := s.clusters[name]
		s.mu.Unlock()
		var rec Cluster
		if err := json.Unmarshal(kv.Value, &rec); err != nil {
			return nil, fmt.Errorf("msk: cluster %s: %w", name, err)
		}
		arn := spec.Identity.ARN()
		if !known {
			if rec.Request == nil {
				continue // registered by a configuration this process does not serve
			}
			arn = rec.Request.Identity.ARN()
		}
		c, _, err := s.cluster(ctx, arn)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Identity.Name < out[j].Identity.Name })
	return out, nil
}

// authorize decides a call on a cluster's resource: the caller's identity
// policies and the cluster policy (cross-account calls need both).
func (s *Service) authorize(ctx context.Context, caller iam.Caller, action string, c Cluster) error {
	var rp *policy.Named
	cp, ok, err := authz.GetClusterPolicy(ctx, s.st, c.Identity.Name)
	if err != nil {
		return err
	}
	if ok {
		p, err := policy.Parse(cp.Policy, policy.Resource)
		if err == nil {
			rp = &policy.Named{Name: "cluster policy of " + c.Identity.Name, Policy: p}
		}
	}
	return s.decide(ctx, caller, action, c.Identity.ARN(), c.Identity.Account, rp)
}

// decide authorizes action on resource, answering MSK's ForbiddenException.
func (s *Service) decide(ctx context.Context, caller iam.Caller, action, resource, account string, rp *policy.Named) error {
	d, err := s.iam.Authorize(ctx, caller, action, resource, account, rp, nil)
	if err != nil {
		return err
	}
	if !d.Allowed {
		return &Error{Status: http.StatusForbidden, Code: "ForbiddenException",
			Message: fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", caller.Principal.ARN, action, resource)}
	}
	return nil
}

// DescribeCluster returns a cluster the caller may describe.
func (s *Service) DescribeCluster(ctx context.Context, caller iam.Caller, arn, action string) (Cluster, error) {
	c, _, err := s.cluster(ctx, arn)
	if err != nil {
		return Cluster{}, err
	}
	return c, s.authorize(ctx, caller, action, c)
}

// ListClusters lists the caller's account's clusters whose names start
// with nameFilter.
func (s *Service) ListClusters(ctx context.Context, caller iam.Caller, nameFilter string) ([]Cluster, error) {
	if err := s.decide(ctx, caller, "kafka:ListClustersV2", "*", caller.Principal.Account, nil); err != nil {
		return nil, err
	}
	all, err := s.Clusters(ctx)
	if err != nil {
		return nil, err
	}
	var out []Cluster
	for _, c := range all {
		if c.Identity.Account == caller.Principal.Account && strings.HasPrefix(c.Identity.Name, nameFilter) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Bootstrap are a cluster's bootstrap strings, by GetBootstrapBrokers
// field.
type Bootstrap map[string]string

// GetBootstrapBrokers returns the cluster's own bootstrap strings (to its
// owner) and the caller's account's VPC connections' ones.
func (s *Service) GetBootstrapBrokers(ctx context.Context, caller iam.Caller, arn string) (Bootstrap, error) {
	c, err := s.DescribeCluster(ctx, caller, arn, "kafka:GetBootstrapBrokers")
	if err != nil {
		return nil, err
	}
	return s.bootstrap(ctx, c, caller.Principal.Account)
}

// BootstrapStrings returns every bootstrap string of a cluster: its own
// and those of every client account's VPC connections (for dev.json).
func (s *Service) BootstrapStrings(ctx context.Context, arn string) (Bootstrap, error) {
	c, _, err := s.cluster(ctx, arn)
	if err != nil {
		return nil, err
	}
	return s.bootstrap(ctx, c, "")
}

// bootstrap is what GetBootstrapBrokers answers account ("" for
// everything).
func (s *Service) bootstrap(ctx context.Context, c Cluster, account string) (Bootstrap, error) {
	out := Bootstrap{}
	if c.Spec.Bootstrap != nil && (account == "" || account == c.Identity.Account) {
		for field, scheme := range map[string]string{
			"bootstrapBrokerString": "PLAINTEXT", "bootstrapBrokerStringTls": string(SchemeTLS),
			"bootstrapBrokerStringSaslScram": string(SchemeSCRAM), "bootstrapBrokerStringSaslIam": string(SchemeIAM),
		} {
			if b := c.Spec.Bootstrap(scheme); b != "" {
				out[field] = b
			}
		}
	}
	conns, err := s.vpcConnections(ctx, nil)
	if err != nil {
		return nil, err
	}
	field := map[Scheme]string{SchemeIAM: "bootstrapBrokerStringVpcConnectivitySaslIam",
		SchemeSCRAM: "bootstrapBrokerStringVpcConnectivitySaslScram", SchemeTLS: "bootstrapBrokerStringVpcConnectivityTls"}
	for _, vc := range conns {
		if vc.ClusterARN != c.Identity.ARN() || (account != "" && vc.Owner != account) || vc.State != StateAvailable || vc.Bootstrap == "" {
			continue
		}
		if cur := out[field[vc.Auth]]; cur != "" {
			out[field[vc.Auth]] = cur + "," + vc.Bootstrap
		} else {
			out[field[vc.Auth]] = vc.Bootstrap
		}
	}
	return out, nil
}

// UpdateConnectivity turns multi-VPC connectivity on or off per scheme.
// The cluster's currentVersion must be given; MSK's rules apply: only
// schemes the cluster authenticates, never for an unauthenticated-only
// cluster, SCRAM and TLS only with ACLs in force. A nil want keeps the
// schemes as they are.
//
// With a connectivity realizer attached (AttachConnectivityRealizer, as
// the daemon does), the cluster is UPDATING, for
// OperationUpdateConnectivity, until the realizer calls
// ConnectivityRealized; meanwhile it takes no other update and no new VPC
// connection, as MSK's clusters do. Without one (the control plane used
// on its own), the change is in effect at once and the cluster stays
// ACTIVE.
func (s *Service) UpdateConnectivity(ctx context.Context, caller iam.Caller, arn, currentVersion string, want map[Scheme]bool) (Cluster, error) {
	c, rev, err := s.cluster(ctx, arn)
	if err != nil {
		return Cluster{}, err
	}
	if err := s.authorize(ctx, caller, "kafka:UpdateConnectivity", c); err != nil {
		return Cluster{}, err
	}
	if c.Serverless {
		return Cluster{}, badRequest("clusterArn", "Multi-VPC private connectivity is for provisioned clusters; a serverless cluster has an endpoint in each of its VPCs.")
	}
	if c.State != StateActive {
		return Cluster{}, badRequest("", "The cluster is in the %s state; it must be ACTIVE to update connectivity.", c.State)
	}
	if currentVersion != c.CurrentVersion {
		return Cluster{}, badRequest("currentVersion", "The provided cluster version %q is not the current version of the cluster.", currentVersion)
	}
	if want == nil { // as it is
		want = c.VpcConnectivity
	}
	for _, sc := range Schemes {
		if !want[sc] {
			continue
		}
		if !c.Auth.IAM && !c.Auth.SCRAM && !c.Auth.TLS {
			return Cluster{}, badRequest("connectivityInfo", "Multi-VPC private connectivity can't be turned on for an unauthenticated cluster.")
		}
		if !c.Auth.Has(sc) {
			return Cluster{}, badRequest("connectivityInfo", "Multi-VPC private connectivity for %s needs %s client authentication on the cluster.", sc, sc)
		}
		if sc != SchemeIAM && !c.ACLsInForce {
			return Cluster{}, badRequest("connectivityInfo", "Multi-VPC private connectivity for %s needs Apache Kafka ACLs in force: set allow.everyone.if.no.acl.found to false.", sc)
		}
	}
	c.VpcConnectivity = map[Scheme]bool{}
	for _, sc := range Schemes {
		if want[sc] {
			c.VpcConnectivity[sc] = true
		}
	}
	c.CurrentVersion = newVersion()
	s.mu.Lock()
	realizer := s.realizer
	s.mu.Unlock()
	if realizer {
		c.State, c.Operation = StateUpdating, OperationUpdateConnectivity
	}
	return c, s.putCluster(ctx, c, rev)
}

// AttachConnectivityRealizer says that something follows the cluster
// records (ClusterPrefix) and calls ConnectivityRealized for every
// cluster PendingConnectivity lists: from now on, UpdateConnectivity
// leaves the cluster UPDATING until then.
func (s *Service) AttachConnectivityRealizer() {
	s.mu.Lock()
	s.realizer = true
	s.mu.Unlock()
}

// PendingConnectivity lists the clusters UPDATING for a connectivity
// change, for the connectivity realizer. Clusters UPDATING for anything
// else are not its to finish.
func (s *Service) PendingConnectivity(ctx context.Context) ([]Cluster, error) {
	all, err := s.Clusters(ctx)
	if err != nil {
		return nil, err
	}
	var out []Cluster
	for _, c := range all {
		if c.State == StateUpdating && c.Operation == OperationUpdateConnectivity {
			out = append(out, c)
		}
	}
	return out, nil
}

// ConnectivityRealized records that the connectivity change that gave a
// cluster currentVersion version is in effect: the cluster is ACTIVE
// again. It reports whether it changed the cluster: a cluster that is
// not UPDATING for that change (UpdateSecurity's UPDATING, whose end is
// the provisioner's to record, or a later version) is left as it is.
func (s *Service) ConnectivityRealized(ctx context.Context, arn, version string) (bool, error) {
	for {
		c, rev, err := s.cluster(ctx, arn)
		if err != nil {
			return false, err
		}
		if c.State != StateUpdating || c.Operation != OperationUpdateConnectivity || c.CurrentVersion != version {
			return false, nil
		}
		c.State, c.Operation = StateActive, ""
		err = s.putCluster(ctx, c, rev)
		var me *Error
		if errors.As(err, &me) && me.Code == "ConflictException" {
			continue // changed meanwhile: look again
		}
		return err == nil, err
	}
}

func (s *Service) putCluster(ctx context.Context, c Cluster, rev int64) error {
	b, err := json.Marshal(c)
	if err != nil {
		return err
	}
	_, ok, _, err := s.st.CompareAndSwap(ctx, s.ClusterPrefix()+c.Identity.Name, b, rev)
	if err != nil {
		return err
	}
	if !ok {
		return conflict("The cluster changed while the request was processed; retry.")
	}
	return nil
}

// PutClusterPolicy attaches or replaces a cluster's policy.
func (s *Service) PutClusterPolicy(ctx context.Context, caller iam.Caller, arn, doc, currentVersion string) (string, error) {
	c, _, err := s.cluster(ctx, arn)
	if err != nil {
		return "", err
	}
	if err := s.authorize(ctx, caller, "kafka:PutClusterPolicy", c); err != nil {
		return "", err
	}
	v, err := authz.PutClusterPolicy(ctx, s.st, c.Identity.Name, doc, currentVersion)
	switch {
	case errors.Is(err, authz.ErrInvalidPolicy):
		return "", badRequest("policy", "%s", strings.TrimPrefix(err.Error(), authz.ErrInvalidPolicy.Error()+": "))
	case errors.Is(err, authz.ErrStaleVersion):
		return "", badRequest("currentVersion", "The provided policy version %q is not the current version of the cluster policy.", currentVersion)
	}
	return v, err
}

// GetClusterPolicy returns a cluster's policy.
func (s *Service) GetClusterPolicy(ctx context.Context, caller iam.Caller, arn string) (authz.ClusterPolicy, error) {
	c, _, err := s.cluster(ctx, arn)
	if err != nil {
		return authz.ClusterPolicy{}, err
	}
	if err := s.authorize(ctx, caller, "kafka:GetClusterPolicy", c); err != nil {
		return authz.ClusterPolicy{}, err
	}
	p, ok, err := authz.GetClusterPolicy(ctx, s.st, c.Identity.Name)
	if err == nil && !ok {
		err = notFound("clusterArn", "The cluster %s has no cluster policy.", arn)
	}
	return p, err
}

// DeleteClusterPolicy removes a cluster's policy.
func (s *Service) DeleteClusterPolicy(ctx context.Context, caller iam.Caller, arn string) error {
	c, _, err := s.cluster(ctx, arn)
	if err != nil {
		return err
	}
	if err := s.authorize(ctx, caller, "kafka:DeleteClusterPolicy", c); err != nil {
		return err
	}
	return authz.DeleteClusterPolicy(ctx, s.st, c.Identity.Name)
}

// ListNodes lists a cluster's brokers.
func (s *Service) ListNodes(ctx context.Context, caller iam.Caller, arn string) (Cluster, []Node, error) {
	c, err := s.DescribeCluster(ctx, caller, arn, "kafka:ListNodes")
	if err != nil || c.Spec.Nodes == nil {
		return c, nil, err
	}
	nodes := c.Spec.Nodes()
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].ID < nodes[j].ID })
	return c, nodes, nil
}
