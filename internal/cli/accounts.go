package cli

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"

	"github.com/kafkalink/kafkalink/internal/config"
	"github.com/kafkalink/kafkalink/internal/daemon"
	"github.com/kafkalink/kafkalink/internal/iam"
)

const accountsUsage = `Usage:
  kafkalink accounts create (--config FILE | --state-dir DIR) [--id ACCOUNT_ID] [--json]
  kafkalink accounts list   (--config FILE | --state-dir DIR)

Accounts live in the state directory; kafkalink must not be running on it.
A running kafkalink creates the accounts its config file lists at start.
`

func accounts(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, accountsUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("accounts "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "YAML configuration file whose state directory holds the accounts")
	stateDir := fs.String("state-dir", "", "state directory (instead of --config)")
	id := fs.String("id", "", "12-digit account id (create; default: a random one)")
	asJSON := fs.Bool("json", false, "print the credentials as JSON (create)")
	switch args[0] {
	case "create", "list":
	default:
		fmt.Fprintf(stderr, "kafkalink accounts: unknown command %q\n\n%s", args[0], accountsUsage)
		return errUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	dir, err := stateDirOf(*cfgPath, *stateDir)
	if err != nil {
		return err
	}
	svc, closeStore, err := daemon.OpenIAM(dir)
	if err != nil {
		return err
	}
	defer closeStore()
	ctx := context.Background()
	if args[0] == "list" {
		all, err := svc.Accounts(ctx)
		if err != nil {
			return err
		}
		for _, a := range all {
			fmt.Fprintf(stdout, "%s  created %s\n", a.ID, a.Created.Format("2006-01-02T15:04:05Z"))
		}
		return nil
	}
	a, creds, err := createAccount(ctx, svc, *id)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]string{"id": a.ID, "access_key_id": creds.AccessKeyID, "secret_access_key": creds.SecretAccessKey})
	}
	fmt.Fprintf(stdout, "account %s created; its root credentials (shown once):\n[account-%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
		a.ID, a.ID, creds.AccessKeyID, creds.SecretAccessKey)
	return nil
}

// createAccount creates the account id, or a new random one when id is "".
func createAccount(ctx context.Context, svc *iam.Service, id string) (iam.Account, iam.Credentials, error) {
	if id != "" {
		return svc.CreateAccount(ctx, id)
	}
	for {
		n, err := rand.Int(rand.Reader, big.NewInt(9e11))
		if err != nil {
			return iam.Account{}, iam.Credentials{}, err
		}
		a, creds, err := svc.CreateAccount(ctx, fmt.Sprintf("%012d", n.Int64()+1e11))
		var ie *iam.Error
		if errors.As(err, &ie) && ie.Code == "EntityAlreadyExists" {
			continue
		}
		return a, creds, err
	}
}

// stateDirOf is the state directory named by a config file or directly.
func stateDirOf(cfgPath, stateDir string) (string, error) {
	switch {
	case cfgPath != "" && stateDir != "":
		return "", errors.New("give --config or --state-dir, not both")
	case cfgPath != "":
		cfg, err := config.Load(cfgPath)
		if err != nil {
			return "", err
		}
		return cfg.StateDir, nil
	case stateDir != "":
		return stateDir, nil
	}
	return "", errors.New("--config FILE or --state-dir DIR is required")
}
