package gateway

import "github.com/twmb/franz-go/pkg/kmsg"

// respMode says what the session does with the response to a request.
type respMode uint8

const (
	// respPass streams the response to the client without decoding it.
	respPass respMode = iota
	// respRewrite decodes the response, rewrites broker addresses and
	// re-encodes it.
	respRewrite
	// respScanTags reads the whole response and walks it only far enough to
	// see whether its top-level tagged fields carry broker endpoints
	// (KIP-951); only then is it decoded and rewritten.
	respScanTags
)

// apiInfo is what the gateway knows of one API key.
type apiInfo struct {
	offered     bool  // advertised in ApiVersions and accepted from clients
	maxVersion  int16 // highest version kmsg can decode
	flexibleMin int16 // first version with flexible headers; -1 if none
	// rewriteMin is the first version whose response names brokers;
	// -1 if none does.
	rewriteMin int16
	mode       respMode // for versions >= rewriteMin
}

// apiTable is the gateway's immutable knowledge of every API key kmsg knows.
type apiTable [maxAPIKey + 1]apiInfo

const maxAPIKey = 127

// clientAPIs are the APIs a Kafka client may use through the gateway. APIs
// between brokers and controllers, KRaft APIs, delegation tokens (which
// cannot work when the gateway terminates the session), SCRAM credential
// changes aimed at the upstream, SASL (the gateway authenticates upstream
// itself) and DescribeQuorum (its answer names controller addresses) are not
// offered.
var clientAPIs = []kmsg.Key{
	kmsg.Produce, kmsg.Fetch, kmsg.ListOffsets, kmsg.Metadata,
	kmsg.OffsetCommit, kmsg.OffsetFetch, kmsg.FindCoordinator,
	kmsg.JoinGroup, kmsg.Heartbeat, kmsg.LeaveGroup, kmsg.SyncGroup,
	kmsg.DescribeGroups, kmsg.ListGroups, kmsg.ApiVersions,
	kmsg.CreateTopics, kmsg.DeleteTopics, kmsg.DeleteRecords,
	kmsg.InitProducerID, kmsg.OffsetForLeaderEpoch, kmsg.AddPartitionsToTxn,
	kmsg.AddOffsetsToTxn, kmsg.EndTxn, kmsg.TxnOffsetCommit,
	kmsg.DescribeACLs, kmsg.CreateACLs, kmsg.DeleteACLs,
	kmsg.DescribeConfigs, kmsg.AlterConfigs, kmsg.AlterReplicaLogDirs,
	kmsg.DescribeLogDirs, kmsg.CreatePartitions, kmsg.DeleteGroups,
	kmsg.ElectLeaders, kmsg.IncrementalAlterConfigs,
	kmsg.AlterPartitionAssignments, kmsg.ListPartitionReassignments,
	kmsg.OffsetDelete, kmsg.DescribeClientQuotas, kmsg.AlterClientQuotas,
	kmsg.DescribeUserSCRAMCredentials, kmsg.UpdateFeatures,
	kmsg.DescribeCluster, kmsg.DescribeProducers,
	kmsg.DescribeTransactions, kmsg.ListTransactions,
	kmsg.ConsumerGroupHeartbeat, kmsg.ConsumerGroupDescribe,
	kmsg.GetTelemetrySubscriptions, kmsg.PushTelemetry,
	kmsg.DescribeTopicPartitions, kmsg.ListConfigResources,
	kmsg.ShareGroupHeartbeat, kmsg.ShareGroupDescribe,
	kmsg.ShareFetch, kmsg.ShareAcknowledge,
	kmsg.DescribeShareGroupOffsets, kmsg.AlterShareGroupOffsets,
	kmsg.DeleteShareGroupOffsets,
}

// newAPITable builds the table from kmsg's own knowledge of each API.
func newAPITable() *apiTable {
	t := new(apiTable)
	for k := range t {
		t[k] = apiInfo{maxVersion: -1, flexibleMin: -1, rewriteMin: -1}
		req := kmsg.RequestForKey(int16(k))
		if req == nil {
			continue
		}
		t[k].maxVersion = req.MaxVersion()
		for v := int16(0); v <= req.MaxVersion(); v++ {
			req.SetVersion(v)
			if req.IsFlexible() {
				t[k].flexibleMin = v
				break
			}
		}
	}
	for _, k := range clientAPIs {
		t[k].offered = t[k].maxVersion >= 0
	}
	set := func(k kmsg.Key, min int16, mode respMode) {
		t[k].rewriteMin, t[k].mode = min, mode
	}
	set(kmsg.Metadata, 0, respRewrite)
	set(kmsg.FindCoordinator, 0, respRewrite)
	set(kmsg.DescribeCluster, 0, respRewrite)
	set(kmsg.DescribeConfigs, 0, respRewrite)
	set(kmsg.ApiVersions, 0, respRewrite)
	set(kmsg.ShareFetch, 0, respRewrite)
	set(kmsg.ShareAcknowledge, 0, respRewrite)
	set(kmsg.Produce, 10, respScanTags)
	set(kmsg.Fetch, 16, respScanTags)
	return t
}

// withSASL is a copy of the table that also offers SaslHandshake (v1:
// SASL messages travel in SaslAuthenticate requests) and SaslAuthenticate,
// which the gateway answers itself on authenticated listener sets.
func (t *apiTable) withSASL() *apiTable {
	c := *t
	c[kmsg.SASLHandshake].offered = true
	c[kmsg.SASLAuthenticate].offered = true
	return &c
}

// lookup returns the API's entry and whether a client may send it at this
// version.
func (t *apiTable) lookup(key, version int16) (*apiInfo, bool) {
	if key < 0 || int(key) >= len(t) {
		return nil, false
	}
	a := &t[key]
	if !a.offered || version < 0 {
		return a, false
	}
	// ApiVersions is special: a client may ask with a version newer than
	// anyone knows, and the broker answers in v0 (KIP-511).
	if version > a.maxVersion && key != int16(kmsg.ApiVersions) {
		return a, false
	}
	return a, true
}

// flexible reports whether the request header (v2) and response header (v1)
// of this version carry tagged fields. ApiVersions responses never do.
func (a *apiInfo) flexible(version int16) bool {
	return a.flexibleMin >= 0 && version >= a.flexibleMin
}

// modeFor is what happens to the response of a request at this version.
func (a *apiInfo) modeFor(version int16) respMode {
	if a.rewriteMin >= 0 && version >= a.rewriteMin {
		return a.mode
	}
	return respPass
}

// flexibleHeader reports whether a request of this key and version has a
// v2 header; keys the gateway does not know are read as v1.
func (t *apiTable) flexibleHeader(key, version int16) bool {
	return key >= 0 && int(key) < len(t) && t[key].flexible(version)
}
