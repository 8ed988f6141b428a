package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kafkalink/kafkalink/internal/freeport"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// `kafkalink dev` tells a person what to connect to, writes dev.json, and
// stops cleanly on Ctrl-C.
func TestDevStopsCleanlyOnInterrupt(t *testing.T) {
	dir := t.TempDir()
	first, err := freeport.Range(10)
	if err != nil {
		t.Fatal(err)
	}
	ip, port, err := freeport.IPBlock(3)
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr lockedBuffer
	code := make(chan int, 1)
	go func() { // VPC resolvers in 127.100–109, apart from the daemon tests' (160 on)
		code <- Main([]string{"dev", "--state-dir", dir, "--first-port", fmt.Sprint(first), "--last-port", fmt.Sprint(first + 9),
			"--first-ip", ip.String(), "--ip-port", fmt.Sprint(port), "--api-listen", "127.0.0.1:0",
			"--loopback-range", "100-109"}, &stdout, &stderr)
	}()
	deadline := time.After(30 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !strings.Contains(stdout.String(), "Press Ctrl-C") {
		select {
		case c := <-code:
			t.Fatalf("dev exited with %d:\n%s\n%s", c, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("dev never said it was ready:\n%s", stdout.String())
		case <-tick.C:
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "dev.json")); err != nil {
		t.Errorf("dev.json: %v", err)
	}
	if want := fmt.Sprintf("kcat -b 127.0.0.1:%d,", first); !strings.Contains(stdout.String(), want) {
		t.Errorf("the banner has no %q:\n%s", want, stdout.String())
	}
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	select {
	case c := <-code:
		if c != 0 {
			t.Errorf("got exit code %d; want 0\n%s", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("dev did not stop after Ctrl-C")
	}
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{nil, 2, "Usage"},
		{[]string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{[]string{"serve"}, 1, "--config FILE is required"},
		{[]string{"serve", "--config", "/nonexistent.yaml"}, 1, "no such file"},
		{[]string{"help"}, 0, "Usage"},
		{[]string{"accounts"}, 2, "accounts create"},
		{[]string{"accounts", "delete"}, 2, `unknown command "delete"`},
		{[]string{"accounts", "create"}, 1, "--config FILE or --state-dir DIR is required"},
		{[]string{"policy"}, 2, "policy simulate"},
		{[]string{"policy", "simulate", "--action", "a:b"}, 2, "--principal ARN"},
		{[]string{"policy", "simulate", "--principal", "bob", "--action", "a:b"}, 1, `principal "bob"`},
		{[]string{"policy", "simulate", "--principal", "111111111111", "--action", "a:b", "--context", "novalue"}, 1, "want KEY=VALUE"},
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		if got := Main(c.args, &out, &errb); got != c.code {
			t.Errorf("%v: got exit code %d; want %d", c.args, got, c.code)
		}
		if !strings.Contains(out.String()+errb.String(), c.want) {
			t.Errorf("%v: output %q lacks %q", c.args, out.String()+errb.String(), c.want)
		}
	}
}

func TestSCRAMAndClusterPolicyCommands(t *testing.T) {
	dir := t.TempDir()
	doc := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(doc, []byte(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},"Action":"kafka-cluster:Connect","Resource":"*"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"Statement":[]`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"scram", "set", "--state-dir", dir, "--cluster", "c1", "--user", "alice", "--password", "pw"}, 0, "SCRAM-SHA-512 credentials of User:alice set"},
		{[]string{"scram", "list", "--state-dir", dir, "--cluster", "c1"}, 0, "User:alice"},
		{[]string{"scram", "set", "--state-dir", dir, "--cluster", "c1", "--user", "alice", "--password", "pw", "--mechanism", "SCRAM-SHA-1"}, 1, ""},
		{[]string{"scram", "delete", "--state-dir", dir, "--cluster", "c1", "--user", "alice"}, 0, "deleted"},
		{[]string{"scram", "set", "--state-dir", dir}, 2, ""},
		{[]string{"cluster-policy", "put", "--state-dir", dir, "--cluster", "c1", "--file", doc}, 0, "currentVersion"},
		{[]string{"cluster-policy", "get", "--state-dir", dir, "--cluster", "c1"}, 0, "kafka-cluster:Connect"},
		{[]string{"cluster-policy", "put", "--state-dir", dir, "--cluster", "c1", "--file", bad}, 1, ""},
		{[]string{"cluster-policy", "put", "--state-dir", dir, "--cluster", "c1", "--file", doc, "--current-version", "stale"}, 1, ""},
		{[]string{"cluster-policy", "delete", "--state-dir", dir, "--cluster", "c1"}, 0, ""},
		{[]string{"cluster-policy", "get", "--state-dir", dir, "--cluster", "c1"}, 1, ""},
	} {
		var stdout, stderr strings.Builder
		code := Main(tc.args, &stdout, &stderr)
		if code != tc.code || !strings.Contains(stdout.String(), tc.out) {
			t.Errorf("%v: got exit %d, stdout %q, stderr %q; want exit %d with %q", tc.args, code, stdout.String(), stderr.String(), tc.code, tc.out)
		}
	}
}
