// Package upstream opens kafkalink's own authenticated connections to the
// brokers of an upstream Kafka cluster.
package upstream

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultDialTimeout is the DialTimeout used when Config.DialTimeout is zero.
const DefaultDialTimeout = 10 * time.Second

// SASL mechanism names accepted in SASLConfig.Mechanism.
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
	MechanismAWSMSKIAM   = "AWS_MSK_IAM"
)

const redacted = "[REDACTED]"

// Config is how kafkalink reaches one upstream cluster.
//
// Config holds credentials: format it with %v or log it through log/slog,
// both of which redact secrets, rather than marshaling it for display.
type Config struct {
	// Bootstrap lists host:port addresses of upstream brokers used to
	// discover the cluster.
	Bootstrap []string `yaml:"bootstrap" json:"bootstrap"`
	// TLS, if non-nil, enables TLS to the upstream brokers.
	TLS *TLSConfig `yaml:"tls,omitempty" json:"tls,omitempty"`
	// SASL, if non-nil, enables SASL authentication to the upstream brokers.
	SASL *SASLConfig `yaml:"sasl,omitempty" json:"sasl,omitempty"`
	// DialTimeout bounds establishing one connection: the TCP dial, the
	// TLS handshake and the SASL exchange together. Zero means
	// DefaultDialTimeout (10s).
	DialTimeout time.Duration `yaml:"dial_timeout,omitempty" json:"dial_timeout,omitempty"`
}

// TLSConfig configures TLS to the upstream brokers.
type TLSConfig struct {
	// CAFile is a PEM file of CA certificates that verify the brokers;
	// empty means the system roots.
	CAFile string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	// CertFile is a PEM client certificate for mutual TLS; it requires
	// KeyFile.
	CertFile string `yaml:"cert_file,omitempty" json:"cert_file,omitempty"`
	// KeyFile is the PEM private key of CertFile.
	KeyFile string `yaml:"key_file,omitempty" json:"key_file,omitempty"`
	// ServerName overrides the name verified in broker certificates; empty
	// means the host of the address being dialed.
	ServerName string `yaml:"server_name,omitempty" json:"server_name,omitempty"`
	// InsecureSkipVerify disables verification of broker certificates.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
}

// SASLConfig configures SASL authentication to the upstream brokers.
//
// It holds credentials: its String, GoString and LogValue methods redact
// Password, SecretAccessKey and SessionToken.
type SASLConfig struct {
	// Mechanism is one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or
	// AWS_MSK_IAM (matched case-insensitively).
	Mechanism string `yaml:"mechanism" json:"mechanism"`
	// Username is the user for PLAIN and SCRAM.
	Username string `yaml:"username,omitempty" json:"username,omitempty"`
	// Password is the password for PLAIN and SCRAM.
	Password string `yaml:"password,omitempty" json:"password,omitempty"`
	// AccessKeyID is the AWS access key id for AWS_MSK_IAM.
	AccessKeyID string `yaml:"access_key_id,omitempty" json:"access_key_id,omitempty"`
	// SecretAccessKey is the AWS secret access key for AWS_MSK_IAM.
	SecretAccessKey string `yaml:"secret_access_key,omitempty" json:"secret_access_key,omitempty"`
	// SessionToken is an optional AWS session token for AWS_MSK_IAM.
	SessionToken string `yaml:"session_token,omitempty" json:"session_token,omitempty"`
	// UserAgent optionally overrides the user agent sent with AWS_MSK_IAM.
	UserAgent string `yaml:"user_agent,omitempty" json:"user_agent,omitempty"`
}

// mechanism returns the canonical (upper case) mechanism name.
func (s *SASLConfig) mechanism() string {
	return strings.ToUpper(strings.TrimSpace(s.Mechanism))
}

// Validate reports every problem with c in one error, or nil if c can be
// used by NewDialer. It does not read the TLS files.
func (c Config) Validate() error {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}

	if len(c.Bootstrap) == 0 {
		add("bootstrap: at least one broker address is required")
	}
	for i, addr := range c.Bootstrap {
		if err := validateAddr(addr); err != nil {
			add("bootstrap[%d] %q: %v", i, addr, err)
		}
	}
	if c.DialTimeout < 0 {
		add("dial_timeout: must not be negative, got %v", c.DialTimeout)
	}

	if t := c.TLS; t != nil {
		if (t.CertFile == "") != (t.KeyFile == "") {
			add("tls: cert_file and key_file must be set together")
		}
	}

	if s := c.SASL; s != nil {
		switch mech := s.mechanism(); mech {
		case MechanismPlain, MechanismScramSHA256, MechanismScramSHA512:
			if s.Username == "" {
				add("sasl: username is required for %s", mech)
			}
			if s.Password == "" {
				add("sasl: password is required for %s", mech)
			}
		case MechanismAWSMSKIAM:
			if s.AccessKeyID == "" {
				add("sasl: access_key_id is required for %s", mech)
			}
			if s.SecretAccessKey == "" {
				add("sasl: secret_access_key is required for %s", mech)
			}
		case "":
			add("sasl: mechanism is required (one of %s, %s, %s, %s)",
				MechanismPlain, MechanismScramSHA256, MechanismScramSHA512, MechanismAWSMSKIAM)
		default:
			add("sasl: unknown mechanism %q (want one of %s, %s, %s, %s)", s.Mechanism,
				MechanismPlain, MechanismScramSHA256, MechanismScramSHA512, MechanismAWSMSKIAM)
		}
	}

	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("upstream: invalid config: %s", strings.Join(problems, "; "))
}

func validateAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "" {
		return fmt.Errorf("missing host")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("invalid port %q", port)
	}
	return nil
}

// String returns c with secrets redacted.
func (c Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "{Bootstrap:%v", c.Bootstrap)
	if c.TLS != nil {
		fmt.Fprintf(&b, " TLS:%+v", *c.TLS)
	}
	if c.SASL != nil {
		fmt.Fprintf(&b, " SASL:%s", c.SASL.String())
	}
	if c.DialTimeout != 0 {
		fmt.Fprintf(&b, " DialTimeout:%v", c.DialTimeout)
	}
	b.WriteString("}")
	return b.String()
}

// GoString returns c with secrets redacted, for the %#v verb.
func (c Config) GoString() string { return "upstream.Config" + c.String() }

// LogValue implements slog.LogValuer, redacting secrets.
func (c Config) LogValue() slog.Value {
	attrs := []slog.Attr{slog.Any("bootstrap", c.Bootstrap)}
	if t := c.TLS; t != nil {
		attrs = append(attrs, slog.Group("tls",
			"ca_file", t.CAFile,
			"cert_file", t.CertFile,
			"key_file", t.KeyFile,
			"server_name", t.ServerName,
			"insecure_skip_verify", t.InsecureSkipVerify,
		))
	}
	if c.SASL != nil {
		attrs = append(attrs, slog.Any("sasl", *c.SASL))
	}
	if c.DialTimeout != 0 {
		attrs = append(attrs, slog.Duration("dial_timeout", c.DialTimeout))
	}
	return slog.GroupValue(attrs...)
}

// redact returns "[REDACTED]" for a set secret and "" for an unset one, so
// that logs still show whether a secret was configured.
func redact(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// String returns s with Password, SecretAccessKey and SessionToken redacted.
func (s SASLConfig) String() string {
	return fmt.Sprintf("{Mechanism:%s Username:%s Password:%s AccessKeyID:%s SecretAccessKey:%s SessionToken:%s UserAgent:%s}",
		s.Mechanism, s.Username, redact(s.Password), s.AccessKeyID,
		redact(s.SecretAccessKey), redact(s.SessionToken), s.UserAgent)
}

// GoString returns s with secrets redacted, for the %#v verb.
func (s SASLConfig) GoString() string { return "upstream.SASLConfig" + s.String() }

// LogValue implements slog.LogValuer, redacting Password, SecretAccessKey
// and SessionToken.
func (s SASLConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("mechanism", s.Mechanism),
		slog.String("username", s.Username),
		slog.String("password", redact(s.Password)),
		slog.String("access_key_id", s.AccessKeyID),
		slog.String("secret_access_key", redact(s.SecretAccessKey)),
		slog.String("session_token", redact(s.SessionToken)),
		slog.String("user_agent", s.UserAgent),
	)
}
