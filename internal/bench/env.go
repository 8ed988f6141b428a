package bench

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-msk-iam-sasl-signer-go/signer"
	awssdk "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/config"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/oauth"

	"github.com/kafkalink/kafkalink/internal/daemon"
	"github.com/kafkalink/kafkalink/internal/freeport"
)

// env is one benchmark's world: the embedded upstream and a daemon in front
// of it, both in this process.
type env struct {
	upstream *kfake.Cluster
	daemon   *daemon.Daemon
	stateDir string

	directBootstrap []string // the kfake brokers
	gateway         endpoint // the chosen listener set of the daemon
	listenerDesc    string   // for the report
}

// endpoint is how a path's clients connect: seed brokers, and TLS and SASL
// for an authenticated listener set.
type endpoint struct {
	boot  []string
	extra []kgo.Opt
}

// opts are the client options of the endpoint, then o.
func (p endpoint) opts(o ...kgo.Opt) []kgo.Opt {
	return append(append([]kgo.Opt{kgo.SeedBrokers(p.boot...)}, p.extra...), o...)
}

// startEnv starts a kfake cluster (in memory, no DataDir) and a daemon
// configured like `kafkalink dev`, but on a free port range and a free
// loopback address block so that it never collides with a running dev.
func startEnv(ctx context.Context, o Options) (_ *env, err error) {
	kc, err := kfake.NewCluster(kfake.NumBrokers(o.Brokers))
	if err != nil {
		return nil, fmt.Errorf("embedded upstream: %w", err)
	}
	e := &env{upstream: kc, directBootstrap: kc.ListenAddrs()}
	defer func() {
		if err != nil {
			e.close()
		}
	}()
	e.stateDir, err = os.MkdirTemp("", "kafkalink-bench-")
	if err != nil {
		return nil, fmt.Errorf("state dir: %w", err)
	}

	// The free addresses are found by listening on them and letting go, so
	// another process may take one before the daemon does: the daemon then
	// reports a listener error, and we try other addresses.
	var lastErr error
	for attempt := 0; attempt < 8; attempt++ {
		firstPort, err := freeport.Range(o.Brokers)
		if err != nil {
			return nil, err
		}
		firstIP, ipPort, err := freeport.IPBlock(o.Brokers)
		if err != nil {
			return nil, err
		}
		dir := fmt.Sprintf("%s/attempt-%d", e.stateDir, attempt)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("state dir: %w", err)
		}
		do := daemon.DevOptions{
			StateDir:  dir,
			Brokers:   o.Brokers,
			FirstPort: firstPort,
			LastPort:  firstPort + o.Brokers - 1,
			FirstIP:   firstIP.String(),
			IPPort:    ipPort,
			IAMPort:   ipPort + 1,
		}
		cfg := daemon.DevConfig(do, e.directBootstrap)
		// The benchmark measures the plaintext listener sets, or the IAM
		// one, with no front door; only as many ip-per-broker addresses as
		// brokers were checked.
		cfg.APIListen, cfg.Accounts = "", cfg.Accounts[:1]
		var kept []config.ListenerSet
		for _, l := range cfg.Clusters[0].Listeners {
			if l.Auth != "" && !(o.Listener == "iam" && l.Auth == config.AuthIAM) {
				continue
			}
			if l.Strategy == brokermap.IPPerBroker {
				l.Count = o.Brokers
			}
			kept = append(kept, l)
		}
		cfg.Clusters[0].Listeners = kept
		if o.Listener == "iam" {
			if err := daemon.DevCertificates(do); err != nil {
				return nil, err
			}
		}
		d, err := daemon.Start(ctx, cfg, daemon.Options{Logger: o.Logger})
		if err != nil {
			return nil, fmt.Errorf("gateway: %w", err)
		}
		boot, desc, lerr := pickListener(d, o.Listener, o.Brokers)
		if lerr == nil {
			e.daemon, e.gateway, e.listenerDesc = d, endpoint{boot: boot}, desc
			if o.Listener == "iam" {
				if e.gateway.extra, err = iamClientOpts(ctx, d, dir); err != nil {
					return nil, err
				}
			}
			return e, nil
		}
		d.Close()
		lastErr = lerr
	}
	return nil, fmt.Errorf("gateway: no free listener addresses: %w", lastErr)
}

// pickListener returns the bootstrap of the listener set the benchmark goes
// through, once every broker has an address in it.
func pickListener(d *daemon.Daemon, which string, brokers int) ([]string, string, error) {
	name := map[string]string{"port": "vpc", "ip": "own", "iam": "own-iam"}[which]
	for _, c := range d.DevInfo().Clusters {
		for _, l := range c.Listeners {
			if len(l.Errors) > 0 {
				return nil, "", errors.New(strings.Join(l.Errors, "; "))
			}
			if l.Name != name {
				continue
			}
			if len(l.Brokers) != brokers || l.Bootstrap == "" {
				return nil, "", fmt.Errorf("listener set %s serves %d of %d brokers", l.Name, len(l.Brokers), brokers)
			}
			boot := strings.Split(l.Bootstrap, ",")
			return boot, fmt.Sprintf("%s listener set %q (%s)", l.Strategy, l.Name, l.Bootstrap), nil
		}
	}
	return nil, "", fmt.Errorf("no listener set %q", name)
}

func (e *env) close() {
	if e.daemon != nil {
		e.daemon.Close()
	}
	if e.upstream != nil {
		e.upstream.Close()
	}
	if e.stateDir != "" {
		os.RemoveAll(e.stateDir)
	}
}

var discardLogger = slog.New(slog.DiscardHandler)

// iamClientOpts are TLS with dev mode's CA and OAUTHBEARER tokens of the
// MSK IAM signer for the account that owns the cluster: every request is
// authenticated and authorized by its policies.
func iamClientOpts(ctx context.Context, d *daemon.Daemon, dir string) ([]kgo.Opt, error) {
	pem, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	id, secret, _, err := daemon.RootCredentials(ctx, d.IAM(), d.DevInfo().Accounts[0].ID)
	if err != nil {
		return nil, err
	}
	provider := credentials.NewStaticCredentialsProvider(id, secret, "")
	return []kgo.Opt{
		kgo.DialTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}),
		kgo.SASL(oauth.Oauth(func(ctx context.Context) (oauth.Auth, error) {
			tok, _, err := signer.GenerateAuthTokenFromCredentialsProvider(ctx, daemon.DevRegion, awssdk.CredentialsProvider(provider))
			return oauth.Auth{Token: tok}, err
		})),
	}, nil
}
