package daemon

// Real Kafka clients on dev mode's SCRAM and mTLS listener sets: kcat
// (librdkafka) with SASL_SSL SCRAM-SHA-512 and with a client certificate,
// and kafkajs with SCRAM-SHA-512 over TLS. What they check is what a user
// of kafkalink sees: authentication that works with the clients people
// use, ACLs that allow what they grant and nothing else, and failures
// reported with the errors a Kafka broker gives.

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/kafkalink/kafkalink/internal/acl"
	"github.com/kafkalink/kafkalink/internal/freeport"
	"github.com/kafkalink/kafkalink/internal/pki"
	"github.com/kafkalink/kafkalink/internal/prereq"
)

// realClientTimeout bounds one run of a client program; generous, for a
// loaded machine running the race detector.
const realClientTimeout = 2 * time.Minute

// realEnv is a dev daemon for the real-client tests.
type realEnv struct {
	d     *Daemon
	dir   string // the state directory
	info  DevInfo
	scram string // own-scram's bootstrap
	mtls  string // own-mtls's bootstrap
	logs  *realLog
}

// realLog collects the daemon's log, which its goroutines write
// concurrently (and may write after the test ends, when t.Log would panic).
type realLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{} // closed and replaced on every write
}

func newRealLog() *realLog { return &realLog{changed: make(chan struct{})} }

func (l *realLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	close(l.changed)
	l.changed = make(chan struct{})
	return l.buf.Write(p)
}

func (l *realLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor waits, at most d, for a log line that contains every one of
// subs, and reports whether one came. The daemon may log what a client
// saw a moment after the client saw it.
func (l *realLog) waitFor(d time.Duration, subs ...string) bool {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		text, changed := l.buf.String(), l.changed
		l.mu.Unlock()
		for _, line := range strings.Split(text, "\n") {
			if line != "" && !slices.ContainsFunc(subs, func(s string) bool { return !strings.Contains(line, s) }) {
				return true
			}
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// realLogWait bounds how long a test waits for the daemon to log something.
const realLogWait = 15 * time.Second

// realDevOptions picks free ports for a dev daemon as devOptions
// does, and also checks the ports of the IAM, SCRAM and mTLS listener sets
// (the next three) on all three broker addresses.
func realDevOptions(t *testing.T, dir string) DevOptions {
	t.Helper()
	for try := 0; try < 50; try++ {
		first, err := freeport.Range(10)
		if err != nil {
			t.Fatal(err)
		}
		ip, port, err := freeport.IPBlock(3)
		if err != nil {
			t.Fatal(err)
		}
		if port+3 > 65535 || !realCanListen(ip, 3, port+1, port+2, port+3) {
			continue
		}
		return DevOptions{StateDir: dir, FirstPort: first, LastPort: first + 9, FirstIP: ip.String(),
			IPPort: port, IAMPort: port + 1, SCRAMPort: port + 2, MTLSPort: port + 3, APIListen: "127.0.0.1:0"}
	}
	t.Fatal("no free loopback addresses and ports for a dev daemon")
	return DevOptions{}
}

// realCanListen reports whether each port is free on n addresses from ip on.
func realCanListen(ip netip.Addr, n int, ports ...int) bool {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for a, i := ip, 0; i < n; a, i = a.Next(), i+1 {
		for _, p := range ports {
			ln, err := net.Listen("tcp", net.JoinHostPort(a.String(), strconv.Itoa(p)))
			if err != nil {
				return false
			}
			lns = append(lns, ln)
		}
	}
	return true
}

// startRealDev starts a dev daemon and returns where its SCRAM and
// mTLS listener sets are. The daemon's log is shown if the test fails.
func startRealDev(t *testing.T) *realEnv {
	t.Helper()
	logs := newRealLog()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kafkalink log:\n%s", logs.String())
		}
	})
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	var d *Daemon
	var dir string
	for try := 1; ; try++ {
		dir = t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		var err error
		d, err = StartDev(ctx, realDevOptions(t, dir), Options{Logger: log})
		cancel()
		if err == nil {
			break
		}
		// Another program may take a port between the check and the
		// listen; pick others.
		if try == 3 || !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("StartDev: %v", err)
		}
	}
	t.Cleanup(func() { d.Close() })
	e := &realEnv{d: d, dir: dir, info: d.DevInfo(), logs: logs}
	for _, c := range e.info.Clusters {
		for _, l := range c.Listeners {
			switch l.Name {
			case "own-scram":
				e.scram = l.Bootstrap
			case "own-mtls":
				e.mtls = l.Bootstrap
			}
		}
	}
	if e.scram == "" || e.mtls == "" || e.info.CAFile == "" || e.info.Admin == nil {
		t.Fatalf("dev info: got SCRAM bootstrap %q, mTLS bootstrap %q, CA %q, admin %v; want all of them",
			e.scram, e.mtls, e.info.CAFile, e.info.Admin)
	}
	return e
}

// setPassword gives user a SCRAM-SHA-512 credential on the dev cluster.
func (e *realEnv) setPassword(t *testing.T, user, password string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.d.SCRAM().SetPassword(ctx, "dev", user, "SCRAM-SHA-512", password, 4096); err != nil {
		t.Fatalf("SetPassword %s: %v", user, err)
	}
}

// allow creates ALLOW ACLs for principal, from any host, directly in the
// daemon's authorizer: each operation on each LITERAL resource.
func (e *realEnv) allow(t *testing.T, principal string, typ kmsg.ACLResourceType, name string, ops ...kmsg.ACLOperation) {
	t.Helper()
	var bs []acl.Binding
	for _, op := range ops {
		bs = append(bs, acl.Binding{ResourceType: typ, ResourceName: name, PatternType: kmsg.ACLResourcePatternTypeLiteral,
			Principal: principal, Host: acl.Wildcard, Operation: op, Permission: kmsg.ACLPermissionTypeAllow})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i, err := range e.d.ACLs().Create(ctx, "dev", bs) {
		if err != nil {
			t.Fatalf("create ACL %s: %v", bs[i], err)
		}
	}
}

// admin is a franz-go admin client of the dev cluster's super user,
// connected to the mTLS listener set with the admin certificate.
func (e *realEnv) admin(t *testing.T) *kadm.Client {
	t.Helper()
	pem, err := os.ReadFile(e.info.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", e.info.CAFile)
	}
	cert, err := tls.LoadX509KeyPair(e.info.Admin.CertFile, e.info.Admin.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(e.mtls, ",")...),
		kgo.DialTLSConfig(&tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return kadm.NewClient(c)
}

// createTopics creates topics of three partitions, as the super user.
func (e *realEnv) createTopics(t *testing.T, topics ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resps, err := e.admin(t).CreateTopics(ctx, 3, 1, nil, topics...)
	if err != nil {
		t.Fatalf("create topics %v: %v", topics, err)
	}
	for _, topic := range topics {
		if r, ok := resps[topic]; !ok || r.Err != nil {
			t.Fatalf("create topic %s: got %v (%s); want it created", topic, r.Err, r.ErrMessage)
		}
	}
}

// denied reports whether the audit log has a denial of principal's access
// to resource ("TOPIC:name", "GROUP:name").
func (e *realEnv) denied(principal, resource string) bool {
	return e.logs.waitFor(realLogWait, "msg=audit", principal, "resource="+resource+" ", "decision=DENY")
}

// scramArgs are kcat's options for the SCRAM listener set.
func (e *realEnv) scramArgs(mechanism, user, password string) []string {
	return []string{"-b", e.scram,
		"-X", "security.protocol=SASL_SSL", "-X", "sasl.mechanisms=" + mechanism,
		"-X", "sasl.username=" + user, "-X", "sasl.password=" + password,
		"-X", "ssl.ca.location=" + e.info.CAFile}
}

// mtlsArgs are kcat's options for the mTLS listener set; without a
// certificate when certFile is "".
func (e *realEnv) mtlsArgs(certFile, keyFile string) []string {
	args := []string{"-b", e.mtls, "-X", "security.protocol=SSL", "-X", "ssl.ca.location=" + e.info.CAFile}
	if certFile != "" {
		args = append(args, "-X", "ssl.certificate.location="+certFile, "-X", "ssl.key.location="+keyFile)
	}
	return args
}

// realKcatResult is how a kcat run ended.
type realKcatResult struct {
	stdout, stderr string
	err            error // nil when kcat exited 0
}

// realKcat runs kcat with stdin, bounded by realClientTimeout.
func realKcat(t *testing.T, stdin string, args ...string) realKcatResult {
	t.Helper()
	bin := prereq.Tool(t, "kcat")
	ctx, cancel := context.WithTimeout(context.Background(), realClientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("kcat %s: did not end within %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), realClientTimeout, stdout.String(), stderr.String())
	}
	return realKcatResult{stdout: stdout.String(), stderr: stderr.String(), err: err}
}

// realKcatProduce produces key:value lines with kcat and fails the test unless
// kcat reports them all delivered.
func realKcatProduce(t *testing.T, conn []string, topic string, lines ...string) {
	t.Helper()
	args := append(slices.Clone(conn), "-P", "-t", topic, "-K", ":", "-X", "message.timeout.ms=60000")
	r := realKcat(t, strings.Join(lines, "\n")+"\n", args...)
	// kcat exits 1 when a message was not delivered; it also prints
	// passing errors (a dropped connection) as "% ERROR", so those are
	// not held against it.
	if r.err != nil {
		t.Fatalf("kcat -P -t %s: got %v; want the messages delivered\nstderr:\n%s", topic, r.err, r.stderr)
	}
}

// realKcatConsume reads a topic from the beginning to its end with kcat (in
// the consumer group, if group is not "") and returns its messages as
// sorted key=value lines.
func realKcatConsume(t *testing.T, conn []string, topic, group string) []string {
	t.Helper()
	args := append(slices.Clone(conn), "-f", "%k=%s\n", "-e", "-q")
	if group == "" {
		args = append(args, "-C", "-t", topic, "-o", "beginning")
	} else {
		args = append(args, "-X", "auto.offset.reset=earliest", "-G", group, topic)
	}
	r := realKcat(t, "", args...)
	if r.err != nil {
		t.Fatalf("kcat consume %s (group %q): got %v; want its messages\nstdout:\n%s\nstderr:\n%s", topic, group, r.err, r.stdout, r.stderr)
	}
	got := strings.Fields(r.stdout)
	slices.Sort(got)
	return got
}

// realKcatTopics lists the topics kcat's metadata request shows.
func realKcatTopics(t *testing.T, conn []string) []string {
	t.Helper()
	r := realKcat(t, "", append(slices.Clone(conn), "-L", "-J", "-m", "30")...)
	if r.err != nil {
		t.Fatalf("kcat -L: %v\nstderr:\n%s", r.err, r.stderr)
	}
	var md struct {
		Topics []struct {
			Topic string `json:"topic"`
		} `json:"topics"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &md); err != nil {
		t.Fatalf("kcat -L -J printed %q: %v", r.stdout, err)
	}
	var names []string
	for _, tp := range md.Topics {
		names = append(names, tp.Topic)
	}
	slices.Sort(names)
	return names
}

// realWantFailure checks that kcat failed and said want.
func realWantFailure(t *testing.T, what string, r realKcatResult, want string) {
	t.Helper()
	if r.err == nil || !strings.Contains(r.stderr, want) {
		t.Errorf("%s: got exit %v, stderr:\n%s\nwant a failure saying %q", what, r.err, r.stderr, want)
	}
}

// realWantLines checks sorted lines against want, in any order.
func realWantLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %q; want %q", what, got, want)
	}
}

// kcat (librdkafka) authenticates with SASL/SCRAM-SHA-512 over TLS; a user
// with ACLs on a topic and a group produces and consumes it, alone and in
// the group, and is refused everything else; wrong credentials fail
// authentication as a broker fails them.
func TestRealClientsKcatSCRAM(t *testing.T) {
	prereq.Tool(t, "kcat")
	e := startRealDev(t)
	const pw = "alice-secret-1"
	e.setPassword(t, "alice", pw)
	e.createTopics(t, "kc", "kc-secret")
	e.allow(t, "User:alice", kmsg.ACLResourceTypeTopic, "kc",
		kmsg.ACLOperationWrite, kmsg.ACLOperationDescribe, kmsg.ACLOperationRead)
	e.allow(t, "User:alice", kmsg.ACLResourceTypeGroup, "kc-group", kmsg.ACLOperationRead)
	alice := e.scramArgs("SCRAM-SHA-512", "alice", pw)
	admin := e.scramArgs("SCRAM-SHA-512", e.info.Admin.User, e.info.Admin.Password)

	// Failed authentications first: they must not write anything to kc.
	t.Run("bad credentials", func(t *testing.T) {
		for _, tc := range []struct {
			name, mechanism, user, password string
			reason                          string // why kafkalink refused, in its log
		}{
			{"wrong password", "SCRAM-SHA-512", "alice", "not-" + pw, `invalid client proof for user \"alice\"`},
			{"unknown user", "SCRAM-SHA-512", "mallory", pw, `user \"mallory\" has no SCRAM-SHA-512 credential`},
			{"no SCRAM-SHA-256 credential", "SCRAM-SHA-256", "alice", pw, `user \"alice\" has no SCRAM-SHA-256 credential`},
		} {
			t.Run(tc.name, func(t *testing.T) {
				args := append(e.scramArgs(tc.mechanism, tc.user, tc.password), "-P", "-t", "kc", "-X", "message.timeout.ms=30000")
				r := realKcat(t, "intruder\n", args...)
				realWantFailure(t, "kcat -P", r, "Authentication failed during authentication due to invalid credentials with SASL mechanism "+tc.mechanism)
				if !e.logs.waitFor(realLogWait, "client not authenticated", "listener=own-scram", tc.reason) {
					t.Errorf("kafkalink logged no refusal because %s", tc.reason)
				}
			})
		}
	})

	t.Run("produce and consume", func(t *testing.T) {
		realKcatProduce(t, alice, "kc", "k1:scram-1", "k2:scram-2", "k3:scram-3")
		want := []string{"k1=scram-1", "k2=scram-2", "k3=scram-3"}
		realWantLines(t, "alice reading kc", realKcatConsume(t, alice, "kc", ""), want)
		realWantLines(t, "alice reading kc in group kc-group", realKcatConsume(t, alice, "kc", "kc-group"), want)
		realWantLines(t, "admin reading kc", realKcatConsume(t, admin, "kc", ""), want)
	})

	t.Run("metadata lists only described topics", func(t *testing.T) {
		realWantLines(t, "alice's topics", realKcatTopics(t, alice), []string{"kc"})
		realWantLines(t, "admin's topics", realKcatTopics(t, admin), []string{"kc", "kc-secret"})
	})

	t.Run("topic without ACL", func(t *testing.T) {
		realKcatProduce(t, admin, "kc-secret", "s:secret")
		r := realKcat(t, "x:stolen\n", append(slices.Clone(alice), "-P", "-t", "kc-secret", "-K", ":", "-X", "message.timeout.ms=30000")...)
		realWantFailure(t, "alice producing to kc-secret", r, "Topic authorization failed")
		r = realKcat(t, "", append(slices.Clone(alice), "-C", "-t", "kc-secret", "-o", "beginning", "-e")...)
		realWantFailure(t, "alice consuming kc-secret", r, "Topic authorization failed")
		if strings.Contains(r.stdout, "secret") {
			t.Errorf("alice read kc-secret: %q", r.stdout)
		}
		if !e.denied("User:alice", "TOPIC:kc-secret") {
			t.Error("no audit record denies User:alice on TOPIC:kc-secret")
		}
		realWantLines(t, "admin reading kc-secret", realKcatConsume(t, admin, "kc-secret", ""), []string{"s=secret"})
	})

	t.Run("group without ACL", func(t *testing.T) {
		args := append(slices.Clone(alice), "-X", "auto.offset.reset=earliest", "-G", "other-group", "-e", "-c", "1", "kc")
		r := realKcat(t, "", args...)
		realWantFailure(t, "alice consuming kc in group other-group", r, "Group authorization failed")
		if !e.denied("User:alice", "GROUP:other-group") {
			t.Error("no audit record denies User:alice on GROUP:other-group")
		}
	})
}

// kcat (librdkafka) authenticates with a client certificate: the dev
// admin's (User:CN=admin, a super user) may do anything; another
// certificate of the dev CA (User:CN=bob) may do nothing until ACLs
// created over the Kafka protocol allow it; clients without a certificate
// of the dev CA do not get through the TLS handshake.
func TestRealClientsKcatMTLS(t *testing.T) {
	prereq.Tool(t, "kcat")
	e := startRealDev(t)
	e.createTopics(t, "mt")
	admin := e.mtlsArgs(e.info.Admin.CertFile, e.info.Admin.KeyFile)

	ca, err := pki.LoadOrCreateCA(e.dir, "kafkalink dev CA")
	if err != nil {
		t.Fatal(err)
	}
	bobCert, bobKey := filepath.Join(e.dir, "tls", "bob.pem"), filepath.Join(e.dir, "tls", "bob-key.pem")
	realIssue(t, ca, "bob", bobCert, bobKey)
	bob := e.mtlsArgs(bobCert, bobKey)
	other, err := pki.NewCA("another CA")
	if err != nil {
		t.Fatal(err)
	}
	eveDir := t.TempDir()
	eveCert, eveKey := filepath.Join(eveDir, "eve.pem"), filepath.Join(eveDir, "eve-key.pem")
	realIssue(t, other, "eve", eveCert, eveKey)

	t.Run("admin certificate", func(t *testing.T) {
		realKcatProduce(t, admin, "mt", "a1:admin-1", "a2:admin-2")
		realWantLines(t, "admin reading mt", realKcatConsume(t, admin, "mt", ""), []string{"a1=admin-1", "a2=admin-2"})
	})

	t.Run("refused at the handshake", func(t *testing.T) {
		for _, tc := range []struct {
			name   string
			args   []string
			want   string // the TLS alert kcat reports
			reason string // why kafkalink refused, in its log
		}{
			{"no certificate", e.mtlsArgs("", ""), "alert certificate required", "client didn't provide a certificate"},
			{"certificate of another CA", e.mtlsArgs(eveCert, eveKey), "alert unknown ca", "certificate signed by unknown authority"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := realKcat(t, "x:intruder\n", append(slices.Clone(tc.args), "-P", "-t", "mt", "-K", ":", "-X", "message.timeout.ms=20000")...)
				realWantFailure(t, "kcat -P", r, tc.want)
				if !e.logs.waitFor(realLogWait, "TLS handshake failed", "listener=own-mtls", tc.reason) {
					t.Errorf("kafkalink logged no failed handshake because %s", tc.reason)
				}
			})
		}
	})

	t.Run("certificate without ACLs", func(t *testing.T) {
		r := realKcat(t, "b0:bob-0\n", append(slices.Clone(bob), "-P", "-t", "mt", "-K", ":", "-X", "message.timeout.ms=30000")...)
		realWantFailure(t, "bob producing to mt", r, "Topic authorization failed")
		r = realKcat(t, "", append(slices.Clone(bob), "-C", "-t", "mt", "-o", "beginning", "-e")...)
		realWantFailure(t, "bob consuming mt", r, "Topic authorization failed")
		if strings.Contains(r.stdout, "admin-") {
			t.Errorf("bob read mt: %q", r.stdout)
		}
		if got := realKcatTopics(t, bob); len(got) != 0 {
			t.Errorf("bob's topics: got %q; want none", got)
		}
		if !e.denied(`User:CN=bob`, "TOPIC:mt") {
			t.Error("no audit record denies User:CN=bob on TOPIC:mt")
		}
	})

	t.Run("certificate with ACLs", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		b := kadm.NewACLs().Allow("User:CN=bob").AllowHosts("*").Topics("mt").
			Operations(kadm.OpWrite, kadm.OpRead).ResourcePatternType(kadm.ACLPatternLiteral)
		res, err := e.admin(t).CreateACLs(ctx, b)
		if err != nil {
			t.Fatalf("CreateAcls as admin: %v", err)
		}
		if len(res) != 2 {
			t.Errorf("CreateAcls: got %d results; want 2", len(res))
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("CreateAcls %s %s on %s: %v (%s)", r.Principal, r.Operation, r.Name, r.Err, r.ErrMessage)
			}
		}
		name := "mt"
		got, err := e.d.ACLs().Describe("dev", acl.Filter{ResourceType: kmsg.ACLResourceTypeTopic, ResourceName: &name,
			PatternType: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationAny, Permission: kmsg.ACLPermissionTypeAllow})
		if err != nil || len(got) != 2 || got[0].Principal != "User:CN=bob" {
			t.Errorf("ACLs on mt after CreateAcls: got %v, %v; want bob's two", got, err)
		}

		realKcatProduce(t, bob, "mt", "b1:bob-1", "b2:bob-2")
		realWantLines(t, "bob reading mt", realKcatConsume(t, bob, "mt", ""), []string{"a1=admin-1", "a2=admin-2", "b1=bob-1", "b2=bob-2"})
		realWantLines(t, "bob's topics", realKcatTopics(t, bob), []string{"mt"})
	})
}

// realIssue writes a client certificate of ca for cn.
func realIssue(t *testing.T, ca *pki.CA, cn, certFile, keyFile string) {
	t.Helper()
	cert, err := ca.Issue(cn)
	if err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteFiles(cert, certFile, keyFile); err != nil {
		t.Fatal(err)
	}
}

// realKafkajsDir holds the kafkajs test program.
var realKafkajsDir = filepath.Join("testdata", "kafkajs")

// realKafkajsNode prepares testdata/kafkajs (npm ci when node_modules is
// missing; .ci/run installs it) and returns the node binary.
func realKafkajsNode(t *testing.T) string {
	t.Helper()
	node := prereq.Tool(t, "node")
	if _, err := os.Stat(filepath.Join(realKafkajsDir, "node_modules", "kafkajs", "package.json")); err != nil {
		npm := prereq.Tool(t, "npm")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund")
		cmd.Dir = realKafkajsDir
		if out, err := cmd.CombinedOutput(); err != nil {
			prereq.Missing(t, "npm ci in "+realKafkajsDir+" failed: "+err.Error()+": "+string(out))
		}
	}
	return node
}

// realKafkajsResult is what testdata/kafkajs/produce-consume.js prints.
type realKafkajsResult struct {
	OK       bool `json:"ok"`
	Produced []struct {
		Partition int    `json:"partition"`
		Offset    string `json:"offset"`
		ErrorCode int    `json:"errorCode"`
	} `json:"produced"`
	Consumed []struct {
		Partition int    `json:"partition"`
		Offset    string `json:"offset"`
		Key       string `json:"key"`
		Value     string `json:"value"`
	} `json:"consumed"`
	Stage string `json:"stage"`
	Error struct {
		Name    string `json:"name"`
		Message string `json:"message"`
		Type    string `json:"type"`
	} `json:"error"`
	// BrokerErrors are the errors of broker responses kafkajs logged;
	// it does not pass them all on.
	BrokerErrors []string `json:"brokerErrors"`
}

// runKafkajs runs produce-consume.js against the SCRAM listener set.
func (e *realEnv) runKafkajs(t *testing.T, node, user, password, topic, group string) realKafkajsResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), realClientTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "produce-consume.js")
	cmd.Dir = realKafkajsDir
	cmd.Env = append(os.Environ(),
		"KAFKAJS_BROKERS="+e.scram, "KAFKAJS_CA="+e.info.CAFile,
		"KAFKAJS_USER="+user, "KAFKAJS_PASSWORD="+password,
		"KAFKAJS_TOPIC="+topic, "KAFKAJS_GROUP="+group,
		"KAFKAJS_TIMEOUT_MS="+strconv.Itoa(int((realClientTimeout-15*time.Second).Milliseconds())),
		"KAFKAJS_NO_PARTITIONER_WARNING=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 10 * time.Second
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("node produce-consume.js: did not end within %v\nstdout:\n%s\nstderr:\n%s", realClientTimeout, stdout.String(), stderr.String())
	}
	var res realKafkajsResult
	if jerr := json.Unmarshal(stdout.Bytes(), &res); jerr != nil {
		t.Fatalf("node produce-consume.js: %v; printed %q: %v\nstderr:\n%s", err, stdout.String(), jerr, stderr.String())
	}
	var exit *exec.ExitError
	if res.OK != (err == nil) || (err != nil && !errors.As(err, &exit)) {
		t.Fatalf("node produce-consume.js: exit %v with ok=%v; want exit status 0 exactly when ok\nstderr:\n%s", err, res.OK, stderr.String())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("kafkajs log:\n%s", stderr.String())
		}
	})
	return res
}

// kafkajs authenticates with SASL/SCRAM-SHA-512 over TLS, produces three
// messages and consumes them back in a consumer group its ACLs allow; it
// fails authentication with a wrong password and is refused a group it
// has no ACL for.
func TestRealClientsKafkajsSCRAM(t *testing.T) {
	node := realKafkajsNode(t)
	e := startRealDev(t)
	const pw = "carol-secret-1"
	e.setPassword(t, "carol", pw)
	e.createTopics(t, "js")
	e.allow(t, "User:carol", kmsg.ACLResourceTypeTopic, "js", kmsg.ACLOperationWrite, kmsg.ACLOperationRead)
	e.allow(t, "User:carol", kmsg.ACLResourceTypeGroup, "js-group", kmsg.ACLOperationRead)

	// In order: the first case checks everything in the topic, and the
	// last produces to it again.
	for _, tc := range []struct {
		name            string
		password, group string
		// On failure: the step that failed, the error kafkajs threw, and
		// the broker's error it logged.
		wantStage, wantError, wantBrokerError string
	}{
		{name: "produce and consume", password: pw, group: "js-group"},
		{name: "wrong password", password: "not-" + pw, group: "js-group",
			wantStage: "producer.connect", wantError: "KafkaJSSASLAuthenticationError",
			wantBrokerError: "Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512"},
		// kafkajs reports a refused FindCoordinator as not finding the
		// coordinator, whatever the broker's error.
		{name: "group without ACL", password: pw, group: "other-group",
			wantStage: "consumer.run", wantError: "KafkaJSGroupCoordinatorNotFound",
			wantBrokerError: "Group authorization failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := e.runKafkajs(t, node, "carol", tc.password, "js", tc.group)
			if tc.wantStage != "" {
				brokerSaid := slices.ContainsFunc(res.BrokerErrors, func(s string) bool { return strings.Contains(s, tc.wantBrokerError) })
				if res.OK || res.Stage != tc.wantStage || res.Error.Name != tc.wantError || !brokerSaid {
					t.Errorf("got ok=%v, failed at %q with %s: %s, broker errors %q; want a failure at %q with %s after a broker error saying %q",
						res.OK, res.Stage, res.Error.Name, res.Error.Message, res.BrokerErrors, tc.wantStage, tc.wantError, tc.wantBrokerError)
				}
				return
			}
			if !res.OK {
				t.Fatalf("got a failure at %q: %s (%s): %s; want success", res.Stage, res.Error.Name, res.Error.Type, res.Error.Message)
			}
			for _, p := range res.Produced {
				if p.ErrorCode != 0 {
					t.Errorf("produce to partition %d: got error code %d; want 0", p.Partition, p.ErrorCode)
				}
			}
			var got []string
			for _, m := range res.Consumed {
				got = append(got, m.Key+"="+m.Value)
			}
			slices.Sort(got)
			if want := []string{"k1=kafkajs-1", "k2=kafkajs-2", "k3=kafkajs-3"}; !slices.Equal(got, want) {
				t.Errorf("consumed: got %q; want %q", got, want)
			}
		})
	}
	if !e.denied("User:carol", "GROUP:other-group") {
		t.Error("no audit record denies User:carol on GROUP:other-group")
	}
}
