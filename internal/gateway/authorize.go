package gateway

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Authorization. On a listener set with an Authorizer, the gateway decodes
// every request after authentication and asks the session's decider about
// each resource it touches, in Kafka's terms (resource type, name,
// operation), before anything reaches the upstream. What a request may not
// do is answered by the gateway with the error code a Kafka broker gives
// (TOPIC_AUTHORIZATION_FAILED per topic, GROUP_AUTHORIZATION_FAILED, …);
// what it may do is forwarded, the request re-encoded without the denied
// resources when it had some, and the upstream's response merged with the
// denials. Responses that list resources the client did not name (Metadata
// for all topics, ListGroups, ListTransactions, DescribeTopicPartitions)
// are filtered to those the principal may describe.
//
// Only the APIs in authorizers are offered on such a listener set: an API
// the gateway cannot decide is never forwarded.

// ClusterResource is the name of the one CLUSTER resource of a Kafka cluster.
const ClusterResource = "kafka-cluster"

// Access is one operation on one resource that a request needs.
type Access struct {
	Type kmsg.ACLResourceType // TOPIC, GROUP, CLUSTER or TRANSACTIONAL_ID
	Name string               // ClusterResource for the cluster
	Op   kmsg.ACLOperation
}

func (a Access) String() string {
	return fmt.Sprintf("%s %s:%s", a.Op, a.Type, a.Name)
}

// Authorizer decides the requests of a listener set's authenticated
// sessions.
type Authorizer interface {
	// Session returns the decider of one authenticated session; it is
	// asked again after each re-authentication.
	Session(ident *Identity, info ConnInfo) SessionAuthorizer
}

// SessionAuthorizer decides the accesses of one session. It is called from
// the session's two goroutines at once. Each decision is audited by the
// implementation.
type SessionAuthorizer interface {
	Allowed(api kmsg.Key, a Access) bool
	// Permitted is the same decision, not audited: it reports what the
	// principal could do (KIP-430's authorized operations), as a broker's
	// authorizer does with logIfDenied off.
	Permitted(a Access) bool
	// Close releases what the decider holds once the session ends or
	// re-authenticated.
	Close()
}

// LocalHandler answers an API the gateway serves itself on authorized
// listener sets (ACLs and SCRAM credentials kafkalink keeps), after the
// request was authorized.
type LocalHandler func(ctx context.Context, req kmsg.Request) kmsg.Response

// verdict is the outcome of authorizing one request.
type verdict struct {
	// local, if set, is the whole answer: nothing is forwarded.
	local kmsg.Response
	// changed: the request was modified (denied resources removed, fetch
	// sessions turned off) and is re-encoded before it is forwarded.
	changed bool
	// fix, if set, is applied to the upstream's response (denials merged
	// in, unauthorized resources filtered out).
	fix func(kmsg.Response)
}

// then returns the verdict with f applied to its answer, local or
// upstream, after what the verdict already does to it.
func (v verdict) then(f func(kmsg.Response)) verdict {
	if v.local != nil {
		f(v.local)
		return v
	}
	if prev := v.fix; prev != nil {
		v.fix = func(resp kmsg.Response) { prev(resp); f(resp) }
	} else {
		v.fix = f
	}
	return v
}

// decider is what an API's authorization function works with.
type decider struct {
	s   *session
	az  SessionAuthorizer
	api kmsg.Key
}

func (d *decider) allowed(t kmsg.ACLResourceType, name string, op kmsg.ACLOperation) bool {
	return d.az.Allowed(d.api, Access{Type: t, Name: name, Op: op})
}

func (d *decider) topic(name string, op kmsg.ACLOperation) bool {
	return d.allowed(kmsg.ACLResourceTypeTopic, name, op)
}

func (d *decider) group(name string, op kmsg.ACLOperation) bool {
	return d.allowed(kmsg.ACLResourceTypeGroup, name, op)
}

func (d *decider) txn(id string, op kmsg.ACLOperation) bool {
	return d.allowed(kmsg.ACLResourceTypeTransactionalId, id, op)
}

func (d *decider) cluster(op kmsg.ACLOperation) bool {
	return d.allowed(kmsg.ACLResourceTypeCluster, ClusterResource, op)
}

// operations are the operations KIP-430 reports per resource type, as
// Apache Kafka's authorizer lists them.
var operations = map[kmsg.ACLResourceType][]kmsg.ACLOperation{
	kmsg.ACLResourceTypeTopic: {kmsg.ACLOperationRead, kmsg.ACLOperationWrite, kmsg.ACLOperationCreate, kmsg.ACLOperationDescribe,
		kmsg.ACLOperationDelete, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribeConfigs, kmsg.ACLOperationAlterConfigs},
	kmsg.ACLResourceTypeGroup: {kmsg.ACLOperationRead, kmsg.ACLOperationDescribe, kmsg.ACLOperationDelete},
	kmsg.ACLResourceTypeCluster: {kmsg.ACLOperationCreate, kmsg.ACLOperationClusterAction, kmsg.ACLOperationDescribeConfigs,
		kmsg.ACLOperationAlterConfigs, kmsg.ACLOperationIdempotentWrite, kmsg.ACLOperationAlter, kmsg.ACLOperationDescribe},
}

// authorizedOperations is KIP-430's bit field of what the principal may do
// with a resource: bit n set when operation n is permitted.
func (d *decider) authorizedOperations(t kmsg.ACLResourceType, name string) int32 {
	var ops int32
	for _, op := range operations[t] {
		if d.az.Permitted(Access{Type: t, Name: name, Op: op}) {
			ops |= 1 << op
		}
	}
	return ops
}

// topicName resolves a topic named by id (requests from v13 of Fetch and
// Produce): from the ids the upstream's Metadata responses revealed.
func (d *decider) topicName(name string, id [16]byte) (string, bool) {
	if id == ([16]byte{}) {
		return name, true
	}
	return d.s.set.c.topicName(id)
}

// authorizeFunc authorizes one decoded request.
type authorizeFunc func(d *decider, req kmsg.Request) verdict

// authorizers are the APIs an authorized listener set offers and how each
// is decided.
var authorizers = map[kmsg.Key]authorizeFunc{}

// register adds an API's authorization; each authz_*.go file registers its
// APIs in init.
func register(f authorizeFunc, keys ...kmsg.Key) {
	for _, k := range keys {
		authorizers[k] = f
	}
}

// withAuthorization is a copy of the table that offers only the APIs the
// gateway can authorize, plus those it answers itself and SASL.
func (t *apiTable) withAuthorization(local map[kmsg.Key]LocalHandler) *apiTable {
	c := *t
	for k := range c {
		_, ok := authorizers[kmsg.Key(k)]
		sasl := k == int(kmsg.SASLHandshake) || k == int(kmsg.SASLAuthenticate)
		c[k].offered = c[k].offered && (ok || sasl)
	}
	for k := range local {
		c[k].offered = c[k].maxVersion >= 0 && authorizers[k] != nil
	}
	return &c
}

// noAuthorization is for APIs that need none (ApiVersions, telemetry).
func noAuthorization(*decider, kmsg.Request) verdict { return verdict{} }

// clusterOp authorizes an API that needs one operation on the cluster and
// whose response has a top-level error code.
func clusterOp(op kmsg.ACLOperation) authorizeFunc {
	return func(d *decider, req kmsg.Request) verdict {
		if d.cluster(op) {
			return verdict{}
		}
		return verdict{local: topLevelError(req, kerr.ClusterAuthorizationFailed)}
	}
}

// topLevelError is req's response carrying err in its top-level ErrorCode
// (and ErrorMessage, if it has one) and nothing else.
func topLevelError(req kmsg.Request, err *kerr.Error) kmsg.Response {
	resp := req.ResponseKind()
	v := reflect.ValueOf(resp).Elem()
	if f := v.FieldByName("ErrorCode"); f.IsValid() {
		f.SetInt(int64(err.Code))
	}
	if f := v.FieldByName("ErrorMessage"); f.IsValid() && f.Kind() == reflect.Pointer {
		msg := err.Description
		f.Set(reflect.ValueOf(&msg))
	}
	return resp
}

// decodeRequest decodes a request body; a body kmsg cannot read, or that
// makes it panic, is a bad frame.
func decodeRequest(h reqHeader, body []byte) (req kmsg.Request, err error) {
	defer func() {
		if p := recover(); p != nil {
			req, err = nil, fmt.Errorf("%w: decoding panicked: %v", errFrame, p)
		}
	}()
	req = kmsg.RequestForKey(h.key)
	req.SetVersion(h.version)
	if err := req.ReadFrom(body); err != nil {
		return nil, fmt.Errorf("%w: %s v%d request: %v", errFrame, kmsg.NameForKey(h.key), h.version, err)
	}
	return req, nil
}

// authorizeRequest reads a whole request, decides it, and answers it,
// forwards it, or forwards what of it is allowed.
func (s *session) authorizeRequest(h reqHeader, a *apiInfo) error {
	frame := s.requestScratch(4 + int(h.size))
	if _, err := io.ReadFull(s.cr, frame); err != nil {
		return fmt.Errorf("client: %w", err)
	}
	defer s.dropLargeRequestScratch()
	req, err := decodeRequest(h, frame[4+h.headerLen:])
	if err != nil {
		return fmt.Errorf("client: %w", err)
	}
	f := authorizers[kmsg.Key(h.key)]
	if f == nil { // withAuthorization does not offer it
		return fmt.Errorf("client: %s cannot be authorized", kmsg.NameForKey(h.key))
	}
	d := &decider{s: s, az: s.authz, api: kmsg.Key(h.key)}
	v := f(d, req)
	if v.local == nil {
		if handle, ok := s.set.local[kmsg.Key(h.key)]; ok {
			v = verdict{local: handle(s.gw.ctx, req)}
		}
	}
	noResponse := false
	if p, ok := req.(*kmsg.ProduceRequest); ok && p.Acks == 0 {
		noResponse = true
	}
	if v.local != nil {
		if noResponse {
			// A broker closes the connection when an acks=0 produce
			// fails: the client has no other way to learn of it.
			return fmt.Errorf("%w: produce request with acks=0 denied", errDenied)
		}
		v.local.SetVersion(h.version)
		return s.enqueue(inflight{key: h.key, version: h.version, correlation: h.correlation,
			local: frameResponse(h.correlation, a.flexible(h.version), v.local)})
	}
	if !noResponse {
		r := inflight{key: h.key, version: h.version, correlation: h.correlation, mode: a.modeFor(h.version), fix: v.fix}
		if v.fix != nil {
			r.mode = respRewrite
		}
		if err := s.enqueue(r); err != nil {
			return err
		}
	}
	out := frame
	if v.changed {
		out = append(binary.BigEndian.AppendUint32(make([]byte, 0, len(frame)+64), 0), frame[4:4+h.headerLen]...)
		out = req.AppendTo(out)
		binary.BigEndian.PutUint32(out, uint32(len(out)-4))
	}
	if _, err := s.uw.Write(out); err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	if s.cr.Buffered() == 0 {
		if err := s.uw.Flush(); err != nil {
			return fmt.Errorf("upstream: %w", err)
		}
	}
	return nil
}

// errDenied ends a session whose denied request cannot be answered.
var errDenied = errors.New("request denied")

func (s *session) requestScratch(n int) []byte {
	if cap(s.reqBuf) < n {
		s.reqBuf = make([]byte, n)
	}
	return s.reqBuf[:n]
}

func (s *session) dropLargeRequestScratch() {
	if cap(s.reqBuf) > maxKeptScratch {
		s.reqBuf = nil
	}
}
