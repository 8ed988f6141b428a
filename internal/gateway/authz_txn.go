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
	txnDenied := !d.txn(req.TransactionalID, kmsg.ACLOperationWrite)
	resp := req.ResponseKind().(*kmsg.AddPartitionsToTxnResponse)
	refused := txnDenied
	for _, t := range req.Topics {
		// A broker adds no partition when any is refused: the others
		// answer OPERATION_NOT_ATTEMPTED.
		code := kerr.OperationNotAttempted.Code
		switch {
		case txnDenied:
			code = kerr.TransactionalIDAuthorizationFailed.Code
		case !d.topic(t.Topic, kmsg.ACLOperationWrite):
			code, refused = kerr.TopicAuthorizationFailed.Code, true
		}
		rt := kmsg.AddPartitionsToTxnResponseTopic{Topic: t.Topic}
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, kmsg.AddPartitionsToTxnResponseTopicPartition{Partition: p, ErrorCode: code})
		}
		resp.Topics = append(resp.Topics, rt)
	}
	if !refused {
		return verdict{}
	}
	return verdict{local: resp}
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
	key := func(t *kmsg.TxnOffsetCommitRequestTopic) (string, [16]byte) { return t.Topic, t.TopicID }
	add := func(resp kmsg.Response, t *kmsg.TxnOffsetCommitRequestTopic, dn denial) {
		tr := resp.(*kmsg.TxnOffsetCommitResponse)
		rt := kmsg.TxnOffsetCommitResponseTopic{Topic: dn.topic, TopicID: dn.id}
		for _, p := range t.Partitions {
			rt.Partitions = append(rt.Partitions, kmsg.TxnOffsetCommitResponseTopicPartition{Partition: p.Partition, ErrorCode: dn.code})
		}
		tr.Topics = append(tr.Topics, rt)
	}
	switch {
	case !d.txn(req.TransactionalID, kmsg.ACLOperationWrite):
		return denyTopics(req, req.Topics, key, kerr.TransactionalIDAuthorizationFailed.Code, add)
	case !d.group(req.Group, kmsg.ACLOperationRead):
		return denyTopics(req, req.Topics, key, kerr.GroupAuthorizationFailed.Code, add)
	}
	return topicsOp(d, req, &req.Topics, key, kmsg.ACLOperationRead, add)
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
