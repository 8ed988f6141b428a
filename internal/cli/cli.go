// Package cli is kafkalink's command line: `kafkalink dev`, `serve`,
// `bench`, `accounts` and `policy simulate`.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kafkalink/kafkalink/internal/config"
	"github.com/kafkalink/kafkalink/internal/daemon"
)

const usage = `kafkalink: private, authenticated, policy-guarded access to Kafka clusters.

Usage:
  kafkalink dev   [--state-dir DIR]     everything in one process, on an embedded 3-broker cluster
  kafkalink serve --config FILE         the gateway in front of the clusters a YAML file declares
  kafkalink bench [flags]               produce/consume throughput and latency, direct vs through the gateway
  kafkalink accounts create|list        manage accounts in a state directory
  kafkalink policy simulate [flags]     evaluate one request against IAM policies and explain the decision
  kafkalink scram set|delete|list       SCRAM credentials of a cluster's SASL_SCRAM listener sets
  kafkalink cluster-policy put|get|delete  a cluster's resource policy for IAM principals

Run "kafkalink COMMAND -h" for a command's flags.
`

// errUsage reports a usage error that has been explained on stderr.
var errUsage = errors.New("usage")

// Main runs the command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "dev":
		err = dev(args[1:], stdout, stderr)
	case "serve":
		err = serve(args[1:], stdout, stderr)
	case "bench":
		err = bench(args[1:], stdout, stderr)
	case "accounts":
		err = accounts(args[1:], stdout, stderr)
	case "policy":
		err = policyCmd(args[1:], stdout, stderr)
	case "scram":
		err = scramCmd(args[1:], os.Stdin, stdout, stderr)
	case "cluster-policy":
		err = clusterPolicyCmd(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "kafkalink: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if errors.Is(err, errUsage) {
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "kafkalink: %v\n", err)
		return 1
	}
	return 0
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if level != "" {
		if err := l.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("log level %q: %w", level, err)
		}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// signalContext ends on Ctrl-C or SIGTERM.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

func dev(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o daemon.DevOptions
	fs.StringVar(&o.StateDir, "state-dir", ".kafkalink", "state directory (store, embedded cluster data, dev.json)")
	fs.IntVar(&o.FirstPort, "first-port", 14001, "first port of the port-per-broker listener set")
	fs.IntVar(&o.LastPort, "last-port", 0, "last port of the port-per-broker listener set (default first+99)")
	fs.StringVar(&o.FirstIP, "first-ip", "127.0.1.1", "first address of the ip-per-broker listener set")
	fs.IntVar(&o.IPPort, "ip-port", 9092, "port of the ip-per-broker listener set")
	fs.StringVar(&o.APIListen, "api-listen", "127.0.0.1:7090", "address of the AWS-protocol front door (sts, iam)")
	fs.StringVar(&o.Region, "region", daemon.DevRegion, "the AWS region kafkalink serves")
	fs.StringVar(&o.LoopbackRange, "loopback-range", "", "second octets n of the 127.n.0.0/16 ranges VPCs get (default 160-254); a second region on this machine needs its own")
	fs.IntVar(&o.DNS.Port, "dns-port", 0, "port of the VPC resolvers (default 53 as root, else 5300)")
	upstream := fs.String("dns-upstream", "", "comma-separated IP:PORT servers for names no rule or zone covers")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *upstream != "" {
		o.DNS.Upstream = strings.Split(*upstream, ",")
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	d, err := daemon.StartDev(ctx, o, daemon.Options{Logger: log})
	if err != nil {
		return err
	}
	d.PrintDevBanner(stdout)
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nstopping kafkalink dev")
	return d.Close()
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "YAML configuration file (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("serve: --config FILE is required")
	}
	cfg, err := config.Load(*path)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, cfg.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	return daemon.Run(ctx, cfg, daemon.Options{Logger: log}, func(d *daemon.Daemon) {
		for _, c := range d.DevInfo().Clusters {
			for _, l := range c.Listeners {
				fmt.Fprintf(stdout, "cluster %s %s (%s, %s): bootstrap %s\n", c.Name, l.Name, l.Strategy, l.Auth, l.Bootstrap)
				if len(l.Errors) > 0 {
					fmt.Fprintf(stdout, "  errors: %s\n", strings.Join(l.Errors, "; "))
				}
			}
		}
	})
}
