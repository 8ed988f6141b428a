package gateway

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Authorization of producer ids and transactions. A transactional id the
// principal may not WRITE answers TRANSACTIONAL_ID_AUTHORIZATION_FAILED; an
// idempotent producer without a transactional id needs IDEMPOTENT_WRITE on
// the cluster (CLUSTER_AUTHORIZATION_FAILED otherwise).

func init() {
	register(authorizeInitProducerID, kmsg.InitProducerID)
	register(authorizeAddPartitionsToTxn, kmsg.AddPartitionsToTxn)
	register(authorizeAddOffsetsToTxn, kmsg.AddOffsetsToTxn)
	register(txnOp(func(r kmsg.Request) string { return r.(*kmsg.EndTxnRequest).TransactionalID }), kmsg.EndTxn)
	register(authorizeTxnOffsetCommit, kmsg.TxnOffsetCommit)
	register(authorizeDescribeTransactions, kmsg.DescribeTransactions)
	register(authorizeListTransactions, kmsg.ListTransactions)
}

// txnOp authorizes an API about one transactional id whose response has a
// top-level error code.
func txnOp(id func(kmsg.Request) string) authorizeFunc {
	return func(d *decider, req kmsg.Request) verdict {
		if d.txn(id(req), kmsg.ACLOperationWrite) {
			return verdict{}
		}
		return verdict{local: topLevelError(req, kerr.TransactionalIDAuthorizationFailed)}
	}
}

func authorizeInitProducerID(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.InitProducerIDRequest)
	if req.TransactionalID != nil {
		return txnOp(func(kmsg.Request) string { return *req.TransactionalID })(d, req)
	}
	if d.cluster(kmsg.ACLOperationIdempotentWrite) {
		return verdict{}
	}
	resp := topLevelError(req, kerr.ClusterAuthorizationFailed).(*kmsg.InitProducerIDResponse)
	resp.ProducerID, resp.ProducerEpoch = -1, -1
	return verdict{local: resp}
}

// AddPartitionsToTxn (v0–3, what clients send) needs WRITE on the
// transactional id and on each topic. v4+ batches transactions between
// brokers; clients may not send it.
func authorizeAddPartitionsToTxn(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.AddPartitionsToTxnRequest)
	if req.Version >= 4 {
		return verdict{local: topLevelError(req, kerr.ClusterAuthorizationFailed)}
	}
	var denied []denial
	if !d.txn(req.TransactionalID, kmsg.ACLOperationWrite) {
		for _, t := range req.Topics {
			denied = append(denied, denial{topic: t.Topic, code: kerr.TransactionalIDAuthorizationFailed.Code})
		}
		resp := req.ResponseKind()
		addPartitionsDenials(resp, denied, req.Topics)
		return verdict{local: resp}
	}
	check := d.topicCheck(kmsg.ACLOperationWrite, &denied)
	_, refused := split(append([]kmsg.AddPartitionsToTxnRequestTopic(nil), req.Topics...), func(t *kmsg.AddPartitionsToTxnRequestTopic) bool { return check(t.Topic, [16]byte{}) })
	if len(denied) == 0 {
		return verdict{}
	}
	// A broker adds no partition when any is refused: the others answer
	// OPERATION_NOT_ATTEMPTED, and nothing reaches the upstream.
	resp := req.ResponseKind()
	addPartitionsDenials(resp, denied, refused)
	ar := resp.(*kmsg.AddPartitionsToTxnResponse)
	for _, t := range req.Topics {
		refusedTopic := false
		for _, dn := range denied {
			refusedTopic = refusedTopic || dn.topic == t.Topic
		}
		if refusedTopic {
			continue
		}
		rt := kmsg.AddPartitionsToTxnResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, kmsg.AddPartitionsToTxnResponseTopicPartition{Partition: p, ErrorCode: kerr.OperationNotAttempted.Code})
		}
		ar.Topics = append(ar.Topics, rt)
	}
	return verdict{local: resp}
}

func addPartitionsDenials(resp kmsg.Response, denied []denial, topics []kmsg.AddPartitionsToTxnRequestTopic) {
	ar := resp.(*kmsg.AddPartitionsToTxnResponse)
	for i, dn := range denied {
		rt := kmsg.AddPartitionsToTxnResponseTopic{Topic: dn.topic}
		for _, p := range topics[i].Partitions {
			rt.Partitions = append(rt.Partitions, kmsg.AddPartitionsToTxnResponseTopicPartition{Partition: p, ErrorCode: dn.code})
		}
		ar.Topics = append(ar.Topics, rt)
	}
}

// AddOffsetsToTxn needs WRITE on the transactional id and READ on the
// group.
func authorizeAddOffsetsToTxn(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.AddOffsetsToTxnRequest)
	if !d.txn(req.TransactionalID, kmsg.ACLOperationWrite) {
		return verdict{local: topLevelError(req, kerr.TransactionalIDAuthorizationFailed)}
	}
	if !d.group(req.Group, kmsg.ACLOperationRead) {
		return verdict{local: topLevelError(req, kerr.GroupAuthorizationFailed)}
	}
	return verdict{}
}

// TxnOffsetCommit needs WRITE on the transactional id, READ on the group
// and READ on each topic.
func authorizeTxnOffsetCommit(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.TxnOffsetCommitRequest)
	var denied []denial
	code := int16(0)
	switch {
	case !d.txn(req.TransactionalID, kmsg.ACLOperationWrite):
		code = kerr.TransactionalIDAuthorizationFailed.Code
	case !d.group(req.Group, kmsg.ACLOperationRead):
		code = kerr.GroupAuthorizationFailed.Code
	}
	if code != 0 {
		for _, t := range req.Topics {
			denied = append(denied, denial{t.Topic, t.TopicID, code})
		}
		resp := req.ResponseKind()
		txnOffsetCommitDenials(resp, denied, req.Topics)
		return verdict{local: resp}
	}
	check := d.topicCheck(kmsg.ACLOperationRead, &denied)
	kept, refused := split(req.Topics, func(t *kmsg.TxnOffsetCommitRequestTopic) bool { return check(t.Topic, t.TopicID) })
	req.Topics = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) { txnOffsetCommitDenials(resp, denied, refused) })
}

func txnOffsetCommitDenials(resp kmsg.Response, denied []denial, topics []kmsg.TxnOffsetCommitRequestTopic) {
	tr := resp.(*kmsg.TxnOffsetCommitResponse)
	for i, dn := range denied {
		rt := kmsg.TxnOffsetCommitResponseTopic{Topic: dn.topic, TopicID: dn.id}
		for _, p := range topics[i].Partitions {
			rt.Partitions = append(rt.Partitions, kmsg.TxnOffsetCommitResponseTopicPartition{Partition: p.Partition, ErrorCode: dn.code})
		}
		tr.Topics = append(tr.Topics, rt)
	}
}

func authorizeDescribeTransactions(d *decider, r kmsg.Request) verdict {
	req := r.(*kmsg.DescribeTransactionsRequest)
	kept, denied := split(req.TransactionalIDs, func(id *string) bool { return d.txn(*id, kmsg.ACLOperationDescribe) })
	req.TransactionalIDs = kept
	return outcome(req, len(kept) == 0, len(denied) > 0, func(resp kmsg.Response) {
		dr := resp.(*kmsg.DescribeTransactionsResponse)
		for _, id := range denied {
			s := kmsg.NewDescribeTransactionsResponseTransactionState()
			s.TransactionalID, s.ErrorCode = id, kerr.TransactionalIDAuthorizationFailed.Code
			s.ProducerID, s.ProducerEpoch, s.StartTimestamp = -1, -1, -1
			dr.TransactionStates = append(dr.TransactionStates, s)
		}
	})
}

// ListTransactions lists only the transactional ids the principal may
// describe.
func authorizeListTransactions(d *decider, _ kmsg.Request) verdict {
	return verdict{fix: func(resp kmsg.Response) {
		lr := resp.(*kmsg.ListTransactionsResponse)
		lr.TransactionStates, _ = split(lr.TransactionStates, func(s *kmsg.ListTransactionsResponseTransactionState) bool {
			return d.txn(s.TransactionalID, kmsg.ACLOperationDescribe)
		})
	}}
}
