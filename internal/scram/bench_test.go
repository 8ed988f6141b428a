//go:build unix

package scram

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime returns the CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkServerConversationSHA512 measures the server's side of a whole
// SCRAM-SHA-512 exchange for a credential of 4096 iterations: parsing both
// client messages, the lookup, the proof check and the signature. The
// client's messages are computed once (its PBKDF2 is the client's cost),
// so the server nonce is fixed. Run with -cpu 1 for one core's rate:
// auths/s is by the wall clock, auths/cpu-s by the CPU time the process
// used, which holds on a busy machine too.
func BenchmarkServerConversationSHA512(b *testing.B) {
	c := newCredentials(b, nil)
	mustSetPassword(b, c, "bench-user", SHA512, "bench-secret", 4096)
	nonce := func() string { return "Kf3pQ9xZ2mW7vR1tY8uN4bL6sD0aH5cJ" }
	first := []byte("n,,n=bench-user,r=fyko+d2lbbFgONRv9qkxdawL")

	srv := NewServer(c, testCluster, SHA512)
	srv.nonceFunc = nonce
	serverFirst, _, err := srv.Step(first)
	if err != nil {
		b.Fatal(err)
	}
	f, _ := clientMath{hashFor(SHA512), "bench-secret"}.final(b, string(first[3:]), string(serverFirst), "biws", "")
	final := []byte(f)

	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		srv := NewServer(c, testCluster, SHA512)
		srv.nonceFunc = nonce
		if _, _, err := srv.Step(first); err != nil {
			b.Fatal(err)
		}
		if _, done, err := srv.Step(final); !done || err != nil {
			b.Fatalf("got done %v, %v; want success", done, err)
		}
	}
	cpu = cpuTime() - cpu
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "auths/s")
	b.ReportMetric(float64(b.N)/cpu.Seconds(), "auths/cpu-s")
}
