package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/kafkalink/kafkalink/internal/authz"
	"github.com/kafkalink/kafkalink/internal/daemon"
	"github.com/kafkalink/kafkalink/internal/scram"
	"github.com/kafkalink/kafkalink/internal/store"
)

const scramUsage = `Usage:
  kafkalink scram set    (--config FILE | --state-dir DIR) --cluster NAME --user USER --password PASSWORD [--mechanism SCRAM-SHA-512|SCRAM-SHA-256] [--iterations N]
  kafkalink scram delete (--config FILE | --state-dir DIR) --cluster NAME --user USER [--mechanism M]
  kafkalink scram list   (--config FILE | --state-dir DIR) --cluster NAME

SCRAM credentials of a cluster's SASL_SCRAM listener sets. kafkalink must not
be running on the state directory; while it runs, use Kafka's
AlterUserScramCredentials (kafka-configs.sh --alter --entity-type users …)
through a listener set as a principal allowed ALTER on the cluster.
--password - reads the password from standard input.
`

func scramCmd(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "set" && args[0] != "delete" && args[0] != "list") {
		fmt.Fprint(stderr, scramUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("scram "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file whose state directory holds the credentials")
	stateDir := fs.String("state-dir", "", "state directory (instead of --config)")
	cluster := fs.String("cluster", "", "cluster name")
	user := fs.String("user", "", "user name (the principal is User:<name>)")
	password := fs.String("password", "", "password; - reads it from standard input")
	mech := fs.String("mechanism", "SCRAM-SHA-512", "SCRAM-SHA-512 or SCRAM-SHA-256")
	iterations := fs.Int("iterations", 4096, "PBKDF2 iterations")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *cluster == "" || (args[0] != "list" && *user == "") || (args[0] == "set" && *password == "") {
		fmt.Fprint(stderr, scramUsage)
		return errUsage
	}
	if *password == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 1<<10))
		if err != nil {
			return err
		}
		*password = strings.TrimRight(string(b), "\r\n")
	}
	st, err := openStateStore(*cfgPath, *stateDir)
	if err != nil {
		return err
	}
	defer st.Close()
	creds := scram.New(st)
	defer creds.Close()
	ctx := context.Background()
	switch args[0] {
	case "set":
		if err := creds.SetPassword(ctx, *cluster, *user, *mech, *password, *iterations); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s credentials of User:%s set on cluster %s\n", *mech, *user, *cluster)
	case "delete":
		if err := creds.Delete(ctx, *cluster, *user, *mech); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s credentials of User:%s deleted from cluster %s\n", *mech, *user, *cluster)
	case "list":
		all, err := creds.Describe(ctx, *cluster, nil)
		if err != nil {
			return err
		}
		for u, ms := range all {
			for _, m := range ms {
				fmt.Fprintf(stdout, "User:%s  %s  iterations=%d\n", u, m.Mechanism, m.Iterations)
			}
		}
	}
	return nil
}

const clusterPolicyUsage = `Usage:
  kafkalink cluster-policy put    (--config FILE | --state-dir DIR) --cluster NAME --file POLICY.json [--current-version V]
  kafkalink cluster-policy get    (--config FILE | --state-dir DIR) --cluster NAME
  kafkalink cluster-policy delete (--config FILE | --state-dir DIR) --cluster NAME

The cluster policy is the resource policy of a cluster's IAM listener sets
(MSK's PutClusterPolicy): cross-account principals need it to allow them.
kafkalink must not be running on the state directory.
`

func clusterPolicyCmd(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "put" && args[0] != "get" && args[0] != "delete") {
		fmt.Fprint(stderr, clusterPolicyUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("cluster-policy "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file")
	stateDir := fs.String("state-dir", "", "state directory (instead of --config)")
	cluster := fs.String("cluster", "", "cluster name")
	file := fs.String("file", "", "policy document (put)")
	current := fs.String("current-version", "", "the version the change applies to (put)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *cluster == "" || (args[0] == "put" && *file == "") {
		fmt.Fprint(stderr, clusterPolicyUsage)
		return errUsage
	}
	st, err := openStateStore(*cfgPath, *stateDir)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	switch args[0] {
	case "put":
		doc, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		v, err := authz.PutClusterPolicy(ctx, st, *cluster, string(doc), *current)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "cluster policy of %s set; currentVersion %s\n", *cluster, v)
	case "get":
		p, ok, err := authz.GetClusterPolicy(ctx, st, *cluster)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("cluster " + *cluster + " has no cluster policy")
		}
		fmt.Fprintf(stdout, "currentVersion %s\n%s\n", p.CurrentVersion, p.Policy)
	case "delete":
		return authz.DeleteClusterPolicy(ctx, st, *cluster)
	}
	return nil
}

// openStateStore opens the store of the state directory that --config or
// --state-dir names.
func openStateStore(cfgPath, stateDir string) (store.Store, error) {
	dir, err := stateDirOf(cfgPath, stateDir)
	if err != nil {
		return nil, err
	}
	return daemon.OpenStore(dir)
}
