package gateway

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Authorization of the data path: Produce, Fetch, ListOffsets,
// OffsetForLeaderEpoch, DeleteRecords and DescribeProducers. Each names
// topics with partitions; a denied topic is answered, partition by
// partition, with TOPIC_AUTHORIZATION_FAILED (or UNKNOWN_TOPIC_ID for an
// id the gateway has not seen), and the rest of the request goes on.

func init() {
	register(authorizeProduce, kmsg.Produce)
	register(authorizeFetch, kmsg.Fetch)
	register(authorizeListOffsets, kmsg.ListOffsets)
	register(authorizeOffsetForLeaderEpoch, kmsg.OffsetForLeaderEpoch)
	register(authorizeDeleteRecords, kmsg.DeleteRecords)
	register(authorizeDescribeProducers, kmsg.DescribeProducers)
}

// split keeps, in place, the elements of s that keep accepts, and returns
// the others (nil when there are none) in order.
func split[T any](s []T, keep func(*T) bool) (kept, denied []T) {
	kept = s[:0]
	for i := range s {
		if keep(&s[i]) {
			kept = append(kept, s[i])
		} else {
			denied = append(denied, s[i])
		}
	}
	return kept, denied
}

// denial is why one topic of a request was refused.
type denial struct {
	topic string
	id    [16]byte
	code  int16
}

// topicCheck decides the topics of a request: it records a denial for each
// topic (by name or id) that op is not allowed on, into *denied, so that
// the i-th denial is the i-th topic split refuses.
func (d *decider) topicCheck(op kmsg.ACLOperation, denied *[]denial) func(name string, id [16]byte) bool {
	return func(name string, id [16]byte) bool {
		n, ok := d.topicName(name, id)
		if !ok {
			*denied = append(*denied, denial{topic: name, id: id, code: kerr.UnknownTopicID.Code})
			return false
		}
		if d.topic(n, op) {
			return true
		}
		*denied = append(*denied, denial{topic: name, id: id, code: kerr.TopicAuthorizationFailed.Code})
		return false
	}
}

// outcome turns the denials of a request into its verdict: nothing denied
// forwards the request as it is; everything denied answers it with the
// denials merged into an empty response; otherwise the allowed rest goes
// on, and merge adds the denials to the upstream's answer.
func outcome(req kmsg.Request, empty bool, denied bool, merge func(kmsg.Response)) verdict {
	switch {
	case !denied:
		return verdict{}
	case empty:
		resp := req.ResponseKind()
		merge(resp)
		return verdict{local: resp}
	}
	return verdict{changed: true, fix: merge}
}

// topicsOp authorizes op on each topic of a request (named, or by id): the
// refused ones leave the request, and add answers each with its request
// entry and why it was refused.
func topicsOp[T any](d *decider, req kmsg.Request, topics *[]T, key func(*T) (string, [16]byte), op kmsg.ACLOperation, add func(resp kmsg.Response, t *T, dn denial)) verdict {
	var denied []denial
	check := d.topicCheck(op, &denied)
	kept, refused := split(*topics, func(t *T) bool { return check(key(t)) })
	*topics = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) {
		for i := range refused {
			add(resp, &refused[i], denied[i])
		}
	})
}

// denyTopics answers a request whose every topic is refused with code
// (its transactional id or group was), forwarding nothing.
func denyTopics[T any](req kmsg.Request, topics []T, key func(*T) (string, [16]byte), code int16, add func(resp kmsg.Response, t *T, dn denial)) verdict {
	resp := req.ResponseKind()
	for i := range topics {
		name, id := key(&topics[i])
		add(resp, &topics[i], denial{name, id, code})
	}
	return verdict{local: resp}
}

// byName is the key of a topic entry named only by name.
func byName(name string) (string, [16]byte) { return name, [16]byte{} }

func authorizeProduce(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.ProduceRequest)
	key := func(t *kmsg.ProduceRequestTopic) (string, [16]byte) { return t.Topic, t.TopicID }
	add := func(resp kmsg.Response, t *kmsg.ProduceRequestTopic, dn denial) {
		pr := resp.(*kmsg.ProduceResponse)
		rt := kmsg.ProduceResponseTopic{Topic: dn.topic, TopicID: dn.id}
		for _, p := range t.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, dn.code
			rt.Partitions = append(rt.Partitions, rp)
		}
		pr.Topics = append(pr.Topics, rt)
	}
	if req.TransactionID != nil && !d.txn(*req.TransactionID, kmsg.ACLOperationWrite) {
		return denyTopics(req, req.Topics, key, kerr.TransactionalIDAuthorizationFailed.Code, add)
	}
	return topicsOp(d, req, &req.Topics, key, kmsg.ACLOperationWrite, add)
}

func authorizeFetch(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.FetchRequest)
	changed := false
	if req.Version >= 7 && (req.SessionID != 0 || req.SessionEpoch != -1) {
		// Fetch sessions (KIP-227) let a client leave out partitions the
		// broker remembers; the gateway could not see, nor deny, them. An
		// epoch of -1 with no session id asks for a full fetch without a
		// session, and the upstream answers with session id 0, so the
		// client never opens one.
		req.SessionID, req.SessionEpoch, req.ForgottenTopics = 0, -1, nil
		changed = true
	}
	v := topicsOp(d, req, &req.Topics, func(t *kmsg.FetchRequestTopic) (string, [16]byte) { return t.Topic, t.TopicID },
		kmsg.ACLOperationRead, func(resp kmsg.Response, t *kmsg.FetchRequestTopic, dn denial) {
			fr := resp.(*kmsg.FetchResponse)
			rt := kmsg.FetchResponseTopic{Topic: dn.topic, TopicID: dn.id}
			for _, p := range t.Partitions {
				rp := kmsg.NewFetchResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, dn.code
				rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			fr.Topics = append(fr.Topics, rt)
		})
	v.changed = v.changed || (changed && v.local == nil)
	return v
}

func authorizeListOffsets(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.ListOffsetsRequest)
	return topicsOp(d, req, &req.Topics, func(t *kmsg.ListOffsetsRequestTopic) (string, [16]byte) { return byName(t.Topic) },
		kmsg.ACLOperationDescribe, func(resp kmsg.Response, t *kmsg.ListOffsetsRequestTopic, dn denial) {
			lr := resp.(*kmsg.ListOffsetsResponse)
			rt := kmsg.ListOffsetsResponseTopic{Topic: dn.topic}
			for _, p := range t.Partitions {
				rp := kmsg.NewListOffsetsResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, dn.code
				rt.Partitions = append(rt.Partitions, rp)
			}
			lr.Topics = append(lr.Topics, rt)
		})
}

func authorizeOffsetForLeaderEpoch(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.OffsetForLeaderEpochRequest)
	return topicsOp(d, req, &req.Topics, func(t *kmsg.OffsetForLeaderEpochRequestTopic) (string, [16]byte) { return byName(t.Topic) },
		kmsg.ACLOperationDescribe, func(resp kmsg.Response, t *kmsg.OffsetForLeaderEpochRequestTopic, dn denial) {
			or := resp.(*kmsg.OffsetForLeaderEpochResponse)
			rt := kmsg.OffsetForLeaderEpochResponseTopic{Topic: dn.topic}
			for _, p := range t.Partitions {
				rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
				rp.Partition, rp.ErrorCode, rp.LeaderEpoch, rp.EndOffset = p.Partition, dn.code, -1, -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			or.Topics = append(or.Topics, rt)
		})
}

func authorizeDeleteRecords(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DeleteRecordsRequest)
	return topicsOp(d, req, &req.Topics, func(t *kmsg.DeleteRecordsRequestTopic) (string, [16]byte) { return byName(t.Topic) },
		kmsg.ACLOperationDelete, func(resp kmsg.Response, t *kmsg.DeleteRecordsRequestTopic, dn denial) {
			dr := resp.(*kmsg.DeleteRecordsResponse)
			rt := kmsg.DeleteRecordsResponseTopic{Topic: dn.topic}
			for _, p := range t.Partitions {
				rp := kmsg.NewDeleteRecordsResponseTopicPartition()
				rp.Partition, rp.ErrorCode, rp.LowWatermark = p.Partition, dn.code, -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			dr.Topics = append(dr.Topics, rt)
		})
}

func authorizeDescribeProducers(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DescribeProducersRequest)
	return topicsOp(d, req, &req.Topics, func(t *kmsg.DescribeProducersRequestTopic) (string, [16]byte) { return byName(t.Topic) },
		kmsg.ACLOperationRead, func(resp kmsg.Response, t *kmsg.DescribeProducersRequestTopic, dn denial) {
			dr := resp.(*kmsg.DescribeProducersResponse)
			rt := kmsg.DescribeProducersResponseTopic{Topic: dn.topic}
			for _, p := range t.Partitions {
				rp := kmsg.NewDescribeProducersResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p, dn.code
				rt.Partitions = append(rt.Partitions, rp)
			}
			dr.Topics = append(dr.Topics, rt)
		})
}
