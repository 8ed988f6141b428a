// Package config reads kafkalink's YAML configuration file: the state
// directory, the upstream clusters and, for each, its listener sets. `kafkalink
// dev` builds the same structure in code, so both run one code path.
package config

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"regexp"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/upstream"
)

var accountIDRe = regexp.MustCompile(`^[0-9]{12}$`)

// Config is the whole configuration file.
type Config struct {
	StateDir      string `yaml:"state_dir"`
	LogLevel      string `yaml:"log_level,omitempty"`       // debug, info, warn, error
	MaxFrameBytes int32  `yaml:"max_frame_bytes,omitempty"` // default 100 MiB
	Region        string `yaml:"region,omitempty"`          // default us-east-1
	// APIListen is the address of the AWS-protocol front door (sts, iam,
	// …); empty means no front door.
	APIListen string `yaml:"api_listen,omitempty"`
	// Accounts are created at start when missing; their root credentials
	// are written, as AWS CLI profiles, to aws-config and aws-credentials
	// in the state directory.
	Accounts []Account `yaml:"accounts,omitempty"`
	Clusters []Cluster `yaml:"clusters"`
	// AuditAllows writes an audit record for every allowed request too;
	// denials are always audited.
	AuditAllows bool `yaml:"audit_allows,omitempty"`
	// Provisioner "embedded" lets CreateClusterV2 start in-process Kafka
	// clusters (kafkalink dev); empty: clusters come from this file only.
	Provisioner string `yaml:"provisioner,omitempty"`
	// Advertise is what the listeners kafkalink opens for the MSK API
	// (VPC connection endpoints, provisioned clusters) tell clients:
	// "addresses" (the default: no DNS needed) or "names" (MSK's broker
	// names under Domain, ARCHITECTURE §4).
	Advertise string `yaml:"advertise,omitempty"`
	// Domain ends MSK's names; default amazonaws.com.
	Domain string `yaml:"domain,omitempty"`
	// DNS configures the resolver each VPC has (ARCHITECTURE §8).
	DNS DNS `yaml:"dns,omitempty"`
	// LoopbackRange is the span of second octets n of the 127.n.0.0/16
	// ranges the loopback network driver gives VPCs, "160-254" by
	// default. Two kafkalink processes on one machine (two regions) need
	// disjoint spans.
	LoopbackRange string `yaml:"loopback_range,omitempty"`
}

// DNS configures the VPC resolvers and resolver endpoints.
type DNS struct {
	// Port they listen on: 53 when kafkalink may bind it (root), else
	// 5300, unless set here.
	Port int `yaml:"port,omitempty"`
	// Upstream servers (host:port) answer names that no resolver rule,
	// private hosted zone or kafkalink endpoint covers; with none, such
	// queries are refused.
	Upstream []string `yaml:"upstream,omitempty"`
}

// Loopback returns the span of LoopbackRange (0, 0 for the default).
func (c *Config) Loopback() (first, last uint8, err error) {
	if c.LoopbackRange == "" {
		return 0, 0, nil
	}
	var f, l int
	if _, err := fmt.Sscanf(c.LoopbackRange, "%d-%d", &f, &l); err != nil || f < 1 || l > 254 || f > l {
		return 0, 0, fmt.Errorf("loopback_range %q: want FIRST-LAST, 1 <= FIRST <= LAST <= 254", c.LoopbackRange)
	}
	return uint8(f), uint8(l), nil
}

// What listeners advertise.
const (
	AdvertiseAddresses = "addresses"
	AdvertiseNames     = "names"
)

// DefaultDomain ends MSK's names, as AWS's do.
const DefaultDomain = "amazonaws.com"

// NameDomain is the domain MSK names end with.
func (c *Config) NameDomain() string {
	if c.Domain != "" {
		return c.Domain
	}
	return DefaultDomain
}

// ProvisionerEmbedded is the provisioner of kafkalink dev.
const ProvisionerEmbedded = "embedded"

// Account is an account kafkalink keeps: a 12-digit id and the AWS CLI
// profile name its root credentials are written under.
type Account struct {
	ID      string `yaml:"id"`
	Profile string `yaml:"profile,omitempty"` // default "account-<id>"
}

// ProfileName is the account's AWS CLI profile.
func (a Account) ProfileName() string {
	if a.Profile != "" {
		return a.Profile
	}
	return "account-" + a.ID
}

// Cluster is one upstream cluster fronted by kafkalink.
type Cluster struct {
	Name              string          `yaml:"name"`
	Upstream          upstream.Config `yaml:"upstream"`
	DiscoveryInterval time.Duration   `yaml:"discovery_interval,omitempty"` // default 5s
	Listeners         []ListenerSet   `yaml:"listeners"`
	// Account owns the cluster in IAM terms (its ARN, and whose cluster
	// policy applies); default: the first of Accounts.
	Account string `yaml:"account,omitempty"`
	// AllowEveryoneIfNoACLFound is Kafka's allow.everyone.if.no.acl.found
	// for SCRAM and mTLS principals; default false.
	AllowEveryoneIfNoACLFound bool `yaml:"allow_everyone_if_no_acl_found,omitempty"`
	// SuperUsers are principals ("User:admin") that every ACL check allows.
	SuperUsers []string `yaml:"super_users,omitempty"`
}

// ListenerSet is one set of listeners with one broker addressing strategy.
type ListenerSet struct {
	Name     string         `yaml:"name"`
	Strategy brokermap.Kind `yaml:"strategy"` // port-per-broker, ip-per-broker, sni
	TLS      *ServerTLS     `yaml:"tls,omitempty"`
	// Auth is how clients authenticate: "" (none: PLAINTEXT, or TLS
	// without client authentication), "scram" (SASL/SCRAM-SHA-512 and
	// -256, credentials kept by kafkalink), "mtls" (client certificates
	// from tls.client_ca_file) or "iam" (SASL AWS_MSK_IAM and
	// OAUTHBEARER with kafkalink's IAM credentials; needs tls).
	Auth string `yaml:"auth,omitempty"`
	// SessionLifetime bounds an authenticated session before the client
	// must re-authenticate (KIP-368); 0: only credential expiry does.
	SessionLifetime time.Duration `yaml:"session_lifetime,omitempty"`
	// Authorize turns per-request authorization off when false: every
	// authenticated client may then send any request. Default true.
	Authorize *bool `yaml:"authorize,omitempty"`
	// Principal maps an mTLS client certificate to a principal: "dn"
	// (User:CN=…,OU=…, the default) or "cn" (User:<common name>).
	Principal string `yaml:"principal,omitempty"`

	// port-per-broker
	BindHost       string `yaml:"bind_host,omitempty"`       // default 127.0.0.1
	AdvertisedHost string `yaml:"advertised_host,omitempty"` // default bind_host; ip-per-broker: a {n} name template
	FirstPort      int    `yaml:"first_port,omitempty"`      // default 14001
	LastPort       int    `yaml:"last_port,omitempty"`       // default 14100

	// ip-per-broker
	FirstIP string `yaml:"first_ip,omitempty"` // e.g. 127.0.1.1
	Count   int    `yaml:"count,omitempty"`    // default 100
	Port    int    `yaml:"port,omitempty"`     // ip-per-broker: default 9092; sni: advertised port

	// sni
	Listen        string `yaml:"listen,omitempty"` // e.g. 127.0.0.1:9098
	BrokerName    string `yaml:"broker_name,omitempty"`
	BootstrapName string `yaml:"bootstrap_name,omitempty"`
}

// AuthIAM is the auth of listener sets whose clients authenticate with IAM
// credentials.
const AuthIAM = "iam"

// AuthSCRAM and AuthMTLS are the auth of listener sets whose clients are
// Kafka principals, authorized by ACLs.
const (
	AuthSCRAM = "scram"
	AuthMTLS  = "mtls"
)

// Authorizes reports whether the listener set authorizes each request.
func (l ListenerSet) Authorizes() bool {
	return l.Auth != "" && (l.Authorize == nil || *l.Authorize)
}

// ServerTLS is the certificate a TLS listener presents.
type ServerTLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
	// ClientCAFile, if set, makes clients present a certificate signed by
	// one of its CAs (mTLS).
	ClientCAFile string `yaml:"client_ca_file,omitempty"`
}

// Load reads and validates a configuration file. Unknown fields are errors.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if c.StateDir == "" {
		c.StateDir = ".kafkalink"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return &c, nil
}

// Validate checks every cluster and listener set.
func (c *Config) Validate() error {
	if len(c.Clusters) == 0 {
		return errors.New("no clusters")
	}
	if c.Provisioner != "" && c.Provisioner != ProvisionerEmbedded {
		return fmt.Errorf("provisioner %q: the only provisioner is %q", c.Provisioner, ProvisionerEmbedded)
	}
	if c.Advertise != "" && c.Advertise != AdvertiseAddresses && c.Advertise != AdvertiseNames {
		return fmt.Errorf("advertise %q: want %q or %q", c.Advertise, AdvertiseAddresses, AdvertiseNames)
	}
	if _, _, err := c.Loopback(); err != nil {
		return err
	}
	if c.DNS.Port < 0 || c.DNS.Port > 65535 {
		return fmt.Errorf("dns port %d: want 1-65535", c.DNS.Port)
	}
	for _, u := range c.DNS.Upstream {
		if _, err := netip.ParseAddrPort(u); err != nil {
			return fmt.Errorf("dns upstream %q: want IP:PORT: %w", u, err)
		}
	}
	ids, profiles := map[string]bool{}, map[string]bool{}
	for i, a := range c.Accounts {
		if !accountIDRe.MatchString(a.ID) {
			return fmt.Errorf("account %d: id %q is not 12 digits", i, a.ID)
		}
		if ids[a.ID] || profiles[a.ProfileName()] {
			return fmt.Errorf("account %s: id and profile must be unique", a.ID)
		}
		ids[a.ID], profiles[a.ProfileName()] = true, true
	}
	names := map[string]bool{}
	for i := range c.Clusters {
		cl := &c.Clusters[i]
		if cl.Name == "" || names[cl.Name] {
			return fmt.Errorf("cluster %d: a unique name is required", i)
		}
		names[cl.Name] = true
		if err := cl.Upstream.Validate(); err != nil {
			return fmt.Errorf("cluster %s: %w", cl.Name, err)
		}
		if len(cl.Listeners) == 0 {
			return fmt.Errorf("cluster %s: no listener sets", cl.Name)
		}
		for j := range cl.Listeners {
			l := &cl.Listeners[j]
			if _, err := l.BrokerStrategy(); err != nil {
				return fmt.Errorf("cluster %s listener set %d: %w", cl.Name, j, err)
			}
			switch l.Auth {
			case "":
			case AuthIAM, AuthSCRAM, AuthMTLS:
				if l.TLS == nil {
					return fmt.Errorf("cluster %s listener set %s: auth %s needs tls: every authenticated listener is TLS", cl.Name, l.Name, l.Auth)
				}
				if l.Auth == AuthMTLS && l.TLS.ClientCAFile == "" {
					return fmt.Errorf("cluster %s listener set %s: auth mtls needs tls.client_ca_file", cl.Name, l.Name)
				}
			default:
				return fmt.Errorf("cluster %s listener set %s: auth %q: want %q, %q, %q or none", cl.Name, l.Name, l.Auth, AuthIAM, AuthSCRAM, AuthMTLS)
			}
			if l.Principal != "" && l.Principal != "dn" && l.Principal != "cn" {
				return fmt.Errorf("cluster %s listener set %s: principal %q: want dn or cn", cl.Name, l.Name, l.Principal)
			}
		}
	}
	return nil
}

// BrokerStrategy builds the listener set's strategy, with defaults filled.
func (l ListenerSet) BrokerStrategy() (brokermap.Strategy, error) {
	var s brokermap.Strategy
	switch l.Strategy {
	case brokermap.PortPerBroker:
		p := brokermap.Ports{BindHost: l.BindHost, AdvertisedHost: l.AdvertisedHost, FirstPort: l.FirstPort, LastPort: l.LastPort}
		if p.BindHost == "" {
			p.BindHost = "127.0.0.1"
		}
		if p.FirstPort == 0 {
			p.FirstPort = 14001
		}
		if p.LastPort == 0 {
			p.LastPort = p.FirstPort + 99
		}
		s = p
	case brokermap.IPPerBroker:
		ip, err := netip.ParseAddr(l.FirstIP)
		if err != nil {
			return nil, fmt.Errorf("first_ip: %w", err)
		}
		p := brokermap.IPs{FirstIP: ip, Count: l.Count, Port: l.Port, AdvertisedHost: l.AdvertisedHost}
		if p.Count == 0 {
			p.Count = 100
		}
		if p.Port == 0 {
			p.Port = 9092
		}
		s = p
	case brokermap.SNIPerBroker:
		if l.TLS == nil {
			return nil, errors.New("the sni strategy needs tls")
		}
		s = brokermap.SNI{Listen: l.Listen, Port: l.Port, BrokerName: l.BrokerName, BootstrapName: l.BootstrapName}
	default:
		return nil, fmt.Errorf("strategy %q: want port-per-broker, ip-per-broker or sni", l.Strategy)
	}
	if l.Name == "" {
		return nil, errors.New("a name is required")
	}
	return s, brokermap.Validate(s)
}

// ServerConfig loads the listener's certificate; nil for plaintext.
func (t *ServerTLS) ServerConfig() (*tls.Config, error) {
	if t == nil {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("listener certificate: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if t.ClientCAFile != "" {
		pem, err := os.ReadFile(t.ClientCAFile)
		if err != nil {
			return nil, fmt.Errorf("client CA: %w", err)
		}
		tc.ClientCAs = x509.NewCertPool()
		if !tc.ClientCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("client CA %s: no PEM certificate", t.ClientCAFile)
		}
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}
