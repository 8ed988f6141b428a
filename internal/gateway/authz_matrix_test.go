package gateway

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/freeport"
	"github.com/kafkalink/kafkalink/internal/pki"
	"github.com/kafkalink/kafkalink/internal/store"
	"github.com/kafkalink/kafkalink/internal/upstream"
)

// TestAuthorizationMatrix checks, API by API, the accesses ARCHITECTURE §6
// ("Kafka API → actions") documents against what the gateway asks and
// answers. Each row is one request at one version, sent on its own TLS +
// SASL connection to a gateway in front of a one-broker kfake cluster:
//
//   - granted: a principal granted exactly the documented accesses gets an
//     answer without any authorization failure, the request reached the
//     upstream once, and the gateway asked about every documented access
//     (and, unless the response is a filtered listing, nothing else);
//   - without X, for each documented access X: the answer carries the
//     error code a Kafka broker gives, at the place it gives it (or leaves
//     the resource out of a listing), the rest of the answer is the
//     upstream's, and the denied request, or the denied part of it, never
//     reached the upstream;
//   - without any (rows with several accesses): each place carries the
//     code of the first denied access that names it, in the order a broker
//     checks them, and nothing reaches the upstream unless what is left is
//     still a request (Metadata for no topics, listings).
//
// The decider is a fake that allows exactly the granted accesses (no
// implication between operations): this tests the gateway's mapping and
// its responses, not the IAM and ACL deciders of internal/authz.
// What reached the upstream is observed with kfake's control functions;
// after each request the connection sends an ApiVersions request, which
// the gateway forwards on the same upstream connection, so by its answer
// anything the gateway forwarded before it has been seen. Requests go out
// on a raw connection rather than through kgo, which picks versions itself
// and spreads a broker's requests over several connections.
func TestAuthorizationMatrix(t *testing.T) {
	for _, c := range mxCases() {
		t.Run(c.name, func(t *testing.T) {
			e := newMxEnv(t)
			t.Run("granted", func(t *testing.T) {
				grants := make([]Access, len(c.needs))
				for i, n := range c.needs {
					grants[i] = n.a
				}
				r := e.exchange(t, c, grants)
				checkGranted(t, e, c, r)
			})
			for i, n := range c.needs {
				t.Run("without "+n.a.String(), func(t *testing.T) {
					var grants []Access
					for j, m := range c.needs {
						if j != i {
							grants = append(grants, m.a)
						}
					}
					r := e.exchange(t, c, grants)
					checkDenied(t, e, c, []mxNeed{n}, n.rest, r)
				})
			}
			if len(c.needs) > 1 {
				// Nothing granted: the gateway answers it all, unless
				// an empty request is still one (Metadata for no
				// topics, listings).
				t.Run("without any", func(t *testing.T) {
					r := e.exchange(t, c, nil)
					checkDenied(t, e, c, c.needs, c.forwardsEmpty || c.lists, r)
				})
			}
		})
	}
}

// Resource names: none is a substring of another, so that a denied one can
// be looked for in the bytes of what reached the upstream.
const (
	mxAlpha   = "mx-alpha" // topics every cluster has, 2 partitions each
	mxBravo   = "mx-bravo"
	mxCharlie = "mx-charlie" // topics rows create, or never grant
	mxDelta   = "mx-delta"
	mxEcho    = "mx-echo" // topics DeleteTopics deletes
	mxFoxtrot = "mx-foxtrot"
	mxGolf    = "mx-golf" // groups
	mxHotel   = "mx-hotel"
	mxXray    = "mx-xray" // transactional ids
	mxYankee  = "mx-yankee"
	mxMember  = "mx-member"
)

func mxTopic(name string, op kmsg.ACLOperation) Access {
	return Access{Type: kmsg.ACLResourceTypeTopic, Name: name, Op: op}
}

func mxGroup(name string, op kmsg.ACLOperation) Access {
	return Access{Type: kmsg.ACLResourceTypeGroup, Name: name, Op: op}
}

func mxTxn(id string, op kmsg.ACLOperation) Access {
	return Access{Type: kmsg.ACLResourceTypeTransactionalId, Name: id, Op: op}
}

func mxCluster(op kmsg.ACLOperation) Access {
	return Access{Type: kmsg.ACLResourceTypeCluster, Name: ClusterResource, Op: op}
}

// Places in a response (see mxResponseCodes).
const mxTop = "top"

func mxPart(topic string, p int32) string { return fmt.Sprintf("topic:%s/%d", topic, p) }
func mxTopicAt(topic string) string       { return "topic:" + topic }
func mxGroupAt(group string) string       { return "group:" + group }
func mxTxnAt(id string) string            { return "txn:" + id }
func mxKeyAt(key string) string           { return "key:" + key }
func mxResultAt(i int) string             { return fmt.Sprintf("result:%d", i) }
func mxGroupPart(group, topic string, p int32) string {
	return fmt.Sprintf("group:%s/topic:%s/%d", group, topic, p)
}
func mxConfigAt(t kmsg.ConfigResourceType, name string) string {
	return fmt.Sprintf("config:%s:%s", t, name)
}

// mxNeed is one documented access of a request and what its denial does.
type mxNeed struct {
	a Access
	// at are the places of the response that answer the denial with code.
	at   []string
	code *kerr.Error
	// gone are places that are not in the response when it is denied (a
	// listing filtered to what the principal may describe; the topics of a
	// denied group).
	gone []string
	// rest: the rest of the request still reaches the upstream, without
	// the denied resource; otherwise nothing of it does.
	rest bool
	// others, if set, is the code every other place carries when this
	// access is denied.
	others *kerr.Error
	// forwarded, if set, checks what reached the upstream instead of
	// looking for the denied resource in it.
	forwarded func(t *testing.T, e *mxEnv, req kmsg.Request)
}

// deny: the whole request is answered by the gateway with code at places.
func deny(a Access, code *kerr.Error, at ...string) mxNeed {
	return mxNeed{a: a, at: at, code: code}
}

// denyPart: code answers the denied resource at places; the rest of the
// request goes on.
func denyPart(a Access, code *kerr.Error, at ...string) mxNeed {
	return mxNeed{a: a, at: at, code: code, rest: true}
}

// hide: the resource is left out of a listing that still reaches the
// upstream.
func hide(a Access, at ...string) mxNeed {
	return mxNeed{a: a, gone: at, rest: true}
}

// mxCase is one row: one API at one version.
type mxCase struct {
	name    string
	version int16
	// setup, if set, prepares the upstream before each exchange (directly,
	// not through the gateway).
	setup func(t *testing.T, e *mxEnv)
	req   func(e *mxEnv) kmsg.Request
	needs []mxNeed
	// lists: the response lists resources the request does not name, and
	// the gateway asks about each of them to filter it.
	lists bool
	// hidden are places that must never be in the response (resources
	// never granted).
	hidden []string
	// forwardsEmpty: with every resource denied, what is left is still a
	// request the upstream answers (Metadata for no topics).
	forwardsEmpty bool
}

var (
	mxTopicDenied   = kerr.TopicAuthorizationFailed
	mxGroupDenied   = kerr.GroupAuthorizationFailed
	mxTxnDenied     = kerr.TransactionalIDAuthorizationFailed
	mxClusterDenied = kerr.ClusterAuthorizationFailed
)

func mxCases() []mxCase {
	const (
		read       = kmsg.ACLOperationRead
		write      = kmsg.ACLOperationWrite
		create     = kmsg.ACLOperationCreate
		del        = kmsg.ACLOperationDelete
		alter      = kmsg.ACLOperationAlter
		describe   = kmsg.ACLOperationDescribe
		descConfig = kmsg.ACLOperationDescribeConfigs
		altConfig  = kmsg.ACLOperationAlterConfigs
		idemWrite  = kmsg.ACLOperationIdempotentWrite
	)
	a0, b0 := mxPart(mxAlpha, 0), mxPart(mxBravo, 0)
	topicWise := func(op kmsg.ACLOperation, at func(string) string) []mxNeed {
		return []mxNeed{denyPart(mxTopic(mxAlpha, op), mxTopicDenied, at(mxAlpha)), denyPart(mxTopic(mxBravo, op), mxTopicDenied, at(mxBravo))}
	}
	part0 := func(topic string) string { return mxPart(topic, 0) }
	return []mxCase{
		// Data.
		{
			name: "Produce", version: 13,
			req:   func(e *mxEnv) kmsg.Request { return mxProduce(e, nil, true, mxAlpha, mxBravo) },
			needs: topicWise(write, part0),
		},
		{
			name: "Produce by name", version: 12,
			req:   func(e *mxEnv) kmsg.Request { return mxProduce(e, nil, false, mxAlpha, mxBravo) },
			needs: topicWise(write, part0),
		},
		{
			name: "Produce transactional", version: 13,
			req: func(e *mxEnv) kmsg.Request { return mxProduce(e, kmsg.StringPtr(mxXray), true, mxAlpha, mxBravo) },
			needs: append([]mxNeed{deny(mxTxn(mxXray, write), mxTxnDenied, a0, b0)},
				topicWise(write, part0)...),
		},
		{
			name: "Fetch", version: 18,
			req:   func(e *mxEnv) kmsg.Request { return mxFetch(e, true, mxAlpha, mxBravo) },
			needs: topicWise(read, part0),
		},
		{
			name: "Fetch by name", version: 12,
			req:   func(e *mxEnv) kmsg.Request { return mxFetch(e, false, mxAlpha, mxBravo) },
			needs: topicWise(read, part0),
		},
		{
			name: "ListOffsets", version: 10,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrListOffsetsRequest()
				req.ReplicaID = -1
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewListOffsetsRequestTopic()
					rt.Topic = topic
					p := kmsg.NewListOffsetsRequestTopicPartition()
					p.Partition, p.CurrentLeaderEpoch, p.Timestamp = 0, -1, -1
					rt.Partitions = append(rt.Partitions, p)
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: topicWise(describe, part0),
		},
		{
			name: "OffsetForLeaderEpoch", version: 4,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrOffsetForLeaderEpochRequest()
				req.ReplicaID = -1
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewOffsetForLeaderEpochRequestTopic()
					rt.Topic = topic
					p := kmsg.NewOffsetForLeaderEpochRequestTopicPartition()
					p.Partition, p.CurrentLeaderEpoch, p.LeaderEpoch = 0, -1, 0
					rt.Partitions = append(rt.Partitions, p)
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: topicWise(describe, part0),
		},
		{
			name: "DeleteRecords", version: 2,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDeleteRecordsRequest()
				req.TimeoutMillis = 5000
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewDeleteRecordsRequestTopic()
					rt.Topic = topic
					p := kmsg.NewDeleteRecordsRequestTopicPartition()
					p.Partition, p.Offset = 0, 0
					rt.Partitions = append(rt.Partitions, p)
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: topicWise(del, part0),
		},
		{
			name: "DescribeProducers", version: 0,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDescribeProducersRequest()
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewDescribeProducersRequestTopic()
					rt.Topic, rt.Partitions = topic, []int32{0}
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: topicWise(read, part0),
		},

		// Metadata.
		{
			name: "Metadata named topics", version: 13,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrMetadataRequest()
				req.Topics = mxMetadataTopics(mxAlpha, mxBravo)
				req.AllowAutoTopicCreation = false
				return req
			},
			needs:         topicWise(describe, mxTopicAt),
			forwardsEmpty: true,
		},
		{
			name: "Metadata all topics", version: 13,
			setup: func(t *testing.T, e *mxEnv) { e.createTopics(t, mxCharlie) },
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrMetadataRequest()
				req.Topics = nil
				return req
			},
			needs: []mxNeed{
				hide(mxTopic(mxAlpha, describe), mxTopicAt(mxAlpha)),
				hide(mxTopic(mxBravo, describe), mxTopicAt(mxBravo)),
			},
			lists:  true,
			hidden: []string{mxTopicAt(mxCharlie)},
		},
		{
			name: "Metadata auto-create", version: 13,
			setup: func(t *testing.T, e *mxEnv) { e.deleteTopics(t, mxCharlie) },
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrMetadataRequest()
				req.Topics = mxMetadataTopics(mxCharlie)
				req.AllowAutoTopicCreation = true
				return req
			},
			forwardsEmpty: true,
			needs: []mxNeed{
				denyPart(mxTopic(mxCharlie, describe), mxTopicDenied, mxTopicAt(mxCharlie)),
				{
					a: mxTopic(mxCharlie, create), at: []string{mxTopicAt(mxCharlie)}, code: mxTopicDenied, rest: true,
					forwarded: func(t *testing.T, e *mxEnv, req kmsg.Request) {
						t.Helper()
						if mr := req.(*kmsg.MetadataRequest); mr.AllowAutoTopicCreation {
							t.Errorf("upstream Metadata: got AllowAutoTopicCreation true; want false (the principal may not create %s)", mxCharlie)
						}
						if e.topicExists(t, mxCharlie) {
							t.Errorf("topic %s exists upstream; want it not created", mxCharlie)
						}
					},
				},
			},
		},

		// Consumer groups.
		{
			name: "FindCoordinator group", version: 6,
			req: func(e *mxEnv) kmsg.Request { return mxFindCoordinator(0, mxGolf, mxHotel) },
			needs: []mxNeed{
				denyPart(mxGroup(mxGolf, describe), mxGroupDenied, mxKeyAt(mxGolf)),
				denyPart(mxGroup(mxHotel, describe), mxGroupDenied, mxKeyAt(mxHotel)),
			},
		},
		{
			name: "FindCoordinator group one key", version: 3,
			req:   func(e *mxEnv) kmsg.Request { return mxFindCoordinator(0, mxGolf) },
			needs: []mxNeed{deny(mxGroup(mxGolf, describe), mxGroupDenied, mxTop)},
		},
		{
			name: "FindCoordinator transaction", version: 6,
			req: func(e *mxEnv) kmsg.Request { return mxFindCoordinator(1, mxXray, mxYankee) },
			needs: []mxNeed{
				denyPart(mxTxn(mxXray, describe), mxTxnDenied, mxKeyAt(mxXray)),
				denyPart(mxTxn(mxYankee, describe), mxTxnDenied, mxKeyAt(mxYankee)),
			},
		},
		{
			name: "JoinGroup", version: 9,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrJoinGroupRequest()
				req.Group, req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = mxGolf, 30000, 30000
				req.ProtocolType = "consumer"
				p := kmsg.NewJoinGroupRequestProtocol()
				p.Name, p.Metadata = "range", (&kmsg.ConsumerMemberMetadata{Topics: []string{mxAlpha}}).AppendTo(nil)
				req.Protocols = append(req.Protocols, p)
				return req
			},
			needs: []mxNeed{deny(mxGroup(mxGolf, read), mxGroupDenied, mxTop)},
		},
		{
			name: "SyncGroup", version: 5,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrSyncGroupRequest()
				req.Group, req.Generation, req.MemberID = mxGolf, 1, mxMember
				req.ProtocolType, req.Protocol = kmsg.StringPtr("consumer"), kmsg.StringPtr("range")
				return req
			},
			needs: []mxNeed{deny(mxGroup(mxGolf, read), mxGroupDenied, mxTop)},
		},
		{
			name: "Heartbeat", version: 4,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrHeartbeatRequest()
				req.Group, req.Generation, req.MemberID = mxGolf, 1, mxMember
				return req
			},
			needs: []mxNeed{deny(mxGroup(mxGolf, read), mxGroupDenied, mxTop)},
		},
		{
			name: "LeaveGroup", version: 5,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrLeaveGroupRequest()
				req.Group = mxGolf
				m := kmsg.NewLeaveGroupRequestMember()
				m.MemberID = mxMember
				req.Members = append(req.Members, m)
				return req
			},
			needs: []mxNeed{deny(mxGroup(mxGolf, read), mxGroupDenied, mxTop)},
		},
		{
			name: "ConsumerGroupHeartbeat", version: 1,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrConsumerGroupHeartbeatRequest()
				req.Group, req.MemberID, req.MemberEpoch = mxGolf, "mx-member-uuid-0000000", 0
				req.RebalanceTimeoutMillis = 30000
				req.SubscribedTopicNames = []string{mxAlpha}
				return req
			},
			needs: []mxNeed{deny(mxGroup(mxGolf, read), mxGroupDenied, mxTop)},
		},
		{
			name: "OffsetCommit", version: 10,
			req: func(e *mxEnv) kmsg.Request { return mxOffsetCommit(e, true) },
			needs: append([]mxNeed{deny(mxGroup(mxGolf, read), mxGroupDenied, a0, b0)},
				topicWise(read, part0)...),
		},
		{
			name: "OffsetCommit by name", version: 9,
			req: func(e *mxEnv) kmsg.Request { return mxOffsetCommit(e, false) },
			needs: append([]mxNeed{deny(mxGroup(mxGolf, read), mxGroupDenied, a0, b0)},
				topicWise(read, part0)...),
		},
		{
			name: "OffsetFetch", version: 10,
			setup: func(t *testing.T, e *mxEnv) {
				e.commit(t, mxGolf, mxAlpha, mxBravo)
				e.commit(t, mxHotel, mxAlpha)
			},
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrOffsetFetchRequest()
				for _, g := range []struct {
					group  string
					topics []string
				}{{mxGolf, []string{mxAlpha, mxBravo}}, {mxHotel, []string{mxAlpha}}} {
					rg := kmsg.NewOffsetFetchRequestGroup()
					rg.Group = g.group
					for _, topic := range g.topics {
						rt := kmsg.NewOffsetFetchRequestGroupTopic()
						rt.TopicID, rt.Partitions = e.id(topic), []int32{0}
						rg.Topics = append(rg.Topics, rt)
					}
					req.Groups = append(req.Groups, rg)
				}
				return req
			},
			needs: []mxNeed{
				{a: mxGroup(mxGolf, describe), at: []string{mxGroupAt(mxGolf)}, code: mxGroupDenied, rest: true,
					gone: []string{mxGroupPart(mxGolf, mxAlpha, 0), mxGroupPart(mxGolf, mxBravo, 0)}},
				{a: mxGroup(mxHotel, describe), at: []string{mxGroupAt(mxHotel)}, code: mxGroupDenied, rest: true,
					gone: []string{mxGroupPart(mxHotel, mxAlpha, 0)}},
				denyPart(mxTopic(mxAlpha, describe), mxTopicDenied, mxGroupPart(mxGolf, mxAlpha, 0), mxGroupPart(mxHotel, mxAlpha, 0)),
				denyPart(mxTopic(mxBravo, describe), mxTopicDenied, mxGroupPart(mxGolf, mxBravo, 0)),
			},
		},
		{
			name: "OffsetFetch one group", version: 7,
			setup: func(t *testing.T, e *mxEnv) { e.commit(t, mxGolf, mxAlpha, mxBravo) },
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrOffsetFetchRequest()
				req.Group = mxGolf
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewOffsetFetchRequestTopic()
					rt.Topic, rt.Partitions = topic, []int32{0}
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: append([]mxNeed{{a: mxGroup(mxGolf, describe), at: []string{mxTop}, code: mxGroupDenied, gone: []string{a0, b0}}},
				topicWise(describe, part0)...),
		},
		{
			name: "DescribeGroups", version: 6,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDescribeGroupsRequest()
				req.Groups = []string{mxGolf, mxHotel}
				return req
			},
			needs: []mxNeed{
				denyPart(mxGroup(mxGolf, describe), mxGroupDenied, mxGroupAt(mxGolf)),
				denyPart(mxGroup(mxHotel, describe), mxGroupDenied, mxGroupAt(mxHotel)),
			},
		},
		{
			name: "ListGroups", version: 5,
			setup: func(t *testing.T, e *mxEnv) { e.commit(t, mxGolf, mxAlpha) },
			req:   func(e *mxEnv) kmsg.Request { return kmsg.NewPtrListGroupsRequest() },
			needs: []mxNeed{hide(mxCluster(describe), mxGroupAt(mxGolf))},
			lists: true,
		},
		{
			name: "DeleteGroups", version: 3,
			setup: func(t *testing.T, e *mxEnv) {
				e.commit(t, mxGolf, mxAlpha)
				e.commit(t, mxHotel, mxAlpha)
			},
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDeleteGroupsRequest()
				req.Groups = []string{mxGolf, mxHotel}
				return req
			},
			needs: []mxNeed{
				denyPart(mxGroup(mxGolf, del), mxGroupDenied, mxGroupAt(mxGolf)),
				denyPart(mxGroup(mxHotel, del), mxGroupDenied, mxGroupAt(mxHotel)),
			},
		},
		{
			name: "OffsetDelete", version: 0,
			setup: func(t *testing.T, e *mxEnv) { e.commit(t, mxGolf, mxAlpha, mxBravo) },
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrOffsetDeleteRequest()
				req.Group = mxGolf
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewOffsetDeleteRequestTopic()
					rt.Topic = topic
					p := kmsg.NewOffsetDeleteRequestTopicPartition()
					p.Partition = 0
					rt.Partitions = append(rt.Partitions, p)
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: append([]mxNeed{{a: mxGroup(mxGolf, del), at: []string{mxTop}, code: mxGroupDenied, gone: []string{a0, b0}}},
				topicWise(read, part0)...),
		},

		// Topics.
		{
			name: "CreateTopics", version: 7,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrCreateTopicsRequest()
				req.TimeoutMillis, req.ValidateOnly = 5000, true
				for _, topic := range []string{mxCharlie, mxDelta} {
					rt := kmsg.NewCreateTopicsRequestTopic()
					rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, 1, 1
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: []mxNeed{
				denyPart(mxTopic(mxCharlie, create), mxTopicDenied, mxTopicAt(mxCharlie)),
				denyPart(mxTopic(mxDelta, create), mxTopicDenied, mxTopicAt(mxDelta)),
			},
		},
		{
			name: "DeleteTopics", version: 6,
			setup: func(t *testing.T, e *mxEnv) { e.createTopics(t, mxEcho, mxFoxtrot) },
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDeleteTopicsRequest()
				req.TimeoutMillis = 5000
				for _, topic := range []string{mxEcho, mxFoxtrot} {
					rt := kmsg.NewDeleteTopicsRequestTopic()
					rt.Topic = kmsg.StringPtr(topic)
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: []mxNeed{
				denyPart(mxTopic(mxEcho, del), mxTopicDenied, mxTopicAt(mxEcho)),
				denyPart(mxTopic(mxFoxtrot, del), mxTopicDenied, mxTopicAt(mxFoxtrot)),
			},
		},
		{
			name: "DeleteTopics by id", version: 6,
			setup: func(t *testing.T, e *mxEnv) { e.createTopics(t, mxEcho, mxFoxtrot) },
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDeleteTopicsRequest()
				req.TimeoutMillis = 5000
				for _, topic := range []string{mxEcho, mxFoxtrot} {
					rt := kmsg.NewDeleteTopicsRequestTopic()
					rt.TopicID = e.id(topic)
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: []mxNeed{
				denyPart(mxTopic(mxEcho, del), mxTopicDenied, mxTopicAt(mxEcho)),
				denyPart(mxTopic(mxFoxtrot, del), mxTopicDenied, mxTopicAt(mxFoxtrot)),
			},
		},
		{
			name: "CreatePartitions", version: 3,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrCreatePartitionsRequest()
				req.TimeoutMillis, req.ValidateOnly = 5000, true
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewCreatePartitionsRequestTopic()
					rt.Topic, rt.Count = topic, 4
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: topicWise(alter, mxTopicAt),
		},
		{
			name: "DescribeTopicPartitions", version: 0,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDescribeTopicPartitionsRequest()
				req.ResponsePartitionLimit = 100
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
					rt.Topic = topic
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: topicWise(describe, mxTopicAt),
		},

		// Producer ids and transactions.
		{
			name: "InitProducerId transactional", version: 5,
			req:   func(e *mxEnv) kmsg.Request { return mxInitProducerID(kmsg.StringPtr(mxXray)) },
			needs: []mxNeed{deny(mxTxn(mxXray, write), mxTxnDenied, mxTop)},
		},
		{
			name: "InitProducerId idempotent", version: 5,
			req:   func(e *mxEnv) kmsg.Request { return mxInitProducerID(nil) },
			needs: []mxNeed{deny(mxCluster(idemWrite), mxClusterDenied, mxTop)},
		},
		{
			name: "AddPartitionsToTxn", version: 3,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrAddPartitionsToTxnRequest()
				req.TransactionalID, req.ProducerID, req.ProducerEpoch = mxXray, 1, 0
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewAddPartitionsToTxnRequestTopic()
					rt.Topic, rt.Partitions = topic, []int32{0}
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: []mxNeed{
				deny(mxTxn(mxXray, write), mxTxnDenied, a0, b0),
				// A broker adds no partition when one is refused.
				{a: mxTopic(mxAlpha, write), at: []string{a0}, code: mxTopicDenied, others: kerr.OperationNotAttempted},
				{a: mxTopic(mxBravo, write), at: []string{b0}, code: mxTopicDenied, others: kerr.OperationNotAttempted},
			},
		},
		{
			name: "AddOffsetsToTxn", version: 4,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrAddOffsetsToTxnRequest()
				req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Group = mxXray, 1, 0, mxGolf
				return req
			},
			needs: []mxNeed{
				deny(mxTxn(mxXray, write), mxTxnDenied, mxTop),
				deny(mxGroup(mxGolf, read), mxGroupDenied, mxTop),
			},
		},
		{
			name: "EndTxn", version: 5,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrEndTxnRequest()
				req.TransactionalID, req.ProducerID, req.ProducerEpoch, req.Commit = mxXray, 1, 0, true
				return req
			},
			needs: []mxNeed{deny(mxTxn(mxXray, write), mxTxnDenied, mxTop)},
		},
		{
			name: "TxnOffsetCommit", version: 6,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrTxnOffsetCommitRequest()
				req.TransactionalID, req.Group, req.ProducerID, req.ProducerEpoch = mxXray, mxGolf, 1, 0
				req.Generation = -1
				for _, topic := range []string{mxAlpha, mxBravo} {
					rt := kmsg.NewTxnOffsetCommitRequestTopic()
					rt.Topic, rt.TopicID = topic, e.id(topic)
					p := kmsg.NewTxnOffsetCommitRequestTopicPartition()
					p.Partition, p.Offset, p.LeaderEpoch = 0, 1, -1
					rt.Partitions = append(rt.Partitions, p)
					req.Topics = append(req.Topics, rt)
				}
				return req
			},
			needs: append([]mxNeed{
				deny(mxTxn(mxXray, write), mxTxnDenied, a0, b0),
				deny(mxGroup(mxGolf, read), mxGroupDenied, a0, b0),
			}, topicWise(read, part0)...),
		},
		{
			name: "DescribeTransactions", version: 0,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDescribeTransactionsRequest()
				req.TransactionalIDs = []string{mxXray, mxYankee}
				return req
			},
			needs: []mxNeed{
				denyPart(mxTxn(mxXray, describe), mxTxnDenied, mxTxnAt(mxXray)),
				denyPart(mxTxn(mxYankee, describe), mxTxnDenied, mxTxnAt(mxYankee)),
			},
		},
		{
			name: "ListTransactions", version: 2,
			setup: func(t *testing.T, e *mxEnv) {
				e.initTxn(t, mxXray)
				e.initTxn(t, mxYankee)
			},
			req:    func(e *mxEnv) kmsg.Request { return kmsg.NewPtrListTransactionsRequest() },
			needs:  []mxNeed{hide(mxTxn(mxXray, describe), mxTxnAt(mxXray))},
			lists:  true,
			hidden: []string{mxTxnAt(mxYankee)},
		},

		// Configs.
		{
			name: "DescribeConfigs topic", version: 4,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDescribeConfigsRequest()
				for _, topic := range []string{mxAlpha, mxBravo} {
					r := kmsg.NewDescribeConfigsRequestResource()
					r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, topic
					req.Resources = append(req.Resources, r)
				}
				return req
			},
			needs: topicWise(descConfig, func(topic string) string { return mxConfigAt(kmsg.ConfigResourceTypeTopic, topic) }),
		},
		{
			name: "DescribeConfigs broker", version: 4,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDescribeConfigsRequest()
				r := kmsg.NewDescribeConfigsRequestResource()
				r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeBroker, "0"
				req.Resources = append(req.Resources, r)
				return req
			},
			needs: []mxNeed{deny(mxCluster(descConfig), mxClusterDenied, mxConfigAt(kmsg.ConfigResourceTypeBroker, "0"))},
		},
		{
			name: "AlterConfigs", version: 2,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrAlterConfigsRequest()
				req.ValidateOnly = true
				for _, topic := range []string{mxAlpha, mxBravo} {
					r := kmsg.NewAlterConfigsRequestResource()
					r.ResourceType, r.ResourceName = kmsg.ConfigResourceTypeTopic, topic
					c := kmsg.NewAlterConfigsRequestResourceConfig()
					c.Name, c.Value = "retention.ms", kmsg.StringPtr("3600000")
					r.Configs = append(r.Configs, c)
					req.Resources = append(req.Resources, r)
				}
				return req
			},
			needs: topicWise(altConfig, func(topic string) string { return mxConfigAt(kmsg.ConfigResourceTypeTopic, topic) }),
		},
		{
			name: "IncrementalAlterConfigs topic", version: 1,
			req: func(e *mxEnv) kmsg.Request {
				return mxIncrementalAlterConfigs(kmsg.ConfigResourceTypeTopic, "retention.ms", "3600000", mxAlpha, mxBravo)
			},
			needs: topicWise(altConfig, func(topic string) string { return mxConfigAt(kmsg.ConfigResourceTypeTopic, topic) }),
		},
		{
			name: "IncrementalAlterConfigs broker", version: 1,
			req: func(e *mxEnv) kmsg.Request {
				return mxIncrementalAlterConfigs(kmsg.ConfigResourceTypeBroker, "log.retention.ms", "3600000", "0")
			},
			needs: []mxNeed{deny(mxCluster(altConfig), mxClusterDenied, mxConfigAt(kmsg.ConfigResourceTypeBroker, "0"))},
		},

		// Cluster.
		{
			name: "DescribeCluster", version: 2,
			req:   func(e *mxEnv) kmsg.Request { return kmsg.NewPtrDescribeClusterRequest() },
			needs: []mxNeed{deny(mxCluster(describe), mxClusterDenied, mxTop)},
		},
		{
			name: "DescribeAcls", version: 3,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDescribeACLsRequest()
				req.ResourceType, req.ResourcePatternType = kmsg.ACLResourceTypeAny, kmsg.ACLResourcePatternTypeAny
				req.Operation, req.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
				return req
			},
			needs: []mxNeed{deny(mxCluster(describe), mxClusterDenied, mxTop)},
		},
		{
			name: "CreateAcls", version: 3,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrCreateACLsRequest()
				for _, topic := range []string{mxAlpha, mxBravo} {
					c := kmsg.NewCreateACLsRequestCreation()
					c.ResourceType, c.ResourceName, c.ResourcePatternType = kmsg.ACLResourceTypeTopic, topic, kmsg.ACLResourcePatternTypeLiteral
					c.Principal, c.Host = "User:someone", "*"
					c.Operation, c.PermissionType = kmsg.ACLOperationRead, kmsg.ACLPermissionTypeAllow
					req.Creations = append(req.Creations, c)
				}
				return req
			},
			needs: []mxNeed{deny(mxCluster(alter), mxClusterDenied, mxResultAt(0), mxResultAt(1))},
		},
		{
			name: "DeleteAcls", version: 3,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDeleteACLsRequest()
				for _, topic := range []string{mxAlpha, mxBravo} {
					f := kmsg.NewDeleteACLsRequestFilter()
					f.ResourceType, f.ResourceName, f.ResourcePatternType = kmsg.ACLResourceTypeTopic, kmsg.StringPtr(topic), kmsg.ACLResourcePatternTypeLiteral
					f.Operation, f.PermissionType = kmsg.ACLOperationAny, kmsg.ACLPermissionTypeAny
					req.Filters = append(req.Filters, f)
				}
				return req
			},
			needs: []mxNeed{deny(mxCluster(alter), mxClusterDenied, mxResultAt(0), mxResultAt(1))},
		},
		{
			name: "DescribeLogDirs", version: 5,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrDescribeLogDirsRequest()
				req.Topics = nil
				return req
			},
			needs: []mxNeed{deny(mxCluster(describe), mxClusterDenied, mxTop)},
		},
		{
			name: "AlterPartitionAssignments", version: 1,
			req: func(e *mxEnv) kmsg.Request {
				req := kmsg.NewPtrAlterPartitionAssignmentsRequest()
				req.TimeoutMillis = 5000
				rt := kmsg.NewAlterPartitionAssignmentsRequestTopic()
				rt.Topic = mxAlpha
				p := kmsg.NewAlterPartitionAssignmentsRequestTopicPartition()
				p.Partition, p.Replicas = 0, []int32{0}
				rt.Partitions = append(rt.Partitions, p)
				req.Topics = append(req.Topics, rt)
				return req
			},
			needs: []mxNeed{deny(mxCluster(alter), mxClusterDenied, mxTop)},
		},
	}
}

// Request builders.

func mxMetadataTopics(names ...string) []kmsg.MetadataRequestTopic {
	var out []kmsg.MetadataRequestTopic
	for _, n := range names {
		t := kmsg.NewMetadataRequestTopic()
		t.Topic = kmsg.StringPtr(n)
		out = append(out, t)
	}
	return out
}

func mxProduce(e *mxEnv, txn *string, byID bool, topics ...string) kmsg.Request {
	req := kmsg.NewPtrProduceRequest()
	req.TransactionID, req.Acks, req.TimeoutMillis = txn, -1, 5000
	for _, topic := range topics {
		rt := kmsg.NewProduceRequestTopic()
		if byID {
			rt.TopicID = e.id(topic)
		} else {
			rt.Topic = topic
		}
		p := kmsg.NewProduceRequestTopicPartition()
		p.Partition, p.Records = 0, mxRecordBatch(txn != nil)
		rt.Partitions = append(rt.Partitions, p)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

// mxRecordBatch is a valid record batch of one record (CRC-32C and all).
func mxRecordBatch(transactional bool) []byte {
	rec := kmsg.Record{Key: []byte("k"), Value: []byte("v")}
	rec.Length = int32(len(rec.AppendTo(nil)) - 1) // the length varint of 0 is one byte
	now := time.Now().UnixMilli()
	batch := kmsg.RecordBatch{
		PartitionLeaderEpoch: -1, Magic: 2, FirstTimestamp: now, MaxTimestamp: now,
		ProducerID: -1, ProducerEpoch: -1, FirstSequence: -1, NumRecords: 1, Records: rec.AppendTo(nil),
	}
	if transactional {
		batch.Attributes = 0x0010
		batch.ProducerID, batch.ProducerEpoch, batch.FirstSequence = 1, 0, 0
	}
	raw := batch.AppendTo(nil)
	binary.BigEndian.PutUint32(raw[8:], uint32(len(raw)-12))
	binary.BigEndian.PutUint32(raw[17:], crc32.Checksum(raw[21:], crc32.MakeTable(crc32.Castagnoli)))
	return raw
}

func mxFetch(e *mxEnv, byID bool, topics ...string) kmsg.Request {
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID, req.ReplicaState.ID, req.ReplicaState.Epoch = -1, -1, -1
	req.MaxWaitMillis, req.MinBytes, req.MaxBytes = 0, 0, 1<<20
	req.SessionID, req.SessionEpoch = 0, -1
	for _, topic := range topics {
		rt := kmsg.NewFetchRequestTopic()
		if byID {
			rt.TopicID = e.id(topic)
		} else {
			rt.Topic = topic
		}
		p := kmsg.NewFetchRequestTopicPartition()
		p.Partition, p.CurrentLeaderEpoch, p.FetchOffset, p.LastFetchedEpoch, p.LogStartOffset, p.PartitionMaxBytes = 0, -1, 0, -1, -1, 1<<20
		rt.Partitions = append(rt.Partitions, p)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func mxFindCoordinator(typ int8, keys ...string) kmsg.Request {
	req := kmsg.NewPtrFindCoordinatorRequest()
	req.CoordinatorType = typ
	req.CoordinatorKey = keys[0]
	req.CoordinatorKeys = keys
	return req
}

func mxOffsetCommit(e *mxEnv, byID bool) kmsg.Request {
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation, req.MemberID = mxGolf, -1, ""
	for _, topic := range []string{mxAlpha, mxBravo} {
		rt := kmsg.NewOffsetCommitRequestTopic()
		if byID {
			rt.TopicID = e.id(topic)
		} else {
			rt.Topic = topic
		}
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.LeaderEpoch = 0, 1, -1
		rt.Partitions = append(rt.Partitions, p)
		req.Topics = append(req.Topics, rt)
	}
	return req
}

func mxInitProducerID(txn *string) kmsg.Request {
	req := kmsg.NewPtrInitProducerIDRequest()
	req.TransactionalID, req.TransactionTimeoutMillis = txn, 60000
	req.ProducerID, req.ProducerEpoch = -1, -1
	return req
}

func mxIncrementalAlterConfigs(t kmsg.ConfigResourceType, name, value string, resources ...string) kmsg.Request {
	req := kmsg.NewPtrIncrementalAlterConfigsRequest()
	req.ValidateOnly = true
	for _, rn := range resources {
		r := kmsg.NewIncrementalAlterConfigsRequestResource()
		r.ResourceType, r.ResourceName = t, rn
		c := kmsg.NewIncrementalAlterConfigsRequestResourceConfig()
		c.Name, c.Op, c.Value = name, kmsg.IncrementalAlterConfigOpSet, kmsg.StringPtr(value)
		r.Configs = append(r.Configs, c)
		req.Resources = append(req.Resources, r)
	}
	return req
}

// Checks.

// mxAuthFailures are the error codes of authorization failures.
var mxAuthFailures = map[int16]bool{
	mxTopicDenied.Code: true, mxGroupDenied.Code: true, mxTxnDenied.Code: true, mxClusterDenied.Code: true,
}

func mxCodeName(code int16) string {
	if err := kerr.ErrorForCode(code); err != nil {
		return err.Error()
	}
	return "no error"
}

func checkGranted(t *testing.T, e *mxEnv, c mxCase, r mxResult) {
	t.Helper()
	if got := len(r.upstream); got != 1 {
		t.Errorf("%s v%d reached the upstream %d times; want 1", r.name, c.version, got)
	}
	needed := map[Access]bool{}
	for _, n := range c.needs {
		needed[n.a] = true
		if !r.asked[n.a] {
			t.Errorf("the gateway never asked about %v; want it asked (§6)", n.a)
		}
	}
	if !c.lists {
		for a := range r.asked {
			if !needed[a] {
				t.Errorf("the gateway asked about %v; want only the accesses §6 documents", a)
			}
		}
	}
	codes := mxResponseCodes(e, r.resp)
	checkDuplicates(t, codes)
	for _, loc := range codes.places() {
		if code := codes.m[loc]; mxAuthFailures[code] {
			t.Errorf("%s: got %s; want no authorization failure", loc, mxCodeName(code))
		}
	}
	for _, loc := range c.places() {
		if _, ok := codes.m[loc]; !ok {
			t.Errorf("%s: not in the response; want the upstream's answer (response places: %v)", loc, codes.places())
		}
	}
	checkHidden(t, c, codes)
}

// checkDenied checks the answer to a request whose denied accesses were
// not granted. Each place is decided by the first denied access, in the
// row's order (the order a broker checks them in), that names it.
// reached says whether anything of the request may reach the upstream.
func checkDenied(t *testing.T, e *mxEnv, c mxCase, denied []mxNeed, reached bool, r mxResult) {
	t.Helper()
	var what []string
	for _, n := range denied {
		what = append(what, n.a.String())
	}
	only := strings.Join(what, ", ")
	codes := mxResponseCodes(e, r.resp)
	checkDuplicates(t, codes)
	decided := map[string]bool{}
	for _, n := range denied {
		for _, loc := range n.at {
			if decided[loc] {
				continue
			}
			decided[loc] = true
			got, ok := codes.m[loc]
			switch {
			case !ok:
				t.Errorf("%s: not in the response; want %s (response places: %v)", loc, n.code.Message, codes.places())
			case got != n.code.Code:
				t.Errorf("%s: got %s; want %s", loc, mxCodeName(got), n.code.Message)
			}
		}
		for _, loc := range n.gone {
			if decided[loc] {
				continue
			}
			decided[loc] = true
			if got, ok := codes.m[loc]; ok {
				t.Errorf("%s: in the response (%s); want it left out", loc, mxCodeName(got))
			}
		}
	}
	var others *kerr.Error
	if len(denied) == 1 {
		others = denied[0].others
	}
	for _, loc := range codes.places() {
		if decided[loc] {
			continue
		}
		got := codes.m[loc]
		if others != nil {
			if got != others.Code {
				t.Errorf("%s: got %s; want %s", loc, mxCodeName(got), others.Message)
			}
		} else if mxAuthFailures[got] {
			t.Errorf("%s: got %s; want no authorization failure (only %s denied)", loc, mxCodeName(got), only)
		}
	}
	for _, loc := range c.places() {
		if _, ok := codes.m[loc]; !ok && !decided[loc] {
			t.Errorf("%s: not in the response; want it answered (only %s denied)", loc, only)
		}
	}
	checkHidden(t, c, codes)
	if !reached {
		if got := len(r.upstream); got != 0 {
			t.Errorf("the denied %s v%d reached the upstream %d times; want 0", r.name, c.version, got)
		}
		return
	}
	if got := len(r.upstream); got != 1 {
		t.Errorf("the rest of %s v%d reached the upstream %d times; want 1", r.name, c.version, got)
		return
	}
	fwd := r.upstream[0]
	if len(denied) == 1 && denied[0].forwarded != nil {
		denied[0].forwarded(t, e, fwd.req)
		return
	}
	for _, n := range denied {
		for _, b := range e.resourceBytes(n.a) {
			if bytes.Contains(fwd.raw, b) {
				t.Errorf("the upstream got %s v%d with the denied %s %s in it; want it removed", r.name, fwd.version, n.a.Type, n.a.Name)
				break
			}
		}
	}
}

func checkDuplicates(t *testing.T, codes *mxCodes) {
	t.Helper()
	for _, loc := range codes.dups {
		t.Errorf("%s: answered more than once; want once", loc)
	}
}

func checkHidden(t *testing.T, c mxCase, codes *mxCodes) {
	t.Helper()
	for _, loc := range c.hidden {
		if _, ok := codes.m[loc]; ok {
			t.Errorf("%s: in the response; want it filtered out (never granted)", loc)
		}
	}
}

// places are every place a row's needs name.
func (c mxCase) places() []string {
	var out []string
	for _, n := range c.needs {
		for _, loc := range slices.Concat(n.at, n.gone) {
			if !slices.Contains(out, loc) {
				out = append(out, loc)
			}
		}
	}
	return out
}

// mxCodes are the error codes of a response by place.
type mxCodes struct {
	m    map[string]int16
	dups []string
}

func (c *mxCodes) add(loc string, code int16) {
	if _, ok := c.m[loc]; ok {
		c.dups = append(c.dups, loc)
	}
	c.m[loc] = code
}

func (c *mxCodes) places() []string {
	out := make([]string, 0, len(c.m))
	for loc := range c.m {
		out = append(out, loc)
	}
	sort.Strings(out)
	return out
}

// mxResponseCodes lists where a response carries error codes: "top" for
// the top-level code, then per topic, partition, group, key, transactional
// id, config resource or result.
func mxResponseCodes(e *mxEnv, resp kmsg.Response) *mxCodes {
	c := &mxCodes{m: map[string]int16{}}
	topic := e.topicName
	switch r := resp.(type) {
	case *kmsg.ProduceResponse:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(topic(t.Topic, t.TopicID), p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.FetchResponse:
		c.add(mxTop, r.ErrorCode)
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(topic(t.Topic, t.TopicID), p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.ListOffsetsResponse:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(t.Topic, p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.OffsetForLeaderEpochResponse:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(t.Topic, p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.DeleteRecordsResponse:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(t.Topic, p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.DescribeProducersResponse:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(t.Topic, p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.MetadataResponse:
		c.add(mxTop, 0)
		for _, t := range r.Topics {
			name := ""
			if t.Topic != nil {
				name = *t.Topic
			}
			c.add(mxTopicAt(topic(name, t.TopicID)), t.ErrorCode)
		}
	case *kmsg.FindCoordinatorResponse:
		if r.Version < 4 {
			c.add(mxTop, r.ErrorCode)
		}
		for _, k := range r.Coordinators {
			c.add(mxKeyAt(k.Key), k.ErrorCode)
		}
	case *kmsg.JoinGroupResponse:
		c.add(mxTop, r.ErrorCode)
	case *kmsg.SyncGroupResponse:
		c.add(mxTop, r.ErrorCode)
	case *kmsg.HeartbeatResponse:
		c.add(mxTop, r.ErrorCode)
	case *kmsg.LeaveGroupResponse:
		c.add(mxTop, r.ErrorCode)
		for _, m := range r.Members {
			c.add("member:"+m.MemberID, m.ErrorCode)
		}
	case *kmsg.ConsumerGroupHeartbeatResponse:
		c.add(mxTop, r.ErrorCode)
	case *kmsg.OffsetCommitResponse:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(topic(t.Topic, t.TopicID), p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.OffsetFetchResponse:
		if r.Version < 8 {
			c.add(mxTop, r.ErrorCode)
			for _, t := range r.Topics {
				for _, p := range t.Partitions {
					c.add(mxPart(t.Topic, p.Partition), p.ErrorCode)
				}
			}
		}
		for _, g := range r.Groups {
			c.add(mxGroupAt(g.Group), g.ErrorCode)
			for _, t := range g.Topics {
				for _, p := range t.Partitions {
					c.add(mxGroupPart(g.Group, topic(t.Topic, t.TopicID), p.Partition), p.ErrorCode)
				}
			}
		}
	case *kmsg.DescribeGroupsResponse:
		for _, g := range r.Groups {
			c.add(mxGroupAt(g.Group), g.ErrorCode)
		}
	case *kmsg.ListGroupsResponse:
		c.add(mxTop, r.ErrorCode)
		for _, g := range r.Groups {
			c.add(mxGroupAt(g.Group), 0)
		}
	case *kmsg.DeleteGroupsResponse:
		for _, g := range r.Groups {
			c.add(mxGroupAt(g.Group), g.ErrorCode)
		}
	case *kmsg.OffsetDeleteResponse:
		c.add(mxTop, r.ErrorCode)
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(t.Topic, p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.CreateTopicsResponse:
		for _, t := range r.Topics {
			c.add(mxTopicAt(t.Topic), t.ErrorCode)
		}
	case *kmsg.DeleteTopicsResponse:
		for _, t := range r.Topics {
			name := ""
			if t.Topic != nil {
				name = *t.Topic
			}
			c.add(mxTopicAt(topic(name, t.TopicID)), t.ErrorCode)
		}
	case *kmsg.CreatePartitionsResponse:
		for _, t := range r.Topics {
			c.add(mxTopicAt(t.Topic), t.ErrorCode)
		}
	case *kmsg.DescribeTopicPartitionsResponse:
		for _, t := range r.Topics {
			name := ""
			if t.Topic != nil {
				name = *t.Topic
			}
			c.add(mxTopicAt(topic(name, t.TopicID)), t.ErrorCode)
		}
	case *kmsg.InitProducerIDResponse:
		c.add(mxTop, r.ErrorCode)
	case *kmsg.AddPartitionsToTxnResponse:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(t.Topic, p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.AddOffsetsToTxnResponse:
		c.add(mxTop, r.ErrorCode)
	case *kmsg.EndTxnResponse:
		c.add(mxTop, r.ErrorCode)
	case *kmsg.TxnOffsetCommitResponse:
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(topic(t.Topic, t.TopicID), p.Partition), p.ErrorCode)
			}
		}
	case *kmsg.DescribeTransactionsResponse:
		for _, s := range r.TransactionStates {
			c.add(mxTxnAt(s.TransactionalID), s.ErrorCode)
		}
	case *kmsg.ListTransactionsResponse:
		c.add(mxTop, r.ErrorCode)
		for _, s := range r.TransactionStates {
			c.add(mxTxnAt(s.TransactionalID), 0)
		}
	case *kmsg.DescribeConfigsResponse:
		for _, res := range r.Resources {
			c.add(mxConfigAt(res.ResourceType, res.ResourceName), res.ErrorCode)
		}
	case *kmsg.AlterConfigsResponse:
		for _, res := range r.Resources {
			c.add(mxConfigAt(res.ResourceType, res.ResourceName), res.ErrorCode)
		}
	case *kmsg.IncrementalAlterConfigsResponse:
		for _, res := range r.Resources {
			c.add(mxConfigAt(res.ResourceType, res.ResourceName), res.ErrorCode)
		}
	case *kmsg.DescribeClusterResponse:
		c.add(mxTop, r.ErrorCode)
	case *kmsg.DescribeACLsResponse:
		c.add(mxTop, r.ErrorCode)
	case *kmsg.CreateACLsResponse:
		for i, res := range r.Results {
			c.add(mxResultAt(i), res.ErrorCode)
		}
	case *kmsg.DeleteACLsResponse:
		for i, res := range r.Results {
			c.add(mxResultAt(i), res.ErrorCode)
		}
	case *kmsg.DescribeLogDirsResponse:
		c.add(mxTop, r.ErrorCode)
		for _, d := range r.Dirs {
			c.add("dir:"+d.Dir, d.ErrorCode)
		}
	case *kmsg.AlterPartitionAssignmentsResponse:
		c.add(mxTop, r.ErrorCode)
		for _, t := range r.Topics {
			for _, p := range t.Partitions {
				c.add(mxPart(t.Topic, p.Partition), p.ErrorCode)
			}
		}
	default:
		panic(fmt.Sprintf("mxResponseCodes: no places for %T", resp))
	}
	return c
}

// The environment: a one-broker kfake cluster, and a gateway in front of it
// with one TLS + SASL/PLAIN listener set whose requests the fake
// authorizer decides.

type mxEnv struct {
	kf    *kfake.Cluster
	admin *kgo.Client // straight to kfake, for setup
	addr  string      // the gateway's listener for broker 0
	pool  *x509.CertPool
	az    *mxAuthorizer
	up    *mxUpstream
	users int

	ids   map[string][16]byte // topic ids, as the gateway learned them
	names map[[16]byte]string
}

func newMxEnv(t *testing.T) *mxEnv {
	t.Helper()
	kf, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, mxAlpha, mxBravo), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatalf("kfake: %v", err)
	}
	t.Cleanup(kf.Close)
	admin, err := kgo.NewClient(kgo.SeedBrokers(kf.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	ca, err := pki.NewCA("authz matrix CA")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ca.Issue("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenBolt(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatalf("store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	dialer, err := upstream.NewDialer(upstream.Config{Bootstrap: kf.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	port, err := freeport.Range(1)
	if err != nil {
		t.Fatal(err)
	}
	logs := &mxLog{}
	g := New(Options{Store: st, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	t.Cleanup(func() {
		g.Close()
		if t.Failed() {
			t.Logf("gateway log:\n%s", logs.String())
		}
	})
	e := &mxEnv{
		kf: kf, admin: admin, pool: ca.Pool(), az: &mxAuthorizer{}, up: &mxUpstream{},
		ids: map[string][16]byte{}, names: map[[16]byte]string{},
	}
	err = g.AddCluster(context.Background(), ClusterConfig{
		Name: "matrix", Dialer: dialer, Discoverer: KgoDiscoverer{Client: admin},
		DiscoveryInterval: time.Hour, // discovered once: nothing else of the gateway's reaches kfake
		ListenerSets: []ListenerSetConfig{{
			Name:       "authz",
			Strategy:   brokermap.Ports{BindHost: "127.0.0.1", FirstPort: port, LastPort: port},
			TLS:        &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
			Auth:       mxAuthenticator{},
			Authorizer: e.az,
		}},
	})
	if err != nil {
		t.Fatalf("AddCluster: %v", err)
	}
	ls := g.Status()[0].ListenerSets[0]
	if len(ls.Errors) > 0 || len(ls.Bootstrap) != 1 {
		t.Fatalf("listener set: got bootstrap %v, errors %v; want one address", ls.Bootstrap, ls.Errors)
	}
	e.addr = ls.Bootstrap[0]
	kf.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		e.up.observe(req)
		return nil, nil, false
	})
	e.learn(t)
	return e
}

// mxResult is what one exchange produced.
type mxResult struct {
	name     string
	resp     kmsg.Response
	upstream []mxSeen // requests of the API under test that reached kfake
	asked    map[Access]bool
}

// exchange sends a row's request, granted grants, on a new session, and
// returns the answer, what reached the upstream, and what the gateway
// asked.
func (e *mxEnv) exchange(t *testing.T, c mxCase, grants []Access) mxResult {
	t.Helper()
	if c.setup != nil {
		c.setup(t, e)
	}
	e.users++
	user := fmt.Sprintf("matrix-%d", e.users)
	principal := "User:" + user
	e.az.grant(principal, grants)
	conn := e.dial(t, user)
	req := c.req(e)
	req.SetVersion(c.version)
	name := kmsg.NameForKey(req.Key())
	e.up.arm()
	resp, err := conn.roundTrip(req)
	if err != nil {
		e.up.disarm()
		t.Fatalf("%s v%d: %v", name, c.version, err)
	}
	conn.barrier(t)
	seen := e.up.disarm()
	r := mxResult{name: name, resp: resp, asked: map[Access]bool{}}
	for _, s := range seen {
		if s.err != nil {
			t.Fatalf("re-reading the %s v%d request kfake got: %v", kmsg.NameForKey(s.key), s.version, s.err)
		}
		if s.key == req.Key() {
			r.upstream = append(r.upstream, s)
		}
	}
	for _, a := range e.az.asked(principal) {
		if a.api != kmsg.Key(req.Key()) {
			t.Errorf("the gateway asked about %v for API %s; want %s", a.a, kmsg.NameForKey(int16(a.api)), name)
		}
		r.asked[a.a] = true
	}
	var asked []string
	for a := range r.asked {
		asked = append(asked, a.String())
	}
	sort.Strings(asked)
	t.Logf("%s v%d: reached the upstream %d times; asked %v; answered %v", name, c.version, len(r.upstream), asked, mxResponseCodes(e, resp).m)
	return r
}

// id is a topic's id, as the gateway learned it.
func (e *mxEnv) id(topic string) [16]byte {
	if e == nil {
		return [16]byte{}
	}
	return e.ids[topic]
}

func (e *mxEnv) topicName(name string, id [16]byte) string {
	if n, ok := e.names[id]; ok && id != ([16]byte{}) {
		return n
	}
	if name == "" && id != ([16]byte{}) {
		return "id:" + hex.EncodeToString(id[:])
	}
	return name
}

// resourceBytes are what of a denied resource must not reach the upstream.
func (e *mxEnv) resourceBytes(a Access) [][]byte {
	if a.Type == kmsg.ACLResourceTypeCluster {
		return nil
	}
	out := [][]byte{[]byte(a.Name)}
	if id, ok := e.ids[a.Name]; ok && a.Type == kmsg.ACLResourceTypeTopic {
		out = append(out, id[:])
	}
	return out
}

// learn has the gateway see every topic's id (a Metadata request of a
// principal allowed everything), and remembers them.
func (e *mxEnv) learn(t *testing.T) {
	t.Helper()
	e.az.grantAll("User:matrix-admin")
	conn := e.dial(t, "matrix-admin")
	req := kmsg.NewPtrMetadataRequest()
	req.Version, req.Topics = 13, nil
	resp, err := conn.roundTrip(req)
	if err != nil {
		t.Fatalf("metadata through the gateway: %v", err)
	}
	for _, rt := range resp.(*kmsg.MetadataResponse).Topics {
		if rt.Topic != nil && rt.TopicID != ([16]byte{}) {
			e.ids[*rt.Topic], e.names[rt.TopicID] = rt.TopicID, *rt.Topic
		}
	}
	for _, topic := range []string{mxAlpha, mxBravo} {
		if _, ok := e.ids[topic]; !ok {
			t.Fatalf("topic %s: no id in the gateway's Metadata answer", topic)
		}
	}
}

// Setup, straight to kfake.

func (e *mxEnv) createTopics(t *testing.T, topics ...string) {
	t.Helper()
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 5000
	for _, topic := range topics {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = topic, 1, 1
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(context.Background(), e.admin)
	if err != nil {
		t.Fatalf("setup: create topics: %v", err)
	}
	for _, rt := range resp.Topics {
		if rt.ErrorCode != 0 && rt.ErrorCode != kerr.TopicAlreadyExists.Code {
			t.Fatalf("setup: create topic %s: got %s; want it created", rt.Topic, mxCodeName(rt.ErrorCode))
		}
	}
	e.learn(t)
}

func (e *mxEnv) deleteTopics(t *testing.T, topics ...string) {
	t.Helper()
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis, req.TopicNames = 5000, topics
	for _, topic := range topics {
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.Topic = kmsg.StringPtr(topic)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(context.Background(), e.admin)
	if err != nil {
		t.Fatalf("setup: delete topics: %v", err)
	}
	for _, rt := range resp.Topics {
		if rt.ErrorCode != 0 && rt.ErrorCode != kerr.UnknownTopicOrPartition.Code {
			t.Fatalf("setup: delete topics: got %s; want them deleted", mxCodeName(rt.ErrorCode))
		}
	}
}

func (e *mxEnv) topicExists(t *testing.T, topic string) bool {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	req.Topics = mxMetadataTopics(topic)
	resp, err := req.RequestWith(context.Background(), e.admin)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	return len(resp.Topics) == 1 && resp.Topics[0].ErrorCode != kerr.UnknownTopicOrPartition.Code
}

// commit makes a group exist, with offsets on partition 0 of topics.
func (e *mxEnv) commit(t *testing.T, group string, topics ...string) {
	t.Helper()
	req := kmsg.NewPtrOffsetCommitRequest()
	req.Group, req.Generation = group, -1
	for _, topic := range topics {
		rt := kmsg.NewOffsetCommitRequestTopic()
		rt.Topic, rt.TopicID = topic, e.ids[topic]
		p := kmsg.NewOffsetCommitRequestTopicPartition()
		p.Partition, p.Offset, p.LeaderEpoch = 0, 0, -1
		rt.Partitions = append(rt.Partitions, p)
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(context.Background(), e.admin)
	if err != nil {
		t.Fatalf("setup: commit: %v", err)
	}
	for _, rt := range resp.Topics {
		for _, p := range rt.Partitions {
			if p.ErrorCode != 0 {
				t.Fatalf("setup: commit %s: got %s; want it committed", group, mxCodeName(p.ErrorCode))
			}
		}
	}
}

// initTxn makes a transactional id exist.
func (e *mxEnv) initTxn(t *testing.T, id string) {
	t.Helper()
	resp, err := mxInitProducerID(kmsg.StringPtr(id)).(*kmsg.InitProducerIDRequest).RequestWith(context.Background(), e.admin)
	if err != nil {
		t.Fatalf("setup: init producer id: %v", err)
	}
	if resp.ErrorCode != 0 {
		t.Fatalf("setup: init producer id %s: got %s; want a producer id", id, mxCodeName(resp.ErrorCode))
	}
}

// What reached the upstream.

type mxSeen struct {
	key, version int16
	raw          []byte // the request body as kfake decoded it, re-encoded
	req          kmsg.Request
	err          error // reading raw again failed
}

type mxUpstream struct {
	mu    sync.Mutex
	armed bool
	seen  []mxSeen
}

// observe runs in kfake's control function for every request it handles.
func (u *mxUpstream) observe(req kmsg.Request) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.armed {
		return
	}
	raw := req.AppendTo(nil)
	cp := kmsg.RequestForKey(req.Key())
	cp.SetVersion(req.GetVersion())
	err := cp.ReadFrom(raw)
	u.seen = append(u.seen, mxSeen{key: req.Key(), version: req.GetVersion(), raw: raw, req: cp, err: err})
}

func (u *mxUpstream) arm() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.armed, u.seen = true, nil
}

func (u *mxUpstream) disarm() []mxSeen {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.armed = false
	return u.seen
}

// The fake decider: exactly the granted accesses, no implication.

type mxAsk struct {
	api kmsg.Key
	a   Access
}

type mxAuthorizer struct {
	mu     sync.Mutex
	grants map[string]map[Access]bool // by principal
	all    map[string]bool
	asks   map[string][]mxAsk
}

func (z *mxAuthorizer) grant(principal string, grants []Access) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.grants == nil {
		z.grants = map[string]map[Access]bool{}
	}
	m := map[Access]bool{}
	for _, a := range grants {
		m[a] = true
	}
	z.grants[principal] = m
}

func (z *mxAuthorizer) grantAll(principal string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.all == nil {
		z.all = map[string]bool{}
	}
	z.all[principal] = true
}

func (z *mxAuthorizer) asked(principal string) []mxAsk {
	z.mu.Lock()
	defer z.mu.Unlock()
	return slices.Clone(z.asks[principal])
}

func (z *mxAuthorizer) Session(ident *Identity, _ ConnInfo) SessionAuthorizer {
	return mxSession{z: z, principal: ident.Principal}
}

type mxSession struct {
	z         *mxAuthorizer
	principal string
}

func (s mxSession) Allowed(api kmsg.Key, a Access) bool {
	s.z.mu.Lock()
	defer s.z.mu.Unlock()
	if s.z.asks == nil {
		s.z.asks = map[string][]mxAsk{}
	}
	s.z.asks[s.principal] = append(s.z.asks[s.principal], mxAsk{api, a})
	return s.z.all[s.principal] || s.z.grants[s.principal][a]
}

func (s mxSession) Permitted(a Access) bool {
	s.z.mu.Lock()
	defer s.z.mu.Unlock()
	return s.z.all[s.principal] || s.z.grants[s.principal][a]
}

func (mxSession) Close() {}

// mxAuthenticator is SASL/PLAIN that takes any password: the user name is
// the principal.
type mxAuthenticator struct{}

func (mxAuthenticator) Name() string                          { return "SASL_PLAIN" }
func (mxAuthenticator) Mechanisms() []string                  { return []string{"PLAIN"} }
func (mxAuthenticator) NewSASL(string, ConnInfo) SASLExchange { return mxPlain{} }
func (mxAuthenticator) Certificate(ConnInfo, tls.ConnectionState) (*Identity, error) {
	return nil, errors.New("no client certificates here")
}

type mxPlain struct{}

func (mxPlain) Step(_ context.Context, msg []byte) ([]byte, bool, *Identity, error) {
	parts := bytes.Split(msg, []byte{0})
	if len(parts) != 3 || len(parts[1]) == 0 {
		return nil, false, nil, &AuthError{Message: "malformed PLAIN message", Reason: "malformed PLAIN message"}
	}
	return nil, true, &Identity{Principal: "User:" + string(parts[1]), Mechanism: "PLAIN"}, nil
}

// A client connection: TLS, SASL/PLAIN, then requests at exact versions,
// one at a time.

type mxConn struct {
	conn net.Conn
	r    *bufio.Reader
	f    *kmsg.RequestFormatter
	corr int32
}

func (e *mxEnv) dial(t *testing.T, user string) *mxConn {
	t.Helper()
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", e.addr, &tls.Config{RootCAs: e.pool, MinVersion: tls.VersionTLS12})
	if err != nil {
		t.Fatalf("dial %s: %v", e.addr, err)
	}
	t.Cleanup(func() { c.Close() })
	mc := &mxConn{conn: c, r: bufio.NewReader(c), f: kmsg.NewRequestFormatter(kmsg.FormatterClientID("authz-matrix"))}
	hs := kmsg.NewPtrSASLHandshakeRequest()
	hs.Version, hs.Mechanism = 1, "PLAIN"
	resp, err := mc.roundTrip(hs)
	if err != nil {
		t.Fatalf("SaslHandshake: %v", err)
	}
	if code := resp.(*kmsg.SASLHandshakeResponse).ErrorCode; code != 0 {
		t.Fatalf("SaslHandshake: got %s; want no error", mxCodeName(code))
	}
	au := kmsg.NewPtrSASLAuthenticateRequest()
	au.Version, au.SASLAuthBytes = 2, []byte("\x00"+user+"\x00password")
	resp, err = mc.roundTrip(au)
	if err != nil {
		t.Fatalf("SaslAuthenticate: %v", err)
	}
	if code := resp.(*kmsg.SASLAuthenticateResponse).ErrorCode; code != 0 {
		t.Fatalf("SaslAuthenticate: got %s; want no error", mxCodeName(code))
	}
	return mc
}

func (c *mxConn) roundTrip(req kmsg.Request) (kmsg.Response, error) {
	c.corr++
	c.conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.conn.Write(c.f.AppendRequest(nil, req, c.corr)); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	var size [4]byte
	if _, err := io.ReadFull(c.r, size[:]); err != nil {
		return nil, fmt.Errorf("read: %w (the gateway closed the session?)", err)
	}
	b := make([]byte, binary.BigEndian.Uint32(size[:]))
	if _, err := io.ReadFull(c.r, b); err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	if len(b) < 4 {
		return nil, fmt.Errorf("response of %d bytes", len(b))
	}
	if got := int32(binary.BigEndian.Uint32(b)); got != c.corr {
		return nil, fmt.Errorf("got correlation id %d; want %d", got, c.corr)
	}
	b = b[4:]
	if req.IsFlexible() && req.Key() != int16(kmsg.ApiVersions) {
		var err error
		if b, err = mxSkipTags(b); err != nil {
			return nil, err
		}
	}
	resp := req.ResponseKind()
	if err := resp.ReadFrom(b); err != nil {
		return nil, fmt.Errorf("decode %T v%d: %w", resp, req.GetVersion(), err)
	}
	return resp, nil
}

// barrier sends an ApiVersions request, which the gateway forwards on the
// session's upstream connection: once it is answered, the upstream has
// seen whatever the gateway forwarded before it.
func (c *mxConn) barrier(t *testing.T) {
	t.Helper()
	req := kmsg.NewPtrApiVersionsRequest()
	req.Version = 3
	req.ClientSoftwareName, req.ClientSoftwareVersion = "authz-matrix", "1.0"
	if _, err := c.roundTrip(req); err != nil {
		t.Fatalf("ApiVersions after the request: %v; want the session alive", err)
	}
}

// mxSkipTags skips the tagged fields of a flexible response header.
func mxSkipTags(b []byte) ([]byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 {
		return nil, errors.New("bad response header tags")
	}
	b = b[k:]
	for range n {
		if _, k = binary.Uvarint(b); k <= 0 {
			return nil, errors.New("bad response header tag")
		}
		b = b[k:]
		size, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < size {
			return nil, errors.New("bad response header tag size")
		}
		b = b[k+int(size):]
	}
	return b, nil
}

// mxLog keeps the gateway's log, shown when a row fails.
type mxLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *mxLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *mxLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
