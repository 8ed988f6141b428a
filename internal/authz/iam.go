package authz

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/gateway"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/policy"
	"github.com/kafkalink/kafkalink/internal/store"
)

// Cluster identifies a cluster as IAM policies name it.
type Cluster struct {
	Name    string
	Account string
	Region  string
	UUID    string // the cluster ARN's last part
}

// ARN is the cluster's ARN.
func (c Cluster) ARN() string {
	return fmt.Sprintf("arn:aws:kafka:%s:%s:cluster/%s/%s", c.Region, c.Account, c.Name, c.UUID)
}

// resourceARN is the ARN of a topic, group or transactional id of the
// cluster, or the cluster's own.
func (c Cluster) resourceARN(a gateway.Access) string {
	kind := ""
	switch a.Type {
	case kmsg.ACLResourceTypeTopic:
		kind = "topic"
	case kmsg.ACLResourceTypeGroup:
		kind = "group"
	case kmsg.ACLResourceTypeTransactionalId:
		kind = "transactional-id"
	default:
		return c.ARN()
	}
	return fmt.Sprintf("arn:aws:kafka:%s:%s:%s/%s/%s/%s", c.Region, c.Account, kind, c.Name, c.UUID, a.Name)
}

// Action is the kafka-cluster action MSK requires for a Kafka operation
// on a resource; "" when IAM grants no such operation (the request is
// then denied).
func Action(t kmsg.ACLResourceType, op kmsg.ACLOperation) string {
	return actions[t][op]
}

// actions follows ARCHITECTURE §6: the Kafka operation each kafka-cluster
// action stands for. Creating topics is granted per topic only.
var actions = map[kmsg.ACLResourceType]map[kmsg.ACLOperation]string{
	kmsg.ACLResourceTypeTopic: {
		kmsg.ACLOperationRead:            "kafka-cluster:ReadData",
		kmsg.ACLOperationWrite:           "kafka-cluster:WriteData",
		kmsg.ACLOperationCreate:          "kafka-cluster:CreateTopic",
		kmsg.ACLOperationDelete:          "kafka-cluster:DeleteTopic",
		kmsg.ACLOperationAlter:           "kafka-cluster:AlterTopic",
		kmsg.ACLOperationDescribe:        "kafka-cluster:DescribeTopic",
		kmsg.ACLOperationDescribeConfigs: "kafka-cluster:DescribeTopicDynamicConfiguration",
		kmsg.ACLOperationAlterConfigs:    "kafka-cluster:AlterTopicDynamicConfiguration",
	},
	kmsg.ACLResourceTypeGroup: {
		kmsg.ACLOperationRead:     "kafka-cluster:AlterGroup",
		kmsg.ACLOperationDescribe: "kafka-cluster:DescribeGroup",
		kmsg.ACLOperationDelete:   "kafka-cluster:DeleteGroup",
	},
	kmsg.ACLResourceTypeTransactionalId: {
		kmsg.ACLOperationWrite:    "kafka-cluster:AlterTransactionalId",
		kmsg.ACLOperationDescribe: "kafka-cluster:DescribeTransactionalId",
	},
	kmsg.ACLResourceTypeCluster: {
		kmsg.ACLOperationDescribe:        "kafka-cluster:DescribeCluster",
		kmsg.ACLOperationAlter:           "kafka-cluster:AlterCluster",
		kmsg.ACLOperationDescribeConfigs: "kafka-cluster:DescribeClusterDynamicConfiguration",
		kmsg.ACLOperationAlterConfigs:    "kafka-cluster:AlterClusterDynamicConfiguration",
		kmsg.ACLOperationIdempotentWrite: "kafka-cluster:WriteDataIdempotently",
	},
}

// ConnectAction is the action every request of a session needs as well.
const ConnectAction = "kafka-cluster:Connect"

// ClusterPolicy is a cluster's resource policy as the store keeps it.
type ClusterPolicy struct {
	Policy         string `json:"policy"`
	CurrentVersion string `json:"currentVersion"`
}

// ClusterPolicyKey is where the store keeps a cluster's policy.
func ClusterPolicyKey(cluster string) string { return "clusters/" + cluster + "/policy" }

// MaxClusterPolicyBytes is MSK's limit on a cluster policy (20 KB).
const MaxClusterPolicyBytes = 20 << 10

// PutClusterPolicy validates and stores a cluster policy. A non-empty
// currentVersion must match the stored policy's; it returns the new
// version.
func PutClusterPolicy(ctx context.Context, st store.Store, cluster, doc, currentVersion string) (string, error) {
	if len(doc) > MaxClusterPolicyBytes {
		return "", fmt.Errorf("%w: the policy is %d bytes; the limit is %d", ErrInvalidPolicy, len(doc), MaxClusterPolicyBytes)
	}
	if _, err := policy.Parse(doc, policy.Resource); err != nil {
		return "", fmt.Errorf("%w: %w", ErrInvalidPolicy, err)
	}
	key := ClusterPolicyKey(cluster)
	cur, ok, err := st.Get(ctx, key)
	if err != nil {
		return "", err
	}
	expect := int64(0)
	if ok {
		var old ClusterPolicy
		if err := json.Unmarshal(cur.Value, &old); err != nil {
			return "", fmt.Errorf("stored policy of %s: %w", cluster, err)
		}
		if currentVersion != "" && currentVersion != old.CurrentVersion {
			return "", ErrStaleVersion
		}
		expect = cur.ModRevision
	}
	version := fmt.Sprintf("K%X", time.Now().UnixNano())
	b, _ := json.Marshal(ClusterPolicy{Policy: doc, CurrentVersion: version})
	if _, swapped, _, err := st.CompareAndSwap(ctx, key, b, expect); err != nil {
		return "", err
	} else if !swapped {
		return "", ErrStaleVersion
	}
	return version, nil
}

// GetClusterPolicy returns a cluster's policy; ok is false when it has
// none.
func GetClusterPolicy(ctx context.Context, st store.Store, cluster string) (p ClusterPolicy, ok bool, err error) {
	kv, ok, err := st.Get(ctx, ClusterPolicyKey(cluster))
	if err != nil || !ok {
		return p, ok, err
	}
	if err := json.Unmarshal(kv.Value, &p); err != nil {
		return p, false, fmt.Errorf("stored policy of %s: %w", cluster, err)
	}
	return p, true, nil
}

// DeleteClusterPolicy removes a cluster's policy.
func DeleteClusterPolicy(ctx context.Context, st store.Store, cluster string) error {
	_, _, err := st.Delete(ctx, ClusterPolicyKey(cluster))
	return err
}

// Errors of cluster policy changes.
var (
	ErrInvalidPolicy = errors.New("invalid cluster policy")
	ErrStaleVersion  = errors.New("the cluster policy changed since currentVersion")
)

// IAM decides the requests of IAM principals on one cluster.
type IAM struct {
	IAM     *iam.Service
	Store   store.Store
	Cluster Cluster
	Gen     *Generation // bumped when IAM entities or the cluster policy change
	Audit   *Audit
}

// Session implements gateway.Authorizer.
func (a *IAM) Session(ident *gateway.Identity, info gateway.ConnInfo) gateway.SessionAuthorizer {
	caller, _ := ident.Subject.(iam.Caller)
	return &iamSession{a: a, ident: ident, caller: caller, info: info, gen: ^uint64(0)}
}

// iamSession is one session's decisions, kept until the generation moves.
type iamSession struct {
	a      *IAM
	ident  *gateway.Identity
	caller iam.Caller
	info   gateway.ConnInfo

	mu        sync.Mutex
	gen       uint64
	revoked   string // why the credentials no longer work; "" if they do
	identity  []policy.Named
	resource  *policy.Named
	connect   policy.Decision
	decisions map[gateway.Access]policy.Decision
}

func (s *iamSession) Close() {}

// refresh reloads what decisions depend on when the generation moved.
func (s *iamSession) refresh(ctx context.Context) {
	gen := s.a.Gen.Load()
	if gen == s.gen {
		return
	}
	s.gen, s.revoked, s.resource = gen, "", nil
	clear(s.decisions)
	if s.decisions == nil {
		s.decisions = map[gateway.Access]policy.Decision{}
	}
	if s.caller.AccessKeyID == "" {
		s.revoked = "the session has no IAM caller"
		return
	}
	caller, err := s.a.IAM.Resolve(ctx, s.caller.AccessKeyID)
	if err != nil || caller.Principal.ARN != s.caller.Principal.ARN {
		s.revoked = "the access key " + s.caller.AccessKeyID + " no longer works"
		return
	}
	if s.identity, err = s.a.IAM.IdentityPolicies(ctx, caller); err != nil {
		s.revoked = "identity policies unavailable: " + err.Error()
		return
	}
	cp, ok, err := GetClusterPolicy(ctx, s.a.Store, s.a.Cluster.Name)
	if err != nil {
		s.revoked = "cluster policy unavailable: " + err.Error()
		return
	}
	if ok {
		if p, err := policy.Parse(cp.Policy, policy.Resource); err == nil {
			s.resource = &policy.Named{Name: "cluster policy of " + s.a.Cluster.Name, Policy: p}
		}
	}
	s.connect = s.evaluate(ConnectAction, s.a.Cluster.ARN())
}

func (s *iamSession) evaluate(action, resource string) policy.Decision {
	ctx := map[string][]string{
		"aws:SecureTransport": {"true"},
		"aws:SourceIp":        {hostOf(s.info.Remote)},
	}
	for k, v := range s.info.Context { // aws:SourceVpc, aws:SourceVpce of VPC connection endpoints
		ctx[k] = []string{v}
	}
	if !s.caller.Issued.IsZero() && s.caller.Temporary {
		ctx["aws:TokenIssueTime"] = []string{s.caller.Issued.UTC().Format(time.RFC3339)}
	}
	return policy.Evaluate(policy.Request{
		Principal: s.caller.Principal, Action: action, Resource: resource,
		ResourceAccount: s.a.Cluster.Account, Context: ctx,
	}, s.identity, s.resource)
}

// Allowed implements gateway.SessionAuthorizer: the access's action and
// kafka-cluster:Connect must both be allowed.
func (s *iamSession) Allowed(api kmsg.Key, a gateway.Access) bool {
	d, action, resource := s.decision(a)
	if d.Allowed && !s.a.Audit.allows() {
		return true
	}
	if action == "" {
		action = "kafka:" + strings.ToLower(a.Op.String())
	}
	if resource == "" {
		resource = s.a.Cluster.resourceARN(a)
	}
	s.a.Audit.write(record{principal: s.ident.Principal, info: s.info, api: api, action: action, resource: resource, allowed: d.Allowed, by: d.Reason})
	return d.Allowed
}

// Permitted implements gateway.SessionAuthorizer.
func (s *iamSession) Permitted(a gateway.Access) bool {
	d, _, _ := s.decision(a)
	return d.Allowed
}

// decision is the session's decision on an access, and the action and
// resource that decided it ("" when no action applies or the resource is
// the access's own).
func (s *iamSession) decision(a gateway.Access) (d policy.Decision, action, resource string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refresh(context.Background())
	action = Action(a.Type, a.Op)
	switch {
	case s.revoked != "":
		d = policy.Decision{Reason: s.revoked}
	case action == "":
		d = policy.Decision{Reason: "no kafka-cluster action grants " + a.Op.String() + " on " + a.Type.String()}
	case !s.connect.Allowed:
		action, resource, d = ConnectAction, s.a.Cluster.ARN(), s.connect
	default:
		var ok bool
		if d, ok = s.decisions[a]; !ok {
			resource = s.a.Cluster.resourceARN(a)
			d = s.evaluate(action, resource)
			if !d.UsedClock {
				s.decisions[a] = d
			}
		}
	}
	return d, action, resource
}
