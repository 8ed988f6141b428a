package gateway

import (
	"fmt"
	"math"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Authorized operations (KIP-430) are reported for the client's principal,
// not for the gateway's upstream identity, and only where they were asked
// for.
func TestAuthorizedOperations(t *testing.T) {
	e := newMxEnv(t)
	e.commit(t, mxGolf, mxAlpha)
	grants := []Access{
		mxCluster(kmsg.ACLOperationDescribe),
		mxTopic(mxAlpha, kmsg.ACLOperationRead), mxTopic(mxAlpha, kmsg.ACLOperationDescribe),
		mxTopic(mxBravo, kmsg.ACLOperationDescribe), mxTopic(mxBravo, kmsg.ACLOperationWrite), mxTopic(mxBravo, kmsg.ACLOperationDescribeConfigs),
		mxGroup(mxGolf, kmsg.ACLOperationDescribe), mxGroup(mxGolf, kmsg.ACLOperationDelete),
	}
	bits := func(ops ...kmsg.ACLOperation) int32 {
		var b int32
		for _, op := range ops {
			b |= 1 << op
		}
		return b
	}
	alpha := bits(kmsg.ACLOperationRead, kmsg.ACLOperationDescribe)
	bravo := bits(kmsg.ACLOperationDescribe, kmsg.ACLOperationWrite, kmsg.ACLOperationDescribeConfigs)
	metadata := func(version int16, cluster, topics bool) kmsg.Request {
		req := kmsg.NewPtrMetadataRequest()
		req.Version, req.Topics = version, mxMetadataTopics(mxAlpha, mxBravo)
		req.IncludeClusterAuthorizedOperations, req.IncludeTopicAuthorizedOperations = cluster, topics
		return req
	}
	metadataOps := func(resp kmsg.Response) map[string]int32 {
		mr := resp.(*kmsg.MetadataResponse)
		got := map[string]int32{"cluster": mr.AuthorizedOperations}
		for _, tp := range mr.Topics {
			got[*tp.Topic] = tp.AuthorizedOperations
		}
		return got
	}
	cases := []struct {
		name string
		req  func() kmsg.Request
		ops  func(kmsg.Response) map[string]int32
		want map[string]int32
	}{
		{"Metadata v10 asking for both", func() kmsg.Request { return metadata(10, true, true) }, metadataOps,
			map[string]int32{"cluster": bits(kmsg.ACLOperationDescribe), mxAlpha: alpha, mxBravo: bravo}},
		{"Metadata v12 asking for topics", func() kmsg.Request { return metadata(12, false, true) }, metadataOps,
			map[string]int32{"cluster": math.MinInt32, mxAlpha: alpha, mxBravo: bravo}},
		{"Metadata v12 not asking", func() kmsg.Request { return metadata(12, false, false) }, metadataOps,
			map[string]int32{"cluster": math.MinInt32, mxAlpha: math.MinInt32, mxBravo: math.MinInt32}},
		{"DescribeCluster", func() kmsg.Request {
			req := kmsg.NewPtrDescribeClusterRequest()
			req.Version, req.IncludeClusterAuthorizedOperations = 1, true
			return req
		}, func(resp kmsg.Response) map[string]int32 {
			return map[string]int32{"cluster": resp.(*kmsg.DescribeClusterResponse).ClusterAuthorizedOperations}
		}, map[string]int32{"cluster": bits(kmsg.ACLOperationDescribe)}},
		{"DescribeGroups", func() kmsg.Request {
			req := kmsg.NewPtrDescribeGroupsRequest()
			req.Version, req.Groups, req.IncludeAuthorizedOperations = 5, []string{mxGolf}, true
			return req
		}, func(resp kmsg.Response) map[string]int32 {
			got := map[string]int32{}
			for _, g := range resp.(*kmsg.DescribeGroupsResponse).Groups {
				got[g.Group] = g.AuthorizedOperations
			}
			return got
		}, map[string]int32{mxGolf: bits(kmsg.ACLOperationDescribe, kmsg.ACLOperationDelete)}},
		{"DescribeTopicPartitions", func() kmsg.Request {
			req := kmsg.NewPtrDescribeTopicPartitionsRequest()
			for _, name := range []string{mxAlpha, mxBravo} {
				rt := kmsg.NewDescribeTopicPartitionsRequestTopic()
				rt.Topic = name
				req.Topics = append(req.Topics, rt)
			}
			req.ResponsePartitionLimit = 100
			return req
		}, func(resp kmsg.Response) map[string]int32 {
			got := map[string]int32{}
			for _, tp := range resp.(*kmsg.DescribeTopicPartitionsResponse).Topics {
				got[*tp.Topic] = tp.AuthorizedOperations
			}
			return got
		}, map[string]int32{mxAlpha: alpha, mxBravo: bravo}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			user := fmt.Sprintf("ops-%d", i)
			e.az.grant("User:"+user, grants)
			resp, err := e.dial(t, user).roundTrip(c.req())
			if err != nil {
				t.Fatal(err)
			}
			got := c.ops(resp)
			for k, want := range c.want {
				if got[k] != want {
					t.Errorf("%s: got authorized operations %b; want %b", k, got[k], want)
				}
			}
			if len(got) != len(c.want) {
				t.Errorf("got %v; want %v", got, c.want)
			}
		})
	}
}
