package gateway

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Authorization of administration: topics, configs, and the APIs that act
// on the whole cluster (CLUSTER_AUTHORIZATION_FAILED when denied).

func init() {
	register(noAuthorization, kmsg.ApiVersions, kmsg.GetTelemetrySubscriptions, kmsg.PushTelemetry)
	register(authorizeDescribeCluster, kmsg.DescribeCluster)
	register(clusterOp(kmsg.ACLOperationDescribe), kmsg.DescribeACLs,
		kmsg.DescribeLogDirs, kmsg.ListPartitionReassignments, kmsg.DescribeUserSCRAMCredentials)
	register(clusterOp(kmsg.ACLOperationAlter), kmsg.ElectLeaders, kmsg.AlterPartitionAssignments, kmsg.UpdateFeatures)
	register(clusterOp(kmsg.ACLOperationDescribeConfigs), kmsg.DescribeClientQuotas, kmsg.ListConfigResources)
	register(authorizeCreateACLs, kmsg.CreateACLs)
	register(authorizeDeleteACLs, kmsg.DeleteACLs)
	register(authorizeAlterUserSCRAMCredentials, kmsg.AlterUserSCRAMCredentials)
	register(authorizeCreateTopics, kmsg.CreateTopics)
	register(authorizeDeleteTopics, kmsg.DeleteTopics)
	register(authorizeCreatePartitions, kmsg.CreatePartitions)
	register(authorizeDescribeConfigs, kmsg.DescribeConfigs)
	register(authorizeAlterConfigs, kmsg.AlterConfigs)
	register(authorizeIncrementalAlterConfigs, kmsg.IncrementalAlterConfigs)
	register(authorizeDescribeTopicPartitions, kmsg.DescribeTopicPartitions)
}

// DescribeCluster reports the cluster's authorized operations (KIP-430)
// for the client's principal, not for kafkalink's upstream identity.
func authorizeDescribeCluster(d *decider, r kmsg.Request) verdict {
	v := clusterOp(kmsg.ACLOperationDescribe)(d, r)
	if v.local != nil || !r.(*kmsg.DescribeClusterRequest).IncludeClusterAuthorizedOperations {
		return v
	}
	return v.then(func(resp kmsg.Response) {
		resp.(*kmsg.DescribeClusterResponse).ClusterAuthorizedOperations = d.authorizedOperations(kmsg.ACLResourceTypeCluster, ClusterResource)
	})
}

// clusterAlter authorizes an API that needs ALTER on the cluster and
// answers each of its n items with denied(i) when it does not have it.
func clusterAlter(d *decider, req kmsg.Request, n int, denied func(resp kmsg.Response, i int)) verdict {
	if d.cluster(kmsg.ACLOperationAlter) {
		return verdict{}
	}
	resp := req.ResponseKind()
	for i := range n {
		denied(resp, i)
	}
	return verdict{local: resp}
}

var clusterDenied = kerr.ClusterAuthorizationFailed

func authorizeCreateACLs(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.CreateACLsRequest)
	return clusterAlter(d, req, len(req.Creations), func(resp kmsg.Response, _ int) {
		cr := resp.(*kmsg.CreateACLsResponse)
		cr.Results = append(cr.Results, kmsg.CreateACLsResponseResult{ErrorCode: clusterDenied.Code, ErrorMessage: &clusterDenied.Description})
	})
}

func authorizeDeleteACLs(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DeleteACLsRequest)
	return clusterAlter(d, req, len(req.Filters), func(resp kmsg.Response, _ int) {
		dr := resp.(*kmsg.DeleteACLsResponse)
		dr.Results = append(dr.Results, kmsg.DeleteACLsResponseResult{ErrorCode: clusterDenied.Code, ErrorMessage: &clusterDenied.Description})
	})
}

func authorizeAlterUserSCRAMCredentials(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.AlterUserSCRAMCredentialsRequest)
	var users []string
	for _, u := range req.Deletions {
		users = append(users, u.Name)
	}
	for _, u := range req.Upsertions {
		users = append(users, u.Name)
	}
	return clusterAlter(d, req, len(users), func(resp kmsg.Response, i int) {
		ar := resp.(*kmsg.AlterUserSCRAMCredentialsResponse)
		ar.Results = append(ar.Results, kmsg.AlterUserSCRAMCredentialsResponseResult{User: users[i], ErrorCode: clusterDenied.Code, ErrorMessage: &clusterDenied.Description})
	})
}

// CreateTopics needs CREATE on the topic (or, with Kafka ACLs, on the
// cluster; the ACL decider applies that rule).
func authorizeCreateTopics(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.CreateTopicsRequest)
	return topicsOp(d, req, &req.Topics, func(t *kmsg.CreateTopicsRequestTopic) (string, [16]byte) { return byName(t.Topic) },
		kmsg.ACLOperationCreate, func(resp kmsg.Response, _ *kmsg.CreateTopicsRequestTopic, dn denial) {
			cr := resp.(*kmsg.CreateTopicsResponse)
			t := kmsg.NewCreateTopicsResponseTopic()
			t.Topic, t.ErrorCode = dn.topic, dn.code
			t.ErrorMessage = &kerr.TopicAuthorizationFailed.Description
			cr.Topics = append(cr.Topics, t)
		})
}

func authorizeCreatePartitions(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.CreatePartitionsRequest)
	return topicsOp(d, req, &req.Topics, func(t *kmsg.CreatePartitionsRequestTopic) (string, [16]byte) { return byName(t.Topic) },
		kmsg.ACLOperationAlter, func(resp kmsg.Response, _ *kmsg.CreatePartitionsRequestTopic, dn denial) {
			cr := resp.(*kmsg.CreatePartitionsResponse)
			cr.Topics = append(cr.Topics, kmsg.CreatePartitionsResponseTopic{Topic: dn.topic, ErrorCode: dn.code, ErrorMessage: &kerr.TopicAuthorizationFailed.Description})
		})
}

// DeleteTopics needs DELETE on each topic, named (v0–5) or by name or id
// (v6+).
func authorizeDeleteTopics(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DeleteTopicsRequest)
	add := func(resp kmsg.Response, dn denial) {
		dr := resp.(*kmsg.DeleteTopicsResponse)
		t := kmsg.NewDeleteTopicsResponseTopic()
		t.TopicID, t.ErrorCode = dn.id, dn.code
		if dn.id == ([16]byte{}) {
			t.Topic = kmsg.StringPtr(dn.topic)
		}
		dr.Topics = append(dr.Topics, t)
	}
	if req.Version < 6 {
		return topicsOp(d, req, &req.TopicNames, func(n *string) (string, [16]byte) { return byName(*n) },
			kmsg.ACLOperationDelete, func(resp kmsg.Response, _ *string, dn denial) { add(resp, dn) })
	}
	return topicsOp(d, req, &req.Topics, func(t *kmsg.DeleteTopicsRequestTopic) (string, [16]byte) {
		if t.Topic == nil {
			return "", t.TopicID
		}
		return *t.Topic, t.TopicID
	}, kmsg.ACLOperationDelete, func(resp kmsg.Response, _ *kmsg.DeleteTopicsRequestTopic, dn denial) { add(resp, dn) })
}

// configResource is the resource whose operation a config change or
// description needs, and the error a denial answers with.
func configResource(t kmsg.ConfigResourceType, name string) (kmsg.ACLResourceType, string, *kerr.Error) {
	switch t {
	case kmsg.ConfigResourceTypeTopic:
		return kmsg.ACLResourceTypeTopic, name, kerr.TopicAuthorizationFailed
	case kmsg.ConfigResourceTypeGroupConfig:
		return kmsg.ACLResourceTypeGroup, name, kerr.GroupAuthorizationFailed
	}
	// Brokers, broker loggers and client metrics are the cluster's.
	return kmsg.ACLResourceTypeCluster, ClusterResource, kerr.ClusterAuthorizationFailed
}

// configs authorizes the resources of a config API with op: add answers a
// denied one.
func configs[T any](d *decider, req kmsg.Request, resources *[]T, key func(*T) (kmsg.ConfigResourceType, string), op kmsg.ACLOperation, add func(resp kmsg.Response, t kmsg.ConfigResourceType, name string, err *kerr.Error)) verdict {
	type refusal struct {
		t    kmsg.ConfigResourceType
		name string
		err  *kerr.Error
	}
	var refused []refusal
	kept, _ := split(*resources, func(r *T) bool {
		t, name := key(r)
		rt, rn, err := configResource(t, name)
		if d.allowed(rt, rn, op) {
			return true
		}
		refused = append(refused, refusal{t, name, err})
		return false
	})
	*resources = kept
	return outcome(req, len(kept) == 0, len(refused) > 0, func(resp kmsg.Response) {
		for _, r := range refused {
			add(resp, r.t, r.name, r.err)
		}
	})
}

func authorizeDescribeConfigs(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DescribeConfigsRequest)
	return configs(d, req, &req.Resources, func(r *kmsg.DescribeConfigsRequestResource) (kmsg.ConfigResourceType, string) {
		return r.ResourceType, r.ResourceName
	}, kmsg.ACLOperationDescribeConfigs, func(resp kmsg.Response, t kmsg.ConfigResourceType, name string, err *kerr.Error) {
		dr := resp.(*kmsg.DescribeConfigsResponse)
		dr.Resources = append(dr.Resources, kmsg.DescribeConfigsResponseResource{ResourceType: t, ResourceName: name, ErrorCode: err.Code, ErrorMessage: &err.Description})
	})
}

func authorizeAlterConfigs(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.AlterConfigsRequest)
	return configs(d, req, &req.Resources, func(r *kmsg.AlterConfigsRequestResource) (kmsg.ConfigResourceType, string) {
		return r.ResourceType, r.ResourceName
	}, kmsg.ACLOperationAlterConfigs, func(resp kmsg.Response, t kmsg.ConfigResourceType, name string, err *kerr.Error) {
		ar := resp.(*kmsg.AlterConfigsResponse)
		ar.Resources = append(ar.Resources, kmsg.AlterConfigsResponseResource{ResourceType: t, ResourceName: name, ErrorCode: err.Code, ErrorMessage: &err.Description})
	})
}

func authorizeIncrementalAlterConfigs(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.IncrementalAlterConfigsRequest)
	return configs(d, req, &req.Resources, func(r *kmsg.IncrementalAlterConfigsRequestResource) (kmsg.ConfigResourceType, string) {
		return r.ResourceType, r.ResourceName
	}, kmsg.ACLOperationAlterConfigs, func(resp kmsg.Response, t kmsg.ConfigResourceType, name string, err *kerr.Error) {
		ar := resp.(*kmsg.IncrementalAlterConfigsResponse)
		ar.Resources = append(ar.Resources, kmsg.IncrementalAlterConfigsResponseResource{ResourceType: t, ResourceName: name, ErrorCode: err.Code, ErrorMessage: &err.Description})
	})
}

// DescribeTopicPartitions, like Metadata, lists only the topics the
// principal may describe; it always reports their authorized operations.
func authorizeDescribeTopicPartitions(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DescribeTopicPartitionsRequest)
	report := func(resp kmsg.Response) {
		dr := resp.(*kmsg.DescribeTopicPartitionsResponse)
		reportTopicOperations(d, true, len(dr.Topics), func(i int) (*string, int16, *int32) {
			t := &dr.Topics[i]
			return t.Topic, t.ErrorCode, &t.AuthorizedOperations
		})
	}
	if len(req.Topics) == 0 {
		return verdict{fix: func(resp kmsg.Response) {
			dr := resp.(*kmsg.DescribeTopicPartitionsResponse)
			dr.Topics, _ = split(dr.Topics, func(t *kmsg.DescribeTopicPartitionsResponseTopic) bool {
				return t.Topic != nil && d.topic(*t.Topic, kmsg.ACLOperationDescribe)
			})
		}}.then(report)
	}
	return topicsOp(d, req, &req.Topics, func(t *kmsg.DescribeTopicPartitionsRequestTopic) (string, [16]byte) { return byName(t.Topic) },
		kmsg.ACLOperationDescribe, func(resp kmsg.Response, _ *kmsg.DescribeTopicPartitionsRequestTopic, dn denial) {
			dr := resp.(*kmsg.DescribeTopicPartitionsResponse)
			t := kmsg.NewDescribeTopicPartitionsResponseTopic()
			t.Topic, t.ErrorCode, t.AuthorizedOperations = kmsg.StringPtr(dn.topic), dn.code, notProvided
			dr.Topics = append(dr.Topics, t)
		}).then(report)
}
