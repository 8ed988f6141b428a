package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"net"
	"net/netip"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/kafkalink/kafkalink/internal/gateway"

	"github.com/kafkalink/kafkalink/internal/dns"
	"github.com/kafkalink/kafkalink/internal/ec2"
	"github.com/kafkalink/kafkalink/internal/r53resolver"
	"github.com/kafkalink/kafkalink/internal/route53"
	"github.com/kafkalink/kafkalink/internal/store"
)

// DNS in the daemon: a resolver in every VPC (at its base+2 address),
// inbound resolver endpoints, and the views they answer from, rebuilt
// whenever VPCs, hosted zones, resolver rules or kafkalink's own
// listeners change (ARCHITECTURE §8–9).

// keptTTL is the TTL of the records kafkalink keeps for its own names.
const keptTTL = 60

// keptSet names the brokers of one listener set: in which VPC, under
// which zone, and by which names.
type keptSet struct {
	vpc       string // the VPC whose resolver answers the names
	zone      string // the zone kafkalink keeps there
	broker    string // broker name template, {n} standing for slot+1
	bootstrap string // an SNI set's bootstrap name
	endpoint  string // the endpoint's own name, resolvable from every VPC
}

// keepNames records the names of a listener set's brokers.
func (d *Daemon) keepNames(cluster, set string, k keptSet) {
	d.dnsMu.Lock()
	d.kept[cluster+"/"+set] = k
	d.dnsMu.Unlock()
	d.pokeDNS()
}

// endpointZone is the zone of kafkalink's endpoint names in the region,
// as vpce.amazonaws.com is AWS's.
func (d *Daemon) endpointZone() string {
	return d.region + ".vpce." + d.cfg.NameDomain()
}

// endpointName is the name of an endpoint: vpce-<17 hex>.<endpointZone>.
func (d *Daemon) endpointName(id string) string {
	return id + "." + d.endpointZone()
}

// endpointID is a stable endpoint id for what key names.
func endpointID(key string) string {
	h := sha256.Sum256([]byte(key))
	return "vpce-" + hex.EncodeToString(h[:])[:17]
}

// resolverPort is where resolvers listen: the configured port, else 53
// when kafkalink may bind it, else 5300.
func (d *Daemon) resolverPort() int {
	switch {
	case d.cfg.DNS.Port != 0:
		return d.cfg.DNS.Port
	case os.Geteuid() == 0:
		return 53
	}
	return 5300
}

// pokeDNS asks for the resolvers to be realized again.
func (d *Daemon) pokeDNS() {
	select {
	case d.dnsDirty <- struct{}{}:
	default:
	}
}

// followDNS realizes resolvers and views until ctx ends.
func (d *Daemon) followDNS(ctx context.Context) {
	for _, p := range []string{ec2.WatchPrefix, d.route53.Prefix(), d.resolver.Prefix()} {
		go d.follow(ctx, p, d.pokeDNS)
	}
	for {
		select {
		case <-ctx.Done():
			return // Close closes the resolvers
		case <-d.dnsDirty:
			if err := d.realizeDNS(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("cannot realize the VPC resolvers; retrying", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
					d.pokeDNS()
				}
			}
		}
	}
}

// follow calls changed once the prefix has been listed and after every
// change under it, until ctx ends; it lists and watches again after an
// error.
func (d *Daemon) follow(ctx context.Context, prefix string, changed func()) {
	for ctx.Err() == nil {
		_, rev, err := d.store.List(ctx, prefix)
		if err == nil {
			changed()
			var events <-chan store.Event
			if events, err = d.store.Watch(ctx, prefix, rev+1); err == nil {
				for range events {
					changed()
				}
			}
		}
		if err != nil && ctx.Err() == nil {
			d.log.Warn("cannot follow the store; retrying", "prefix", prefix, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
}

// DevResolver is a VPC's resolver, or an inbound endpoint's address, as
// dev.json shows it.
type DevResolver struct {
	VPC      string `json:"vpc"`
	Account  string `json:"account"`
	Endpoint string `json:"endpoint,omitempty"` // the inbound endpoint's id
	Declared string `json:"declared"`           // the address in the VPC
	Resolver string `json:"resolver"`           // where it listens on this machine
	Error    string `json:"error,omitempty"`
}

// realizeDNS opens and closes resolver sockets and swaps in new views.
func (d *Daemon) realizeDNS(ctx context.Context) error {
	vpcs, err := d.ec2.AllVPCs(ctx)
	if err != nil {
		return err
	}
	snap, _, err := d.resolver.Snapshot(ctx)
	if err != nil {
		return err
	}
	hosted, _, err := d.route53.Zones(ctx)
	if err != nil {
		return err
	}
	port := d.resolverPort()
	byID := map[string]ec2.VPCWithSubnets{}
	var listen []DevResolver
	for _, v := range vpcs {
		byID[v.ID] = v
		if !v.EnableDNSSupport { // the Amazon-provided DNS server is off
			continue
		}
		declared := v.CIDRBlock.Masked().Addr().Next().Next()
		host, err := d.netdrv.Host(ctx, v.ID, v.CIDRBlock, declared)
		if err != nil {
			return err
		}
		listen = append(listen, DevResolver{VPC: v.ID, Account: v.Owner, Declared: declared.String(),
			Resolver: net.JoinHostPort(host.String(), strconv.Itoa(port))})
	}
	inbound := map[netip.Addr]string{}  // declared address → host:port of an inbound endpoint here
	outbound := map[string]netip.Addr{} // endpoint id → host address to send from
	for _, ep := range snap.Endpoints {
		v, ok := byID[ep.VPCID]
		if !ok || len(ep.IPs) == 0 {
			continue
		}
		for _, ip := range ep.IPs {
			host, err := d.netdrv.Host(ctx, v.ID, v.CIDRBlock, ip.IP)
			if err != nil {
				return err
			}
			if ep.Direction == "OUTBOUND" {
				if _, ok := outbound[ep.ID]; !ok {
					outbound[ep.ID] = host
				}
				continue
			}
			addr := net.JoinHostPort(host.String(), strconv.Itoa(port))
			inbound[ip.IP] = addr
			listen = append(listen, DevResolver{VPC: v.ID, Account: v.Owner, Endpoint: ep.ID, Declared: ip.IP.String(), Resolver: addr})
		}
	}

	views := map[string]*dns.View{}
	view := func(vpc string) *dns.View {
		if views[vpc] == nil {
			views[vpc] = &dns.View{Rules: map[string]dns.Rule{}, Zones: map[string]*dns.Zone{}}
		}
		return views[vpc]
	}
	for _, hz := range hosted {
		z, err := hostedZone(hz)
		if err != nil {
			d.log.Warn("a hosted zone cannot be served", "zone", hz.ID, "err", err)
			continue
		}
		for _, v := range hz.VPCs {
			if v.Region == d.region {
				view(v.ID).Zones[z.Name] = z
			}
		}
	}
	kept, public := d.keptZones()
	for vpc, zones := range kept {
		maps.Copy(view(vpc).Zones, zones) // kafkalink's own names win a tie
	}
	rules := map[string]r53resolver.Rule{}
	for _, r := range snap.Rules {
		rules[r.ID] = r
	}
	for _, a := range snap.Associations {
		r, ok := rules[a.RuleID]
		if !ok {
			continue
		}
		dr := dns.Rule{Domain: dns.Canonical(r.DomainName), System: r.RuleType == "SYSTEM", Source: outbound[r.EndpointID]}
		for _, t := range r.Targets {
			if addr, ok := inbound[t.IP]; ok {
				dr.Targets = append(dr.Targets, addr)
				continue
			}
			p := t.Port
			if p == 0 {
				p = 53
			}
			dr.Targets = append(dr.Targets, netip.AddrPortFrom(t.IP, uint16(p)).String())
		}
		view(a.VPCID).Rules[dr.Domain] = dr
	}
	d.dns.Update(views, public)

	want := map[string]string{}
	for i, l := range listen {
		if _, dup := want[l.Resolver]; dup {
			listen[i].Error = "the address is taken by another resolver"
			continue
		}
		want[l.Resolver] = l.VPC
		if err := d.dns.Listen(l.Resolver, l.VPC); err != nil {
			listen[i].Error = err.Error()
			d.log.Warn("a VPC resolver cannot listen", "vpc", l.VPC, "addr", l.Resolver, "err", err)
		}
	}
	for _, a := range d.dns.Listening() {
		if _, ok := want[a]; !ok {
			d.dns.Unlisten(a)
		}
	}
	sort.Slice(listen, func(i, j int) bool { return listen[i].Resolver < listen[j].Resolver })
	d.dnsMu.Lock()
	changed := fmt.Sprint(d.resolvers) != fmt.Sprint(listen)
	d.resolvers = listen
	d.dnsMu.Unlock()
	if changed {
		d.signalDevJSON()
	}
	return nil
}

// hostedZone is a Route 53 private hosted zone as a resolver serves it.
func hostedZone(hz route53.HostedZone) (*dns.Zone, error) {
	z := dns.NewZone(hz.Name)
	for _, rs := range hz.Records {
		if rs.Alias != nil {
			if err := z.AddAlias(rs.Name, mdns.StringToType[rs.Type], rs.Alias.DNSName); err != nil {
				return nil, err
			}
			continue
		}
		for _, v := range rs.Values {
			rr, err := mdns.NewRR(fmt.Sprintf("%s %d IN %s %s", rs.Name, rs.TTL, rs.Type, v))
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", rs.Name, rs.Type, err)
			}
			if rr == nil {
				continue
			}
			if err := z.Add(rr); err != nil {
				return nil, err
			}
		}
	}
	return z, nil
}

// keptZones are the zones kafkalink keeps for its listeners' names: per
// VPC, and the endpoint names every VPC resolves.
func (d *Daemon) keptZones() (map[string]map[string]*dns.Zone, map[string]*dns.Zone) {
	d.dnsMu.Lock()
	sets := maps.Clone(d.kept)
	d.dnsMu.Unlock()
	byVPC := map[string]map[string]*dns.Zone{}
	public := map[string]*dns.Zone{}
	seen := map[string]bool{}
	add := func(scope string, zones map[string]*dns.Zone, zone, name, host string) {
		zone, name = dns.Canonical(zone), dns.Canonical(name)
		ip, err := netip.ParseAddr(host)
		key := scope + " " + name + " " + host
		if err != nil || seen[key] {
			return
		}
		seen[key] = true
		z := zones[zone]
		if z == nil {
			z = dns.NewZone(zone)
			zones[zone] = z
		}
		var rr mdns.RR
		hdr := mdns.RR_Header{Name: name, Class: mdns.ClassINET, Ttl: keptTTL}
		if ip.Is4() {
			hdr.Rrtype = mdns.TypeA
			rr = &mdns.A{Hdr: hdr, A: ip.AsSlice()}
		} else {
			hdr.Rrtype = mdns.TypeAAAA
			rr = &mdns.AAAA{Hdr: hdr, AAAA: ip.AsSlice()}
		}
		if err := z.Add(rr); err != nil {
			d.log.Warn("a kept name lies outside its zone", "name", name, "zone", zone)
		}
	}
	for _, cs := range d.gw.Status() {
		for _, st := range cs.ListenerSets {
			k, ok := sets[cs.Name+"/"+st.Name]
			if !ok {
				continue
			}
			if byVPC[k.vpc] == nil {
				byVPC[k.vpc] = map[string]*dns.Zone{}
			}
			for id, slot := range st.Slots {
				host, _, err := net.SplitHostPort(st.Listen[id])
				if err != nil {
					continue
				}
				add(k.vpc, byVPC[k.vpc], k.zone, strings.ReplaceAll(k.broker, "{n}", strconv.Itoa(slot+1)), host)
				if k.bootstrap != "" {
					add(k.vpc, byVPC[k.vpc], k.zone, k.bootstrap, host)
				}
				if k.endpoint != "" {
					add("", public, d.endpointZone(), k.endpoint, host)
				}
			}
		}
	}
	return byVPC, public
}

// Resolvers lists the VPC resolvers and inbound endpoints as realized.
func (d *Daemon) Resolvers() []DevResolver {
	d.dnsMu.Lock()
	defer d.dnsMu.Unlock()
	return append([]DevResolver(nil), d.resolvers...)
}

// DevEndpoint is one of a cluster's endpoints in a VPC: its name, which
// every VPC resolves (an alias record may point at it), and addresses.
type DevEndpoint struct {
	VPC       string   `json:"vpc"`
	Name      string   `json:"name"`
	Addresses []string `json:"addresses"`
}

// devEndpoints lists a cluster's endpoints.
func (d *Daemon) devEndpoints(cs gateway.ClusterStatus) []DevEndpoint {
	d.dnsMu.Lock()
	sets := maps.Clone(d.kept)
	d.dnsMu.Unlock()
	byName := map[string]*DevEndpoint{}
	var out []DevEndpoint
	for _, st := range cs.ListenerSets {
		k, ok := sets[cs.Name+"/"+st.Name]
		if !ok || k.endpoint == "" {
			continue
		}
		e := byName[k.endpoint]
		if e == nil {
			e = &DevEndpoint{VPC: k.vpc, Name: k.endpoint}
			byName[k.endpoint] = e
		}
		for _, a := range st.Listen {
			if host, _, err := net.SplitHostPort(a); err == nil && !slices.Contains(e.Addresses, host) {
				e.Addresses = append(e.Addresses, host)
			}
		}
	}
	for _, e := range byName {
		sort.Strings(e.Addresses)
		out = append(out, *e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// isEndpointName reports whether name is one of kafkalink's endpoints,
// which Route 53 alias records may target.
func (d *Daemon) isEndpointName(name string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	d.dnsMu.Lock()
	defer d.dnsMu.Unlock()
	for _, k := range d.kept {
		if k.endpoint == name {
			return true
		}
	}
	return false
}
