package daemon

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/aws"

	"github.com/kafkalink/kafkalink/internal/authz"
	"github.com/kafkalink/kafkalink/internal/iam"
)

// Seed 000: a role in account B produces to and consumes from account A's
// cluster with no role in A to assume: B's identity policy and A's cluster
// policy, naming that role, must both allow it.

const (
	accountA = "111111111111"
	accountB = "222222222222"
)

// crossAccount is kafkalink dev with a role "producer" in account B whose
// session credentials a client uses on the IAM listener set.
type crossAccount struct {
	t     *testing.T
	d     *Daemon
	info  DevInfo
	creds iam.Credentials // the role session
	app   iam.Credentials // user app's long-term key
	tls   *tls.Config
	n     int // clients made, for unique group names
}

const producerIdentityPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
	"Action":["kafka-cluster:Connect","kafka-cluster:DescribeCluster","kafka-cluster:DescribeTopic","kafka-cluster:CreateTopic",
	"kafka-cluster:WriteData","kafka-cluster:ReadData","kafka-cluster:WriteDataIdempotently","kafka-cluster:AlterGroup","kafka-cluster:DescribeGroup"],
	"Resource":"arn:aws:kafka:*:111111111111:*"}]}`

func clusterPolicyFor(principal string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + principal + `"},
	"Action":["kafka-cluster:Connect","kafka-cluster:DescribeCluster","kafka-cluster:DescribeTopic","kafka-cluster:CreateTopic",
	"kafka-cluster:WriteData","kafka-cluster:ReadData","kafka-cluster:WriteDataIdempotently","kafka-cluster:AlterGroup","kafka-cluster:DescribeGroup"],
	"Resource":["arn:aws:kafka:us-east-1:111111111111:cluster/dev/*","arn:aws:kafka:us-east-1:111111111111:topic/dev/*","arn:aws:kafka:us-east-1:111111111111:group/dev/*"]}]}`
}

func newCrossAccount(t *testing.T) *crossAccount {
	t.Helper()
	t.Setenv("AWS_REGION", DevRegion) // franz-go's AWS_MSK_IAM with IP brokers
	ctx := context.Background()
	dir := t.TempDir()
	d, err := StartDev(ctx, devOptions(t, dir), Options{Logger: slog.New(slog.NewTextHandler(testLog(), &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	svc := d.IAM()
	role, err := svc.CreateRole(ctx, iam.Role{Account: accountB, Name: "producer", Path: "/",
		TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}`})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.PutInlinePolicy(ctx, accountB, "role", "producer", "kafka", producerIdentityPolicy); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreateUser(ctx, accountB, "app", "/"); err != nil {
		t.Fatal(err)
	}
	if err := svc.PutInlinePolicy(ctx, accountB, "user", "app", "assume",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"`+role.ARN+`"}]}`); err != nil {
		t.Fatal(err)
	}
	key, err := svc.CreateAccessKey(ctx, accountB, "app")
	if err != nil {
		t.Fatal(err)
	}
	app, err := svc.Resolve(ctx, key.AccessKeyID)
	if err != nil {
		t.Fatal(err)
	}
	creds, _, err := svc.AssumeRole(ctx, app, role.ARN, "s1", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	info := d.DevInfo()
	return &crossAccount{t: t, d: d, info: info, creds: creds, app: key, tls: devClientTLS(t, info.CAFile)}
}

func (e *crossAccount) putClusterPolicy(doc string) {
	e.t.Helper()
	if _, err := authz.PutClusterPolicy(context.Background(), e.d.store, "dev", doc, ""); err != nil {
		e.t.Fatal(err)
	}
}

// client is a franz-go client of the dev cluster's IAM listener set, with
// the role session's credentials or those given.
func (e *crossAccount) client(creds ...iam.Credentials) *kgo.Client {
	e.t.Helper()
	e.n++
	cr := e.creds
	if len(creds) > 0 {
		cr = creds[0]
	}
	var boot []string
	for _, l := range e.info.Clusters[0].Listeners {
		if l.Auth == "IAM" {
			boot = strings.Split(l.Bootstrap, ",")
		}
	}
	m := aws.Auth{AccessKey: cr.AccessKeyID, SecretKey: cr.SecretAccessKey, SessionToken: cr.SessionToken}.AsManagedStreamingIAMMechanism()
	c, err := kgo.NewClient(kgo.SeedBrokers(boot...), kgo.DialTLSConfig(e.tls.Clone()), kgo.SASL(m),
		kgo.AllowAutoTopicCreation(), kgo.RetryTimeout(3*time.Second), kgo.ConsumerGroup(fmt.Sprintf("g-%s-%d", e.t.Name(), e.n)),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(c.Close)
	return c
}

// produceConsume produces one record and consumes it back as a group
// member.
func produceConsume(ctx context.Context, c *kgo.Client, topic string) error {
	if err := c.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("v")}).FirstErr(); err != nil {
		return err
	}
	c.AddConsumeTopics(topic)
	for {
		fs := c.PollFetches(ctx)
		if err := fs.Err0(); err != nil {
			return err
		}
		if len(fs.Records()) > 0 {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// deniedWithin produces until the live session is refused, failing the
// test if that takes more than a second (plus a produce's round trip).
func deniedWithin(t *testing.T, c *kgo.Client, topic string, since time.Time) {
	t.Helper()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := c.ProduceSync(ctx, &kgo.Record{Topic: topic, Value: []byte("after")}).FirstErr()
		cancel()
		if errors.Is(err, kerr.TopicAuthorizationFailed) {
			if took := time.Since(since); took > 1500*time.Millisecond {
				t.Errorf("denied %v after the change; want within 1s", took)
			}
			return
		}
		if err != nil {
			t.Fatalf("produce after the change: got %v; want TOPIC_AUTHORIZATION_FAILED", err)
		}
		if time.Since(since) > 3*time.Second {
			t.Fatalf("still allowed %v after the change; want denied within 1s", time.Since(since))
		}
	}
}

func TestSeed000CrossAccountRoleNeedsBothPolicies(t *testing.T) {
	e := newCrossAccount(t)
	roleARN := "arn:aws:iam::222222222222:role/producer"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// Without the cluster policy, B's identity policy alone is not enough.
	if err := produceConsume(ctx, e.client(), "orders"); !errors.Is(err, kerr.TopicAuthorizationFailed) {
		t.Fatalf("no cluster policy: got %v; want TOPIC_AUTHORIZATION_FAILED", err)
	}

	e.putClusterPolicy(clusterPolicyFor(roleARN))
	c := e.client()
	if err := produceConsume(ctx, c, "orders"); err != nil {
		t.Fatalf("both policies: got %v; want the record produced and consumed", err)
	}

	// B drops its identity policy: the live session is denied within 1 s.
	changed := time.Now()
	if err := e.d.IAM().DeleteInlinePolicy(ctx, accountB, "role", "producer", "kafka"); err != nil {
		t.Fatal(err)
	}
	deniedWithin(t, c, "orders", changed)

	// Back with the identity policy, a cluster policy naming another role
	// denies again.
	if err := e.d.IAM().PutInlinePolicy(ctx, accountB, "role", "producer", "kafka", producerIdentityPolicy); err != nil {
		t.Fatal(err)
	}
	if err := produceConsume(ctx, e.client(), "orders"); err != nil {
		t.Fatalf("identity policy restored: got %v; want allowed", err)
	}
	changed = time.Now()
	e.putClusterPolicy(clusterPolicyFor("arn:aws:iam::222222222222:role/other"))
	deniedWithin(t, c, "orders", changed)
}

func TestIAMDeletedAccessKeyDeniesLiveSession(t *testing.T) {
	e := newCrossAccount(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.d.IAM().PutInlinePolicy(ctx, accountB, "user", "app", "kafka", producerIdentityPolicy); err != nil {
		t.Fatal(err)
	}
	e.putClusterPolicy(clusterPolicyFor("arn:aws:iam::222222222222:user/app"))
	c := e.client(e.app)
	if err := produceConsume(ctx, c, "keys"); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	if err := e.d.IAM().DeleteAccessKey(ctx, accountB, "app", e.app.AccessKeyID); err != nil {
		t.Fatal(err)
	}
	deniedWithin(t, c, "keys", changed)
}

// Revoking a role's sessions is what the IAM console's "Revoke active
// sessions" does: a Deny for tokens issued before now.
func TestIAMRevokedRoleSessionsDenyLiveSession(t *testing.T) {
	e := newCrossAccount(t)
	e.putClusterPolicy(clusterPolicyFor("arn:aws:iam::222222222222:role/producer"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := e.client()
	if err := produceConsume(ctx, c, "revoked"); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	revoke := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*",
		"Condition":{"DateLessThan":{"aws:TokenIssueTime":"` + changed.Add(time.Second).UTC().Format(time.RFC3339) + `"}}}]}`
	if err := e.d.IAM().PutInlinePolicy(ctx, accountB, "role", "producer", "AWSRevokeOlderSessions", revoke); err != nil {
		t.Fatal(err)
	}
	deniedWithin(t, c, "revoked", changed)
}

func testLog() io.Writer {
	if os.Getenv("KAFKALINK_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
