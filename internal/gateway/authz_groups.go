package gateway

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Authorization of consumer groups: FindCoordinator, the group membership
// APIs, offsets, and group administration. A group the principal may not
// use answers GROUP_AUTHORIZATION_FAILED (per group where the response
// lists groups); topics it may not read answer TOPIC_AUTHORIZATION_FAILED
// per partition.

func init() {
	register(authorizeFindCoordinator, kmsg.FindCoordinator)
	register(groupOp(kmsg.ACLOperationRead, func(r kmsg.Request) string { return r.(*kmsg.JoinGroupRequest).Group }), kmsg.JoinGroup)
	register(groupOp(kmsg.ACLOperationRead, func(r kmsg.Request) string { return r.(*kmsg.SyncGroupRequest).Group }), kmsg.SyncGroup)
	register(groupOp(kmsg.ACLOperationRead, func(r kmsg.Request) string { return r.(*kmsg.HeartbeatRequest).Group }), kmsg.Heartbeat)
	register(groupOp(kmsg.ACLOperationRead, func(r kmsg.Request) string { return r.(*kmsg.LeaveGroupRequest).Group }), kmsg.LeaveGroup)
	register(groupOp(kmsg.ACLOperationRead, func(r kmsg.Request) string { return r.(*kmsg.ConsumerGroupHeartbeatRequest).Group }), kmsg.ConsumerGroupHeartbeat)
	register(authorizeOffsetCommit, kmsg.OffsetCommit)
	register(authorizeOffsetFetch, kmsg.OffsetFetch)
	register(authorizeOffsetDelete, kmsg.OffsetDelete)
	register(authorizeDescribeGroups, kmsg.DescribeGroups)
	register(authorizeConsumerGroupDescribe, kmsg.ConsumerGroupDescribe)
	register(authorizeDeleteGroups, kmsg.DeleteGroups)
	register(authorizeListGroups, kmsg.ListGroups)
}

// groupOp authorizes an API about one group whose response has a
// top-level error code.
func groupOp(op kmsg.ACLOperation, group func(kmsg.Request) string) authorizeFunc {
	return func(d *decider, req kmsg.Request) verdict {
		if d.group(group(req), op) {
			return verdict{}
		}
		return verdict{local: topLevelError(req, kerr.GroupAuthorizationFailed)}
	}
}

// FindCoordinator needs DESCRIBE on the group or transactional id (v4+
// batches keys, each answered on its own).
func authorizeFindCoordinator(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.FindCoordinatorRequest)
	allowed := func(key string) bool {
		if req.CoordinatorType == 1 {
			return d.txn(key, kmsg.ACLOperationDescribe)
		}
		return d.group(key, kmsg.ACLOperationDescribe)
	}
	code := kerr.GroupAuthorizationFailed
	if req.CoordinatorType == 1 {
		code = kerr.TransactionalIDAuthorizationFailed
	}
	if req.Version < 4 {
		if allowed(req.CoordinatorKey) {
			return verdict{}
		}
		resp := topLevelError(req, code).(*kmsg.FindCoordinatorResponse)
		resp.NodeID, resp.Port = -1, -1
		return verdict{local: resp}
	}
	kept, denied := split(req.CoordinatorKeys, func(k *string) bool { return allowed(*k) })
	req.CoordinatorKeys = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) {
		fr := resp.(*kmsg.FindCoordinatorResponse)
		for _, k := range denied {
			c := kmsg.NewFindCoordinatorResponseCoordinator()
			c.Key, c.NodeID, c.Port, c.ErrorCode = k, -1, -1, code.Code
			c.ErrorMessage = &code.Description
			fr.Coordinators = append(fr.Coordinators, c)
		}
	})
}

// OffsetCommit needs READ on the group and READ on each topic.
func authorizeOffsetCommit(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.OffsetCommitRequest)
	key := func(t *kmsg.OffsetCommitRequestTopic) (string, [16]byte) { return t.Topic, t.TopicID }
	add := func(resp kmsg.Response, t *kmsg.OffsetCommitRequestTopic, dn denial) {
		or := resp.(*kmsg.OffsetCommitResponse)
		rt := kmsg.OffsetCommitResponseTopic{Topic: dn.topic, TopicID: dn.id}
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, kmsg.OffsetCommitResponseTopicPartition{Partition: p.Partition, ErrorCode: dn.code})
		}
		or.Topics = append(or.Topics, rt)
	}
	if !d.group(req.Group, kmsg.ACLOperationRead) {
		return denyTopics(req, req.Topics, key, kerr.GroupAuthorizationFailed.Code, add)
	}
	return topicsOp(d, req, &req.Topics, key, kmsg.ACLOperationRead, add)
}

// OffsetFetch needs DESCRIBE on each group; each topic named needs
// DESCRIBE, and a request for all of a group's topics gets back only those
// the principal may describe.
func authorizeOffsetFetch(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.OffsetFetchRequest)
	if req.Version < 8 {
		if !d.group(req.Group, kmsg.ACLOperationDescribe) {
			return verdict{local: topLevelError(req, kerr.GroupAuthorizationFailed)}
		}
		if req.Topics == nil {
			return verdict{fix: func(resp kmsg.Response) {
				or := resp.(*kmsg.OffsetFetchResponse)
				or.Topics, _ = split(or.Topics, func(t *kmsg.OffsetFetchResponseTopic) bool { return d.topic(t.Topic, kmsg.ACLOperationDescribe) })
			}}
		}
		return topicsOp(d, req, &req.Topics, func(t *kmsg.OffsetFetchRequestTopic) (string, [16]byte) { return byName(t.Topic) },
			kmsg.ACLOperationDescribe, func(resp kmsg.Response, t *kmsg.OffsetFetchRequestTopic, dn denial) {
				or := resp.(*kmsg.OffsetFetchResponse)
				rt := kmsg.OffsetFetchResponseTopic{Topic: dn.topic}
				for _, p := range t.Partitions {
					rp := kmsg.NewOffsetFetchResponseTopicPartition()
					rp.Partition, rp.ErrorCode, rp.Offset = p, dn.code, -1
					rt.Partitions = append(rt.Partitions, rp)
				}
				or.Topics = append(or.Topics, rt)
			})
	}
	// v8+: several groups, each with its topics (null: all of them).
	type groupDenials struct {
		group  string
		topics []denial
		parts  [][]int32
	}
	var deniedGroups []string
	var partial []groupDenials
	keptGroups, _ := split(req.Groups, func(g *kmsg.OffsetFetchRequestGroup) bool {
		if !d.group(g.Group, kmsg.ACLOperationDescribe) {
			deniedGroups = append(deniedGroups, g.Group)
			return false
		}
		if g.Topics == nil {
			return true
		}
		var denied []denial
		check := d.topicCheck(kmsg.ACLOperationDescribe, &denied)
		var parts [][]int32
		g.Topics, _ = split(g.Topics, func(t *kmsg.OffsetFetchRequestGroupTopic) bool {
			if check(t.Topic, t.TopicID) {
				return true
			}
			parts = append(parts, t.Partitions)
			return false
		})
		if len(denied) > 0 {
			partial = append(partial, groupDenials{g.Group, denied, parts})
		}
		return true
	})
	req.Groups = keptGroups
	merge := func(resp kmsg.Response) {
		or := resp.(*kmsg.OffsetFetchResponse)
		for i := range or.Groups {
			g := &or.Groups[i]
			g.Topics, _ = split(g.Topics, func(t *kmsg.OffsetFetchResponseGroupTopic) bool {
				// v10+ names topics by id only.
				name, ok := d.topicName(t.Topic, t.TopicID)
				return ok && d.topic(name, kmsg.ACLOperationDescribe)
			})
			for _, pd := range partial {
				if pd.group != g.Group {
					continue
				}
				for j, dn := range pd.topics {
					rt := kmsg.OffsetFetchResponseGroupTopic{Topic: dn.topic, TopicID: dn.id}
					for _, p := range pd.parts[j] {
						rp := kmsg.NewOffsetFetchResponseGroupTopicPartition()
						rp.Partition, rp.ErrorCode, rp.Offset = p, dn.code, -1
						rt.Partitions = append(rt.Partitions, rp)
					}
					g.Topics = append(g.Topics, rt)
				}
			}
		}
		for _, name := range deniedGroups {
			g := kmsg.NewOffsetFetchResponseGroup()
			g.Group, g.ErrorCode = name, kerr.GroupAuthorizationFailed.Code
			or.Groups = append(or.Groups, g)
		}
	}
	if len(keptGroups) == 0 {
		resp := req.ResponseKind()
		merge(resp)
		return verdict{local: resp}
	}
	return verdict{changed: len(deniedGroups) > 0 || len(partial) > 0, fix: merge}
}

// OffsetDelete needs DELETE on the group and READ on each topic.
func authorizeOffsetDelete(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.OffsetDeleteRequest)
	if !d.group(req.Group, kmsg.ACLOperationDelete) {
		return verdict{local: topLevelError(req, kerr.GroupAuthorizationFailed)}
	}
	return topicsOp(d, req, &req.Topics, func(t *kmsg.OffsetDeleteRequestTopic) (string, [16]byte) { return byName(t.Topic) },
		kmsg.ACLOperationRead, func(resp kmsg.Response, t *kmsg.OffsetDeleteRequestTopic, dn denial) {
			or := resp.(*kmsg.OffsetDeleteResponse)
			rt := kmsg.OffsetDeleteResponseTopic{Topic: dn.topic}
			for _, p := range t.Partitions {
				rt.Partitions = append(rt.Partitions, kmsg.OffsetDeleteResponseTopicPartition{Partition: p.Partition, ErrorCode: dn.code})
			}
			or.Topics = append(or.Topics, rt)
		})
}

// groupList authorizes an API that names groups and answers each in a
// list: denied groups are answered by add.
func groupList(d *decider, req kmsg.Request, groups *[]string, op kmsg.ACLOperation, add func(resp kmsg.Response, group string)) verdict {
	kept, denied := split(*groups, func(g *string) bool { return d.group(*g, op) })
	*groups = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) {
		for _, g := range denied {
			add(resp, g)
		}
	})
}

func authorizeDescribeGroups(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DescribeGroupsRequest)
	include := req.IncludeAuthorizedOperations
	return groupList(d, req, &req.Groups, kmsg.ACLOperationDescribe, func(resp kmsg.Response, group string) {
		dr := resp.(*kmsg.DescribeGroupsResponse)
		g := kmsg.NewDescribeGroupsResponseGroup()
		g.Group, g.ErrorCode, g.AuthorizedOperations = group, kerr.GroupAuthorizationFailed.Code, notProvided
		dr.Groups = append(dr.Groups, g)
	}).then(func(resp kmsg.Response) {
		dr := resp.(*kmsg.DescribeGroupsResponse)
		reportGroupOperations(d, include, len(dr.Groups), func(i int) (*string, int16, *int32) {
			g := &dr.Groups[i]
			return &g.Group, g.ErrorCode, &g.AuthorizedOperations
		})
	})
}

func authorizeConsumerGroupDescribe(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.ConsumerGroupDescribeRequest)
	include := req.IncludeAuthorizedOperations
	return groupList(d, req, &req.Groups, kmsg.ACLOperationDescribe, func(resp kmsg.Response, group string) {
		dr := resp.(*kmsg.ConsumerGroupDescribeResponse)
		g := kmsg.NewConsumerGroupDescribeResponseGroup()
		g.Group, g.ErrorCode, g.AuthorizedOperations = group, kerr.GroupAuthorizationFailed.Code, notProvided
		dr.Groups = append(dr.Groups, g)
	}).then(func(resp kmsg.Response) {
		dr := resp.(*kmsg.ConsumerGroupDescribeResponse)
		reportGroupOperations(d, include, len(dr.Groups), func(i int) (*string, int16, *int32) {
			g := &dr.Groups[i]
			return &g.Group, g.ErrorCode, &g.AuthorizedOperations
		})
	})
}

// reportGroupOperations sets the authorized operations of n groups of a
// response (group i's name, error code and field).
func reportGroupOperations(d *decider, include bool, n int, group func(i int) (*string, int16, *int32)) {
	reportOperations(d, kmsg.ACLResourceTypeGroup, kerr.GroupAuthorizationFailed.Code, include, n, group)
}

func authorizeDeleteGroups(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DeleteGroupsRequest)
	return groupList(d, req, &req.Groups, kmsg.ACLOperationDelete, func(resp kmsg.Response, group string) {
		dr := resp.(*kmsg.DeleteGroupsResponse)
		g := kmsg.NewDeleteGroupsResponseGroup()
		g.Group, g.ErrorCode = group, kerr.GroupAuthorizationFailed.Code
		dr.Groups = append(dr.Groups, g)
	})
}

// ListGroups lists every group to a principal that may DESCRIBE the
// cluster, and otherwise only the groups it may describe.
func authorizeListGroups(d *decider, r kmsg.Request) verdict {
	if d.cluster(kmsg.ACLOperationDescribe) {
		return verdict{}
	}
	return verdict{fix: func(resp kmsg.Response) {
		lr := resp.(*kmsg.ListGroupsResponse)
		lr.Groups, _ = split(lr.Groups, func(g *kmsg.ListGroupsResponseGroup) bool { return d.group(g.Group, kmsg.ACLOperationDescribe) })
	}}
}
