// Package controlplane is kafkalink's AWS-protocol front door: one HTTP
// listener for every service, each request authenticated with SigV4
// against kafkalink's own IAM, routed by the credential scope's service
// name, and answered in that service's wire protocol and error shapes, so
// that the aws CLI, boto3 and the AWS SDKs drive kafkalink with
// --endpoint-url. Here: sts and iam (query protocol).
package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/sigv4"
)

// maxBody bounds a request body; AWS's largest control-plane inputs (policy
// documents) are far smaller.
const maxBody = 1 << 20

// Call is one authenticated request, as a service handler sees it.
type Call struct {
	Ctx       context.Context
	Caller    iam.Caller
	Signed    sigv4.Result
	Request   *http.Request
	Body      []byte
	Form      url.Values // query-protocol parameters (body and query string)
	Action    string
	RequestID string
	SourceIP  string
}

// service answers the calls routed to it by credential scope.
type service interface {
	// serve answers one call.
	serve(w http.ResponseWriter, c *Call)
	// fail writes an error in the service's protocol shape.
	fail(w http.ResponseWriter, c *Call, status int, code, message string)
}

// Server is the front door.
type Server struct {
	iam      *iam.Service
	verifier *sigv4.Verifier
	log      *slog.Logger
	services map[string]service
}

// Option configures a Server.
type Option func(*Server)

// WithEC2 serves ec2 (VPCs, subnets, security groups) from svc.
func WithEC2(svc *ec2.Service) Option {
	return func(s *Server) { s.services["ec2"] = &ec2Service{iam: s.iam, ec2: svc, log: s.log} }
}

// New returns the front door for an IAM service in region.
func New(svc *iam.Service, region string, log *slog.Logger, opts ...Option) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{iam: svc, log: log, verifier: &sigv4.Verifier{Keys: svc}}
	s.services = map[string]service{
		"sts": &stsService{iam: svc, region: region},
		"iam": &iamService{iam: svc},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// ServeHTTP authenticates, routes and answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	c := &Call{Ctx: r.Context(), Request: r, RequestID: newRequestID()}
	c.SourceIP, _, _ = net.SplitHostPort(r.RemoteAddr)
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	svc := s.services[scopeService(r)]
	if svc == nil {
		svc = s.services["sts"] // the query shape, for requests we cannot place
	}
	if err != nil || len(body) > maxBody {
		svc.fail(w, c, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is too large or could not be read.")
		return
	}
	c.Body = body
	res, err := s.verifier.VerifyRequest(r.Context(), r, body)
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			s.log.Info("request refused", "request_id", c.RequestID, "source", c.SourceIP, "code", se.Code, "reason", se.Reason)
			msg := se.Reason
			if se.Code == sigv4.CodeSignatureDoesNotMatch {
				msg = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method."
			}
			svc.fail(w, c, se.StatusCode(), se.Code, msg)
			return
		}
		s.log.Error("signature verification failed", "request_id", c.RequestID, "err", err)
		svc.fail(w, c, http.StatusInternalServerError, "InternalFailure", "internal failure")
		return
	}
	c.Signed = res
	if svc = s.services[res.Service]; svc == nil {
		s.services["sts"].fail(w, c, http.StatusBadRequest, "UnknownService", fmt.Sprintf("kafkalink does not serve %q", res.Service))
		return
	}
	if c.Caller, err = s.iam.Resolve(r.Context(), res.AccessKeyID); err != nil {
		writeErr(w, c, svc, err)
		return
	}
	c.Form = url.Values{}
	if err := r.ParseForm(); err == nil {
		c.Form = r.Form
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if form, err := url.ParseQuery(string(body)); err == nil {
			for k, v := range form {
				c.Form[k] = v
			}
		}
	}
	c.Action = c.Form.Get("Action")
	svc.serve(w, c)
}

// scopeService is the service named by a request's credential scope,
// before verification (to choose the error shape).
func scopeService(r *http.Request) string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if h := r.Header.Get("Authorization"); h != "" {
		if i := strings.Index(h, "Credential="); i >= 0 {
			cred = h[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	}
	parts := strings.Split(cred, "/")
	if len(parts) == 5 {
		return parts[3]
	}
	if p := r.URL.Path; strings.HasPrefix(p, "/v1/") || strings.HasPrefix(p, "/api/v2/") {
		return "kafka" // MSK's request URIs: answer in its shape
	}
	return ""
}

// writeErr answers an error from IAM (or anything else) in the service's
// shape.
func writeErr(w http.ResponseWriter, c *Call, svc service, err error) {
	var ie *iam.Error
	if errors.As(err, &ie) {
		svc.fail(w, c, ie.Status, ie.Code, ie.Message)
		return
	}
	svc.fail(w, c, http.StatusInternalServerError, "ServiceFailure", "kafkalink could not complete the request")
}

func newRequestID() string {
	b := make([]byte, 16)
	rand.Read(b)
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// awsTime formats a time as AWS's XML timestamps do.
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }
