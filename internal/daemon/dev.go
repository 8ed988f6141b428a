package daemon

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/kafkalink/kafkalink/internal/pki"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kafkalink/kafkalink/internal/brokermap"
	"github.com/kafkalink/kafkalink/internal/config"
	"github.com/kafkalink/kafkalink/internal/upstream"
)

// DevOptions configure `kafkalink dev`.
type DevOptions struct {
	StateDir  string // default ./.kafkalink
	Brokers   int    // embedded brokers, default 3
	FirstPort int    // port-per-broker range start, default 14001
	LastPort  int    // default FirstPort+99
	FirstIP   string // ip-per-broker first address, default 127.0.1.1
	IPPort    int    // ip-per-broker port, default 9092
	IAMPort   int    // ip-per-broker port of IAM-authenticated TLS listeners, default 9098
	SCRAMPort int    // ip-per-broker port of SASL/SCRAM TLS listeners, default 9096
	MTLSPort  int    // ip-per-broker port of mTLS listeners, default 9094
	APIListen string // the AWS-protocol front door, default 127.0.0.1:7090
	// Advertise is what MSK-API listeners tell clients: "addresses"
	// (default) or "names".
	Advertise string
	Region    string // default us-east-1
	// LoopbackRange is the loopback driver's span of VPC ranges
	// (config.Config.LoopbackRange); a second region on the machine
	// needs its own.
	LoopbackRange string
	DNS           config.DNS // the VPC resolvers' port and upstream servers
}

func (o *DevOptions) defaults() {
	if o.StateDir == "" {
		o.StateDir = ".kafkalink"
	}
	if o.Brokers == 0 {
		o.Brokers = 3
	}
	if o.FirstPort == 0 {
		o.FirstPort = 14001
	}
	if o.LastPort == 0 {
		o.LastPort = o.FirstPort + 99
	}
	if o.FirstIP == "" {
		o.FirstIP = "127.0.1.1"
	}
	if o.IPPort == 0 {
		o.IPPort = 9092
	}
	if o.IAMPort == 0 {
		o.IAMPort = 9098
	}
	if o.SCRAMPort == 0 {
		o.SCRAMPort = 9096
	}
	if o.MTLSPort == 0 {
		o.MTLSPort = 9094
	}
	if o.APIListen == "" {
		o.APIListen = "127.0.0.1:7090"
	}
	if o.Region == "" {
		o.Region = DevRegion
	}
}

// DevConfig is the configuration `kafkalink dev` serves: one cluster named
// "dev" in front of the given upstream, with a port-per-broker and an
// IP-per-broker listener set.
func DevConfig(o DevOptions, upstreamAddrs []string) *config.Config {
	o.defaults()
	brokerTLS := func() *config.ServerTLS {
		return &config.ServerTLS{CertFile: filepath.Join(o.StateDir, "tls", "brokers.pem"), KeyFile: filepath.Join(o.StateDir, "tls", "brokers-key.pem")}
	}
	mtls := brokerTLS()
	mtls.ClientCAFile = filepath.Join(o.StateDir, "ca.pem")
	return &config.Config{
		StateDir:      o.StateDir,
		Region:        o.Region,
		APIListen:     o.APIListen,
		LoopbackRange: o.LoopbackRange,
		DNS:           o.DNS,
		Provisioner:   config.ProvisionerEmbedded,
		Advertise:     o.Advertise,
		// The demo accounts: the cluster owner and a client.
		Accounts: []config.Account{{ID: "111111111111", Profile: "kl-a"}, {ID: "222222222222", Profile: "kl-b"}},
		Clusters: []config.Cluster{{
			Name:     "dev",
			Upstream: upstream.Config{Bootstrap: upstreamAddrs},
			Listeners: []config.ListenerSet{
				{Name: "vpc", Strategy: brokermap.PortPerBroker, BindHost: "127.0.0.1", FirstPort: o.FirstPort, LastPort: o.LastPort},
				{Name: "own", Strategy: brokermap.IPPerBroker, FirstIP: o.FirstIP, Count: 100, Port: o.IPPort},
				{Name: "own-iam", Strategy: brokermap.IPPerBroker, FirstIP: o.FirstIP, Count: 100, Port: o.IAMPort,
					TLS: brokerTLS(), Auth: config.AuthIAM},
				{Name: "own-scram", Strategy: brokermap.IPPerBroker, FirstIP: o.FirstIP, Count: 100, Port: o.SCRAMPort,
					TLS: brokerTLS(), Auth: config.AuthSCRAM},
				{Name: "own-mtls", Strategy: brokermap.IPPerBroker, FirstIP: o.FirstIP, Count: 100, Port: o.MTLSPort,
					TLS: mtls, Auth: config.AuthMTLS},
			},
			SuperUsers: []string{"User:" + DevAdmin, "User:CN=" + DevAdmin},
		}},
	}
}

// StartDev starts the embedded cluster (its data kept in the state
// directory) and a daemon in front of it, and keeps DIR/dev.json current.
func StartDev(ctx context.Context, o DevOptions, do Options) (*Daemon, error) {
	o.defaults()
	if err := os.MkdirAll(o.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("dev: %w", err)
	}
	kc, err := kfake.NewCluster(
		kfake.NumBrokers(o.Brokers),
		kfake.DataDir(filepath.Join(o.StateDir, "kafka")),
		kfake.AllowAutoTopicCreation(),
		kfake.DefaultNumPartitions(3),
	)
	if err != nil {
		return nil, fmt.Errorf("dev: embedded cluster: %w", err)
	}
	if err := DevCertificates(o); err != nil {
		kc.Close()
		return nil, err
	}
	d, err := Start(ctx, DevConfig(o, kc.ListenAddrs()), do)
	if err != nil {
		kc.Close()
		return nil, err
	}
	d.caFile = filepath.Join(o.StateDir, "ca.pem")
	d.embedded = kc
	if err := d.ensureDevAdmin(ctx, o.StateDir); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.WriteDevJSON(); err != nil {
		d.Close()
		return nil, err
	}
	go func() {
		for {
			select {
			case <-d.done:
				return
			case <-d.changed:
			}
			if err := d.WriteDevJSON(); err != nil {
				d.log.Error("cannot write dev.json", "err", err)
			}
		}
	}()
	return d, nil
}

// DevCertificates makes dev mode's CA (DIR/ca.pem, kept across restarts)
// and the certificate its TLS listeners present, for every address of the
// ip-per-broker range and localhost.
func DevCertificates(o DevOptions) error {
	o.defaults()
	ca, err := pki.LoadOrCreateCA(o.StateDir, "kafkalink dev CA")
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	first, err := netip.ParseAddr(o.FirstIP)
	if err != nil {
		return fmt.Errorf("dev: first IP: %w", err)
	}
	names := []string{"localhost", "127.0.0.1"}
	for a, i := first, 0; i < 100; a, i = a.Next(), i+1 {
		names = append(names, a.String())
	}
	cert, err := ca.Issue(names...)
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	if err := pki.WriteFiles(cert, filepath.Join(o.StateDir, "tls", "brokers.pem"), filepath.Join(o.StateDir, "tls", "brokers-key.pem")); err != nil {
		return err
	}
	admin, err := ca.Issue(DevAdmin)
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	return pki.WriteFiles(admin, filepath.Join(o.StateDir, "tls", DevAdmin+".pem"), filepath.Join(o.StateDir, "tls", DevAdmin+"-key.pem"))
}

// DevAdmin is dev mode's super user: SCRAM user "admin" (User:admin) and
// the client certificate whose subject is CN=admin (User:CN=admin).
const DevAdmin = "admin"

// DevAdminCredentials is how to reach dev mode's super user.
type DevAdminCredentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
	CertFile string `json:"cert_file"`
	KeyFile  string `json:"key_file"`
}

// ensureDevAdmin gives the super user SCRAM credentials, with a password
// made once and kept in DIR/admin-password.
func (d *Daemon) ensureDevAdmin(ctx context.Context, dir string) error {
	path := filepath.Join(dir, DevAdmin+"-password")
	pw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		b := make([]byte, 18)
		rand.Read(b)
		pw = []byte(base64.RawURLEncoding.EncodeToString(b))
		err = os.WriteFile(path, pw, 0o600)
	}
	if err != nil {
		return fmt.Errorf("dev: admin password: %w", err)
	}
	for _, mech := range []string{"SCRAM-SHA-512", "SCRAM-SHA-256"} {
		if err := d.scram.SetPassword(ctx, "dev", DevAdmin, mech, string(pw), 4096); err != nil {
			return fmt.Errorf("dev: admin credentials: %w", err)
		}
	}
	d.admin = &DevAdminCredentials{User: DevAdmin, Password: string(pw),
		CertFile: filepath.Join(dir, "tls", DevAdmin+".pem"), KeyFile: filepath.Join(dir, "tls", DevAdmin+"-key.pem")}
	return nil
}

// DevInfo is dev.json: what programs connect to.
type DevInfo struct {
	Clusters []DevCluster `json:"clusters"`
	// CAFile is the certificate of the CA that signed the TLS listeners'
	// certificates.
	CAFile string `json:"ca_file,omitempty"`
	// Admin is the super user of the SCRAM and mTLS listener sets.
	Admin    *DevAdminCredentials `json:"admin,omitempty"`
	API      string               `json:"api,omitempty"` // http://host:port of the front door
	Region   string               `json:"region,omitempty"`
	Accounts []DevAccount         `json:"accounts,omitempty"`
	// AWSConfigFile and AWSCredentialsFile hold the profiles kl-a and
	// kl-b, for AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE.
	AWSConfigFile      string `json:"aws_config_file,omitempty"`
	AWSCredentialsFile string `json:"aws_credentials_file,omitempty"`
	// VPCs are the VPCs' resolvers; ResolverEndpoints the inbound
	// resolver endpoints' addresses.
	VPCs              []DevResolver `json:"vpcs,omitempty"`
	ResolverEndpoints []DevResolver `json:"resolver_endpoints,omitempty"`
}

// DevAccount is a demo account with administrator (root) access keys.
type DevAccount struct {
	ID              string `json:"id"`
	Profile         string `json:"profile"`
	AccessKeyID     string `json:"access_key_id"`
	SecretAccessKey string `json:"secret_access_key"`
}

// DevCluster is one cluster in dev.json.
type DevCluster struct {
	Name string `json:"name"`
	// ARN is the cluster's MSK ARN, for the aws CLI's --cluster-arn.
	ARN string `json:"arn,omitempty"`
	// BootstrapBrokers are GetBootstrapBrokers' strings, by its field
	// names: the cluster's own and every VPC connection's.
	BootstrapBrokers map[string]string `json:"bootstrap_brokers,omitempty"`
	Listeners        []DevListener     `json:"listeners"`
	Upstream         []string          `json:"upstream"`
	// Endpoints are the cluster's endpoints in VPCs (serverless VPCs,
	// VPC connections), by the names every VPC resolves.
	Endpoints []DevEndpoint `json:"endpoints,omitempty"`
}

// DevListener is one listener set in dev.json.
type DevListener struct {
	Name      string            `json:"name"`
	Strategy  brokermap.Kind    `json:"strategy"`
	Auth      string            `json:"auth"`
	Bootstrap string            `json:"bootstrap"`
	Brokers   map[string]string `json:"brokers"`
	Errors    []string          `json:"errors,omitempty"`
}

// DevInfo describes what the daemon serves, as dev.json does.
func (d *Daemon) DevInfo() DevInfo {
	info := DevInfo{Accounts: d.accounts, CAFile: d.caFile, Admin: d.admin}
	if d.apiAddr != "" {
		info.API = "http://" + d.apiAddr
		info.Region = d.cfg.Region
	}
	if len(d.accounts) > 0 {
		info.AWSConfigFile = filepath.Join(d.cfg.StateDir, "aws-config")
		info.AWSCredentialsFile = filepath.Join(d.cfg.StateDir, "aws-credentials")
	}
	for _, r := range d.Resolvers() {
		if r.Endpoint == "" {
			info.VPCs = append(info.VPCs, r)
		} else {
			info.ResolverEndpoints = append(info.ResolverEndpoints, r)
		}
	}
	for _, cs := range d.gw.Status() {
		dc := DevCluster{Endpoints: d.devEndpoints(cs), Name: cs.Name, Upstream: []string{}}
		if arn, err := d.ClusterARN(d.ctx, cs.Name); err == nil {
			dc.ARN = arn
			if b, err := d.msk.BootstrapStrings(d.ctx, arn); err == nil && len(b) > 0 {
				dc.BootstrapBrokers = b
			}
		}
		for _, a := range cs.Upstream {
			dc.Upstream = append(dc.Upstream, a)
		}
		sort.Strings(dc.Upstream)
		for _, ls := range cs.ListenerSets {
			dl := DevListener{Name: ls.Name, Strategy: ls.Strategy, Auth: "PLAINTEXT", Bootstrap: strings.Join(ls.Bootstrap, ","), Brokers: map[string]string{}, Errors: ls.Errors}
			if ls.TLS {
				dl.Auth = "TLS"
			}
			if ls.Auth != "" {
				dl.Auth = ls.Auth
			}
			for id, a := range ls.Brokers {
				dl.Brokers[strconv.Itoa(int(id))] = a
			}
			dc.Listeners = append(dc.Listeners, dl)
		}
		info.Clusters = append(info.Clusters, dc)
	}
	return info
}

// WriteDevJSON writes DIR/dev.json atomically.
func (d *Daemon) WriteDevJSON() error {
	b, err := json.MarshalIndent(d.DevInfo(), "", "  ")
	if err != nil {
		return fmt.Errorf("dev.json: %w", err)
	}
	path := filepath.Join(d.cfg.StateDir, "dev.json")
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("dev.json: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("dev.json: %w", err)
	}
	return nil
}

// PrintDevBanner tells a person what to connect to.
func (d *Daemon) PrintDevBanner(w io.Writer) {
	info := d.DevInfo()
	fmt.Fprintf(w, "\nkafkalink dev is running; state in %s\n", d.cfg.StateDir)
	var first string
	for _, c := range info.Clusters {
		fmt.Fprintf(w, "\ncluster %q: %d embedded brokers (upstream %s)\n", c.Name, len(c.Upstream), strings.Join(c.Upstream, ","))
		if c.ARN != "" {
			fmt.Fprintf(w, "  arn %s\n", c.ARN)
		}
		for _, l := range c.Listeners {
			fmt.Fprintf(w, "  %-16s %-9s bootstrap %s\n", l.Strategy, l.Auth, l.Bootstrap)
			for _, e := range l.Errors {
				fmt.Fprintf(w, "  ! %s\n", e)
			}
			if first == "" && l.Bootstrap != "" {
				first = l.Bootstrap
			}
		}
	}
	if info.API != "" {
		fmt.Fprintf(w, "\nAWS APIs (sts, iam, kafka, ec2, route53, route53resolver, ram) at %s; demo accounts:\n", info.API)
		for _, a := range info.Accounts {
			fmt.Fprintf(w, "  %s  profile %s  access key %s\n", a.ID, a.Profile, a.AccessKeyID)
		}
		fmt.Fprintf(w, "  AWS_CONFIG_FILE=%s AWS_SHARED_CREDENTIALS_FILE=%s aws --profile kl-a --endpoint-url %s sts get-caller-identity\n",
			info.AWSConfigFile, info.AWSCredentialsFile, info.API)
	}
	fmt.Fprintf(w, "\nDNS: every VPC's resolver listens at its base+2 address, port %d (dev.json lists them under \"vpcs\")\n", d.resolverPort())
	if first != "" {
		fmt.Fprintf(w, "\nTry it:\n  kcat -b %s -L\n  echo hello | kcat -b %s -t demo -P\n  kcat -b %s -t demo -C -e\n", first, first, first)
	}
	fmt.Fprintf(w, "\nFor programs: %s\nPress Ctrl-C to stop.\n", filepath.Join(d.cfg.StateDir, "dev.json"))
}

// DevRegion is the region `kafkalink dev` serves.
const DevRegion = "us-east-1"
