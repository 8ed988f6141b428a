package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kafkalink/kafkalink/internal/config"
	"github.com/kafkalink/kafkalink/internal/freeport"
)

func freePorts(t *testing.T, n int) int {
	t.Helper()
	first, err := freeport.Range(n)
	if err != nil {
		t.Fatal(err)
	}
	return first
}

func devOptions(t *testing.T, dir string) DevOptions {
	t.Helper()
	first := freePorts(t, 10)
	ip, port, err := freeport.IPBlock(3)
	if err != nil {
		t.Fatal(err)
	}
	return DevOptions{StateDir: dir, FirstPort: first, LastPort: first + 9, FirstIP: ip.String(), IPPort: port, IAMPort: port + 1, SCRAMPort: port + 2, MTLSPort: port + 3, APIListen: "127.0.0.1:0"}
}

func readDevJSON(t *testing.T, dir string) DevInfo {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "dev.json"))
	if err != nil {
		t.Fatal(err)
	}
	var info DevInfo
	if err := json.Unmarshal(b, &info); err != nil {
		t.Fatalf("dev.json: %v", err)
	}
	return info
}

func client(t *testing.T, bootstrap string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	c, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(strings.Split(bootstrap, ",")...), kgo.AllowAutoTopicCreation()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestDevWritesDevJSONAndKeepsDataAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	o := devOptions(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := StartDev(ctx, o, Options{})
	if err != nil {
		t.Fatal(err)
	}
	info := readDevJSON(t, dir)
	if len(info.Clusters) != 1 {
		t.Fatalf("got %d clusters; want 1", len(info.Clusters))
	}
	c := info.Clusters[0]
	if len(c.Upstream) != 3 {
		t.Errorf("got %d upstream brokers; want 3", len(c.Upstream))
	}
	want := map[string]string{
		"port-per-broker": fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d", o.FirstPort, o.FirstPort+1, o.FirstPort+2),
		"ip-per-broker":   strings.TrimSuffix(o.FirstIP, ".1") + fmt.Sprintf(".1:%d,", o.IPPort) + strings.TrimSuffix(o.FirstIP, ".1") + fmt.Sprintf(".2:%d,", o.IPPort) + strings.TrimSuffix(o.FirstIP, ".1") + fmt.Sprintf(".3:%d", o.IPPort),
	}
	if info.CAFile == "" {
		t.Error("dev.json has no ca_file")
	}
	for _, l := range c.Listeners {
		if auth, ok := map[string]string{"own-iam": "IAM", "own-scram": "SASL_SCRAM", "own-mtls": "TLS"}[l.Name]; ok {
			if l.Auth != auth || len(l.Brokers) != 3 {
				t.Errorf("%s: got auth %q with %d brokers; want %s with 3", l.Name, l.Auth, len(l.Brokers), auth)
			}
			continue
		}
		if l.Auth != "PLAINTEXT" {
			t.Errorf("%s: got auth %q; want PLAINTEXT", l.Name, l.Auth)
		}
		if got := l.Bootstrap; got != want[string(l.Strategy)] {
			t.Errorf("%s bootstrap: got %s; want %s", l.Strategy, got, want[string(l.Strategy)])
		}
		if len(l.Brokers) != 3 {
			t.Errorf("%s: got %d brokers; want 3", l.Strategy, len(l.Brokers))
		}
	}
	boot := c.Listeners[0].Bootstrap
	if err := client(t, boot).ProduceSync(ctx, &kgo.Record{Topic: "kept", Value: []byte("survives")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var banner strings.Builder
	d.PrintDevBanner(&banner)
	if !strings.Contains(banner.String(), "kcat -b "+boot+" -L") {
		t.Errorf("banner has no ready-to-paste kcat command:\n%s", banner.String())
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}

	d2, err := StartDev(ctx, o, Options{})
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	t.Cleanup(func() { d2.Close() })
	if got := readDevJSON(t, dir).Clusters[0].Listeners[0].Brokers; fmt.Sprint(got) != fmt.Sprint(c.Listeners[0].Brokers) {
		t.Errorf("after restart brokers are at %v; want %v", got, c.Listeners[0].Brokers)
	}
	cons := client(t, boot, kgo.ConsumeTopics("kept"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	fs := cons.PollFetches(ctx)
	if err := fs.Err0(); err != nil {
		t.Fatal(err)
	}
	if recs := fs.Records(); len(recs) != 1 || string(recs[0].Value) != "survives" {
		t.Errorf("after restart got %d records; want the one produced before", len(recs))
	}
}

// dev.json follows the brokers: one added to the embedded cluster appears.
func TestDevJSONFollowsBrokers(t *testing.T) {
	dir := t.TempDir()
	d, err := StartDev(context.Background(), devOptions(t, dir), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	id, _, err := d.Embedded().AddNode(-1, 0)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, ok := readDevJSON(t, dir).Clusters[0].Listeners[0].Brokers[fmt.Sprint(id)]; ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dev.json never listed broker %d", id)
		}
		<-time.After(50 * time.Millisecond) // poll the file as a program would
	}
}

// serve runs the same code path from a YAML file in front of an external
// cluster.
func TestServeFromConfigFile(t *testing.T) {
	kf, err := kfake.NewCluster(kfake.NumBrokers(2), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kf.Close)
	dir := t.TempDir()
	first := freePorts(t, 5)
	yaml := fmt.Sprintf(`state_dir: %s
api_listen: 127.0.0.1:0
accounts:
  - id: "333333333333"
    profile: owner
clusters:
  - name: ext
    discovery_interval: 1s
    upstream:
      bootstrap: [%s]
    listeners:
      - name: vpc
        strategy: port-per-broker
        first_port: %d
        last_port: %d
`, dir, strings.Join(kf.ListenAddrs(), ", "), first, first+4)
	path := filepath.Join(dir, "kafkalink.yaml")
	os.WriteFile(path, []byte(yaml), 0o600)
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *Daemon, 1)
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, Options{}, func(d *Daemon) { ready <- d }) }()
	var d *Daemon
	select {
	case d = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	}
	boot := d.DevInfo().Clusters[0].Listeners[0].Bootstrap
	if want := fmt.Sprintf("127.0.0.1:%d,127.0.0.1:%d", first, first+1); boot != want {
		t.Errorf("bootstrap: got %s; want %s", boot, want)
	}
	if err := client(t, boot).ProduceSync(ctx, &kgo.Record{Topic: "ext", Value: []byte("x")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	if got := callerIdentity(t, d.DevInfo(), "owner"); got != "333333333333" {
		t.Errorf("configured account: got %s; want 333333333333", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v after cancel; want nil", err)
	}
}

func TestConfigRejects(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown field", "clusters: []\nbogus: 1\n", "bogus"},
		{"no clusters", "state_dir: x\n", "no clusters"},
		{"bad strategy", "clusters:\n- name: a\n  upstream: {bootstrap: [\"h:1\"]}\n  listeners: [{name: x, strategy: nope}]\n", "strategy"},
		{"sni without tls", "clusters:\n- name: a\n  upstream: {bootstrap: [\"h:1\"]}\n  listeners: [{name: x, strategy: sni, listen: \"127.0.0.1:9098\", broker_name: \"b-{n}.x\", bootstrap_name: boot.x}]\n", "tls"},
		{"no bootstrap", "clusters:\n- name: a\n  upstream: {}\n  listeners: [{name: x, strategy: port-per-broker}]\n", "bootstrap"},
		{"bad account id", "accounts: [{id: \"1234\"}]\nclusters:\n- name: a\n  upstream: {bootstrap: [\"h:1\"]}\n  listeners: [{name: x, strategy: port-per-broker}]\n", "not 12 digits"},
		{"duplicate profile", "accounts: [{id: \"111111111111\", profile: p}, {id: \"222222222222\", profile: p}]\nclusters:\n- name: a\n  upstream: {bootstrap: [\"h:1\"]}\n  listeners: [{name: x, strategy: port-per-broker}]\n", "unique"},
		{"bad mechanism", "clusters:\n- name: a\n  upstream: {bootstrap: [\"h:1\"], sasl: {mechanism: GSSAPI}}\n  listeners: [{name: x, strategy: port-per-broker}]\n", "GSSAPI"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			os.WriteFile(path, []byte(c.yaml), 0o600)
			_, err := config.Load(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v; want an error mentioning %q", err, c.want)
			}
		})
	}
}
