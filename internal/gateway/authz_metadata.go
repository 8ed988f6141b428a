package gateway

import (
	"math"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Metadata (key 3) lists only what the principal may describe: a request
// for every topic gets back the topics it may DESCRIBE, silently filtered
// as a broker does; a request naming topics gets TOPIC_AUTHORIZATION_FAILED
// for each it may not describe, and those never reach the upstream. A
// topic that does not exist is auto-created only when the principal may
// CREATE it; otherwise the answer is TOPIC_AUTHORIZATION_FAILED, as a
// broker gives. Authorized operations (KIP-430), which the upstream
// computed for kafkalink's own principal, are computed again for the
// client's.

func init() {
	register(authorizeMetadata, kmsg.Metadata)
}

// notProvided is KIP-430's value for authorized operations not computed.
const notProvided = math.MinInt32

func authorizeMetadata(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.MetadataRequest)
	all := req.Topics == nil || (req.Version == 0 && len(req.Topics) == 0)
	if all {
		return verdict{fix: func(resp kmsg.Response) {
			mr := resp.(*kmsg.MetadataResponse)
			mr.Topics, _ = split(mr.Topics, func(t *kmsg.MetadataResponseTopic) bool {
				return t.Topic != nil && d.topic(*t.Topic, kmsg.ACLOperationDescribe)
			})
			reportAuthorizedOperations(d, req, mr)
		}}
	}
	var denied []denial
	check := d.topicCheck(kmsg.ACLOperationDescribe, &denied)
	kept, _ := split(req.Topics, func(t *kmsg.MetadataRequestTopic) bool {
		name := ""
		if t.Topic != nil {
			name = *t.Topic
		}
		return check(name, t.TopicID)
	})
	req.Topics = kept
	// Topics that would be auto-created need CREATE; without it, the
	// upstream must not create them, and the client learns it was denied.
	uncreatable := map[string]bool{}
	if req.AllowAutoTopicCreation {
		for _, t := range kept {
			if t.Topic != nil && !d.topic(*t.Topic, kmsg.ACLOperationCreate) {
				uncreatable[*t.Topic] = true
			}
		}
		if len(uncreatable) > 0 {
			// The flag is the whole request's: one topic the principal
			// may not create turns auto-creation off for all of them.
			req.AllowAutoTopicCreation = false
		}
	}
	merge := func(resp kmsg.Response) {
		mr := resp.(*kmsg.MetadataResponse)
		for i := range mr.Topics {
			t := &mr.Topics[i]
			if t.Topic != nil && uncreatable[*t.Topic] && t.ErrorCode == kerr.UnknownTopicOrPartition.Code {
				t.ErrorCode = kerr.TopicAuthorizationFailed.Code
			}
		}
		for _, dn := range denied {
			rt := kmsg.NewMetadataResponseTopic()
			rt.ErrorCode, rt.TopicID = dn.code, dn.id
			if dn.id == ([16]byte{}) {
				rt.Topic = kmsg.StringPtr(dn.topic)
			}
			mr.Topics = append(mr.Topics, rt)
		}
		reportAuthorizedOperations(d, req, mr)
	}
	if len(kept) == 0 && req.Version == 0 {
		// v0 cannot ask for no topics (empty means all).
		resp := req.ResponseKind()
		merge(resp)
		return verdict{local: resp}
	}
	return verdict{changed: len(denied) > 0 || len(uncreatable) > 0, fix: merge}
}

// reportAuthorizedOperations sets the authorized operations of a Metadata
// response for the client's principal: where the request asked for them,
// else KIP-430's "not provided".
func reportAuthorizedOperations(d *decider, req *kmsg.MetadataRequest, mr *kmsg.MetadataResponse) {
	if mr.Version < 8 {
		return
	}
	mr.AuthorizedOperations = notProvided
	if req.IncludeClusterAuthorizedOperations && mr.Version <= 10 {
		mr.AuthorizedOperations = d.authorizedOperations(kmsg.ACLResourceTypeCluster, ClusterResource)
	}
	reportTopicOperations(d, req.IncludeTopicAuthorizedOperations, len(mr.Topics), func(i int) (*string, int16, *int32) {
		t := &mr.Topics[i]
		return t.Topic, t.ErrorCode, &t.AuthorizedOperations
	})
}

// reportTopicOperations sets the authorized operations of n topics of a
// response (topic i's name, error code and field).
func reportTopicOperations(d *decider, include bool, n int, topic func(i int) (*string, int16, *int32)) {
	reportOperations(d, kmsg.ACLResourceTypeTopic, kerr.TopicAuthorizationFailed.Code, include, n, topic)
}

// reportOperations sets the authorized operations (KIP-430) of n
// resources of type t in a response (resource i's name, nil if it has
// none, its error code and its field): computed for the client's
// principal when include is set and the resource was not refused (refused
// is the type's authorization error), else not provided.
func reportOperations(d *decider, t kmsg.ACLResourceType, refused int16, include bool, n int, item func(i int) (*string, int16, *int32)) {
	for i := range n {
		name, code, ops := item(i)
		*ops = notProvided
		if include && name != nil && code != refused {
			*ops = d.authorizedOperations(t, *name)
		}
	}
}
