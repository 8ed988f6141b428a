package gateway

import "github.com/twmb/franz-go/pkg/kmsg"

// DescribeConfigs (key 32): a broker's configuration holds its listeners
// and, in KRaft, the controllers' addresses. The values of those configs
// (and of their synonyms) are withheld, as Kafka withholds sensitive values:
// null, marked sensitive. Topic configs pass unchanged.

// isAddressConfig reports whether a broker config's value holds host:port
// pairs.
func isAddressConfig(name string) bool {
	switch name {
	case "listeners", "advertised.listeners", "controller.quorum.voters", "controller.quorum.bootstrap.servers",
		"host.name", "advertised.host.name", "port", "advertised.port", "zookeeper.connect":
		return true
	}
	return false
}

const (
	resourceBroker       = 4
	resourceBrokerLogger = 8
)

func rewriteDescribeConfigs(resp *kmsg.DescribeConfigsResponse) bool {
	changed := false
	for i := range resp.Resources {
		r := &resp.Resources[i]
		if r.ResourceType != resourceBroker && r.ResourceType != resourceBrokerLogger {
			continue
		}
		for j := range r.Configs {
			c := &r.Configs[j]
			if !isAddressConfig(c.Name) {
				continue
			}
			c.Value, c.IsSensitive = nil, true
			for k := range c.ConfigSynonyms {
				c.ConfigSynonyms[k].Value = nil
			}
			changed = true
		}
	}
	return changed
}
