package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kafkalink/kafkalink/internal/iam"
	"github.com/kafkalink/kafkalink/internal/store"
)

// openStore opens the embedded store of a state directory.
func openStore(stateDir string) (*store.Bolt, error) {
	st, err := store.OpenBolt(filepath.Join(stateDir, "state.db"))
	if errors.Is(err, store.ErrLocked) {
		return nil, fmt.Errorf("%w (is kafkalink running on state directory %s?)", err, stateDir)
	}
	return st, err
}

// OpenIAM opens a state directory's IAM without serving anything, for
// commands that manage accounts while kafkalink is stopped. close releases
// the store.
func OpenIAM(stateDir string) (svc *iam.Service, close func() error, err error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("state directory: %w", err)
	}
	st, err := openStore(stateDir)
	if err != nil {
		return nil, nil, err
	}
	if svc, err = iam.NewInDir(st, stateDir); err != nil {
		st.Close()
		return nil, nil, err
	}
	return svc, st.Close, nil
}

// OpenStore opens a state directory's store for the CLI; kafkalink must
// not be running on it.
func OpenStore(stateDir string) (store.Store, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("state directory: %w", err)
	}
	return openStore(stateDir)
}

// RootCredentials returns an account's root access key and secret,
// creating the account (and its key) when it does not exist.
func RootCredentials(ctx context.Context, svc *iam.Service, id string) (keyID, secret string, created bool, err error) {
	if _, err := svc.Account(ctx, id); err != nil {
		var ie *iam.Error
		if !errors.As(err, &ie) || ie.Code != "NoSuchEntity" {
			return "", "", false, err
		}
		_, creds, err := svc.CreateAccount(ctx, id)
		return creds.AccessKeyID, creds.SecretAccessKey, true, err
	}
	keys, err := svc.AccessKeys(ctx, id, "")
	if err != nil {
		return "", "", false, err
	}
	for _, k := range keys {
		if k.Status == "Active" {
			secret, _, _, err := svc.Secret(ctx, k.ID)
			return k.ID, secret, false, err
		}
	}
	return "", "", false, fmt.Errorf("account %s has no active root access key", id)
}

// ensureAccounts creates the configured accounts that do not exist yet,
// and writes an AWS CLI config and credentials file pair in the state
// directory with a profile for each.
func (d *Daemon) ensureAccounts(ctx context.Context) error {
	if len(d.cfg.Accounts) == 0 {
		return nil
	}
	var cfgFile, credFile strings.Builder
	for _, a := range d.cfg.Accounts {
		keyID, secret, created, err := RootCredentials(ctx, d.iam, a.ID)
		if err != nil {
			return fmt.Errorf("account %s: %w", a.ID, err)
		}
		if created {
			d.log.Info("account created", "account", a.ID, "profile", a.ProfileName(), "access_key_id", keyID)
		}
		d.accounts = append(d.accounts, DevAccount{ID: a.ID, Profile: a.ProfileName(), AccessKeyID: keyID, SecretAccessKey: secret})
		fmt.Fprintf(&cfgFile, "[profile %s]\nregion = %s\noutput = json\n", a.ProfileName(), d.cfg.Region)
		if d.apiAddr != "" {
			fmt.Fprintf(&cfgFile, "endpoint_url = http://%s\n", d.apiAddr)
		}
		cfgFile.WriteString("\n")
		fmt.Fprintf(&credFile, "[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n\n", a.ProfileName(), keyID, secret)
	}
	if err := os.WriteFile(filepath.Join(d.cfg.StateDir, "aws-config"), []byte(cfgFile.String()), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(d.cfg.StateDir, "aws-credentials"), []byte(credFile.String()), 0o600)
}
