package authz

import (
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/acl"
	"github.com/kafkalink/kafkalink/internal/gateway"
)

// ACL decides the requests of SCRAM and mTLS principals ("User:…") on one
// cluster with the Kafka ACLs kafkalink keeps. The acl package follows the
// store itself, so a changed ACL applies to the next request.
type ACL struct {
	ACLs    *acl.Authorizer
	Cluster string
	Audit   *Audit
}

// Session implements gateway.Authorizer.
func (a *ACL) Session(ident *gateway.Identity, info gateway.ConnInfo) gateway.SessionAuthorizer {
	return &aclSession{a: a, ident: ident, info: info, host: hostOf(info.Remote)}
}

type aclSession struct {
	a     *ACL
	ident *gateway.Identity
	info  gateway.ConnInfo
	host  string
}

func (s *aclSession) Close() {}

func (s *aclSession) decide(t kmsg.ACLResourceType, name string, op kmsg.ACLOperation) acl.Decision {
	return s.a.ACLs.Authorize(s.a.Cluster, acl.Request{
		Principal: s.ident.Principal, Host: s.host, Operation: op, ResourceType: t, ResourceName: name,
	})
}

// Allowed implements gateway.SessionAuthorizer. Creating a topic is
// allowed by CREATE on the cluster or on the topic, as a broker checks it.
func (s *aclSession) Allowed(api kmsg.Key, a gateway.Access) bool {
	d := s.decision(api, a)
	if d.Allowed && !s.a.Audit.allows() {
		return true
	}
	by := d.Reason
	if d.Binding != nil {
		by = d.Binding.String()
	}
	s.a.Audit.write(record{principal: s.ident.Principal, info: s.info, api: api,
		action: a.Op.String(), resource: a.Type.String() + ":" + a.Name, allowed: d.Allowed, by: by})
	return d.Allowed
}

// Permitted implements gateway.SessionAuthorizer.
func (s *aclSession) Permitted(a gateway.Access) bool { return s.decision(-1, a).Allowed }

func (s *aclSession) decision(api kmsg.Key, a gateway.Access) acl.Decision {
	if api == kmsg.DescribeCluster && a.Type == kmsg.ACLResourceTypeCluster && a.Op == kmsg.ACLOperationDescribe {
		// A broker answers DescribeCluster to any principal; only MSK's
		// IAM asks for kafka-cluster:DescribeCluster.
		return acl.Decision{Allowed: true, Reason: "DescribeCluster needs no ACL"}
	}
	name := a.Name
	if a.Type == kmsg.ACLResourceTypeCluster {
		name = acl.ClusterResourceName
	}
	var d acl.Decision
	if a.Type == kmsg.ACLResourceTypeTopic && a.Op == kmsg.ACLOperationCreate {
		d = s.decide(kmsg.ACLResourceTypeCluster, acl.ClusterResourceName, kmsg.ACLOperationCreate)
	}
	if !d.Allowed {
		d = s.decide(a.Type, name, a.Op)
	}
	return d
}
