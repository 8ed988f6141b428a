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

func authorizeProduce(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.ProduceRequest)
	var denied []denial
	if req.TransactionID != nil && !d.txn(*req.TransactionID, kmsg.ACLOperationWrite) {
		for _, t := range req.Topics {
			denied = append(denied, denial{t.Topic, t.TopicID, kerr.TransactionalIDAuthorizationFailed.Code})
		}
		resp := req.ResponseKind()
		produceDenials(resp, denied, req.Topics)
		return verdict{local: resp}
	}
	check := d.topicCheck(kmsg.ACLOperationWrite, &denied)
	kept, refused := split(req.Topics, func(t *kmsg.ProduceRequestTopic) bool { return check(t.Topic, t.TopicID) })
	req.Topics = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) { produceDenials(resp, denied, refused) })
}

// produceDenials adds the denied topics (denied[i] is topics[i]) to a
// Produce response.
func produceDenials(resp kmsg.Response, denied []denial, topics []kmsg.ProduceRequestTopic) {
	pr := resp.(*kmsg.ProduceResponse)
	for i, dn := range denied {
		rt := kmsg.ProduceResponseTopic{Topic: dn.topic, TopicID: dn.id}
		for _, p := range topics[i].Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition, rp.ErrorCode = p.Partition, dn.code
			rt.Partitions = append(rt.Partitions, rp)
		}
		pr.Topics = append(pr.Topics, rt)
	}
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
	var denied []denial
	check := d.topicCheck(kmsg.ACLOperationRead, &denied)
	kept, refused := split(req.Topics, func(t *kmsg.FetchRequestTopic) bool { return check(t.Topic, t.TopicID) })
	req.Topics = kept
	v := outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) {
		fr := resp.(*kmsg.FetchResponse)
		for i, dn := range denied {
			rt := kmsg.FetchResponseTopic{Topic: dn.topic, TopicID: dn.id}
			for _, p := range refused[i].Partitions {
				rp := kmsg.NewFetchResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, dn.code
				rp.HighWatermark, rp.LastStableOffset, rp.LogStartOffset = -1, -1, -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			fr.Topics = append(fr.Topics, rt)
		}
	})
	v.changed = v.changed || (changed && v.local == nil)
	return v
}

func authorizeListOffsets(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.ListOffsetsRequest)
	var denied []denial
	check := d.topicCheck(kmsg.ACLOperationDescribe, &denied)
	kept, refused := split(req.Topics, func(t *kmsg.ListOffsetsRequestTopic) bool { return check(t.Topic, [16]byte{}) })
	req.Topics = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) {
		lr := resp.(*kmsg.ListOffsetsResponse)
		for i, dn := range denied {
			rt := kmsg.ListOffsetsResponseTopic{Topic: dn.topic}
			for _, p := range refused[i].Partitions {
				rp := kmsg.NewListOffsetsResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, dn.code
				rt.Partitions = append(rt.Partitions, rp)
			}
			lr.Topics = append(lr.Topics, rt)
		}
	})
}

func authorizeOffsetForLeaderEpoch(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.OffsetForLeaderEpochRequest)
	var denied []denial
	check := d.topicCheck(kmsg.ACLOperationDescribe, &denied)
	kept, refused := split(req.Topics, func(t *kmsg.OffsetForLeaderEpochRequestTopic) bool { return check(t.Topic, [16]byte{}) })
	req.Topics = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) {
		or := resp.(*kmsg.OffsetForLeaderEpochResponse)
		for i, dn := range denied {
			rt := kmsg.OffsetForLeaderEpochResponseTopic{Topic: dn.topic}
			for _, p := range refused[i].Partitions {
				rp := kmsg.NewOffsetForLeaderEpochResponseTopicPartition()
				rp.Partition, rp.ErrorCode, rp.LeaderEpoch, rp.EndOffset = p.Partition, dn.code, -1, -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			or.Topics = append(or.Topics, rt)
		}
	})
}

func authorizeDeleteRecords(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DeleteRecordsRequest)
	var denied []denial
	check := d.topicCheck(kmsg.ACLOperationDelete, &denied)
	kept, refused := split(req.Topics, func(t *kmsg.DeleteRecordsRequestTopic) bool { return check(t.Topic, [16]byte{}) })
	req.Topics = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) {
		dr := resp.(*kmsg.DeleteRecordsResponse)
		for i, dn := range denied {
			rt := kmsg.DeleteRecordsResponseTopic{Topic: dn.topic}
			for _, p := range refused[i].Partitions {
				rp := kmsg.NewDeleteRecordsResponseTopicPartition()
				rp.Partition, rp.ErrorCode, rp.LowWatermark = p.Partition, dn.code, -1
				rt.Partitions = append(rt.Partitions, rp)
			}
			dr.Topics = append(dr.Topics, rt)
		}
	})
}

func authorizeDescribeProducers(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DescribeProducersRequest)
	var denied []denial
	check := d.topicCheck(kmsg.ACLOperationRead, &denied)
	kept, refused := split(req.Topics, func(t *kmsg.DescribeProducersRequestTopic) bool { return check(t.Topic, [16]byte{}) })
	req.Topics = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) {
		dr := resp.(*kmsg.DescribeProducersResponse)
		for i, dn := range denied {
			rt := kmsg.DescribeProducersResponseTopic{Topic: dn.topic}
			for _, p := range refused[i].Partitions {
				rp := kmsg.NewDescribeProducersResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p, dn.code
				rt.Partitions = append(rt.Partitions, rp)
			}
			dr.Topics = append(dr.Topics, rt)
		}
	})
}
