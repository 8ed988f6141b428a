package daemon

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kafkalink/kafkalink/internal/acl"
)

// syncBuffer is a log sink the test reads while the daemon writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// records returns the JSON log records with the message msg.
func (s *syncBuffer) records(msg string) []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(s.b.String(), "\n") {
		var r map[string]any
		if json.Unmarshal([]byte(line), &r) == nil && r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// TestSCRAMACLsDecideAndRevokeLiveSessions: a SCRAM principal may use only
// what its ACLs grant; deleting an ACL denies the live session within a
// second; each denial is one audit record.
func TestSCRAMACLsDecideAndRevokeLiveSessions(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	logs := &syncBuffer{}
	d, err := StartDev(ctx, devOptions(t, t.TempDir()), Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.SCRAM().SetPassword(ctx, "dev", "alice", "SCRAM-SHA-512", "alice-secret", 4096); err != nil {
		t.Fatal(err)
	}
	allow := func(rt kmsg.ACLResourceType, name string, op kmsg.ACLOperation) acl.Binding {
		return acl.Binding{ResourceType: rt, ResourceName: name, PatternType: kmsg.ACLResourcePatternTypeLiteral,
			Principal: "User:alice", Host: "*", Operation: op, Permission: kmsg.ACLPermissionTypeAllow}
	}
	write := allow(kmsg.ACLResourceTypeTopic, "payments", kmsg.ACLOperationWrite)
	grants := []acl.Binding{
		write,
		allow(kmsg.ACLResourceTypeTopic, "payments", kmsg.ACLOperationCreate),
		allow(kmsg.ACLResourceTypeCluster, acl.ClusterResourceName, kmsg.ACLOperationIdempotentWrite),
	}
	for _, err := range d.ACLs().Create(ctx, "dev", grants) {
		if err != nil {
			t.Fatal(err)
		}
	}
	info := d.DevInfo()
	var boot []string
	for _, l := range info.Clusters[0].Listeners {
		if l.Auth == "SASL_SCRAM" {
			boot = strings.Split(l.Bootstrap, ",")
		}
	}
	c, err := kgo.NewClient(kgo.SeedBrokers(boot...), kgo.DialTLSConfig(devClientTLS(t, info.CAFile)),
		kgo.SASL(scram.Auth{User: "alice", Pass: "alice-secret"}.AsSha512Mechanism()),
		kgo.AllowAutoTopicCreation(), kgo.RetryTimeout(3*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	if err := c.ProduceSync(ctx, &kgo.Record{Topic: "payments", Value: []byte("1")}).FirstErr(); err != nil {
		t.Fatalf("produce with WRITE: got %v; want success", err)
	}
	if err := c.ProduceSync(ctx, &kgo.Record{Topic: "ledger", Value: []byte("1")}).FirstErr(); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("produce to a topic without ACLs: got %v; want TOPIC_AUTHORIZATION_FAILED", err)
	}
	var audit map[string]any
	for _, r := range logs.records("audit") {
		if r["resource"] == "TOPIC:ledger" && r["decision"] == "DENY" {
			audit = r
		}
	}
	if audit == nil {
		t.Fatalf("no audit record of the denial on TOPIC:ledger")
	}
	for _, k := range []string{"time", "principal", "source", "listener", "api", "action", "resource", "decision", "by"} {
		if audit[k] == nil || audit[k] == "" {
			t.Errorf("audit record %v: no %s", audit, k)
		}
	}
	if audit["principal"] != "User:alice" || audit["listener"] != "own-scram" {
		t.Errorf("audit record: got principal %v listener %v; want User:alice own-scram", audit["principal"], audit["listener"])
	}

	changed := time.Now()
	if _, errs := d.ACLs().Delete(ctx, "dev", []acl.Filter{{
		ResourceType: write.ResourceType, ResourceName: &write.ResourceName, PatternType: write.PatternType,
		Principal: &write.Principal, Host: &write.Host, Operation: write.Operation, Permission: write.Permission,
	}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	deniedWithin(t, c, "payments", changed)
}

// devClientTLS trusts dev mode's CA.
func devClientTLS(t *testing.T, caFile string) *tls.Config {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s: no certificate", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}
