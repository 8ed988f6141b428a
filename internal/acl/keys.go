package acl

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Store layout: every ACL is one key,
//
//	clusters/<cluster>/acls/<id>
//
// whose value is the JSON form of the binding (record). The id is the
// SHA-256 of the binding's fields, so one ACL has one key whichever replica
// creates it, and creating an existing ACL changes nothing, as in Kafka.
const (
	clustersPrefix = "clusters/"
	aclsInfix      = "/acls/"
)

// clusterPrefix returns the prefix of the keys of a cluster's ACLs.
func clusterPrefix(cluster string) string {
	return clustersPrefix + cluster + aclsInfix
}

// aclKey returns the store key of b in cluster.
func aclKey(cluster string, b Binding) string {
	return clusterPrefix(cluster) + bindingID(b)
}

// bindingID hashes an unambiguous encoding of b's fields.
func bindingID(b Binding) string {
	buf := make([]byte, 0, 4+3*binary.MaxVarintLen64+len(b.ResourceName)+len(b.Principal)+len(b.Host))
	buf = append(buf, byte(b.ResourceType), byte(b.PatternType), byte(b.Operation), byte(b.Permission))
	for _, s := range [...]string{b.ResourceName, b.Principal, b.Host} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}

// parseKey splits an ACL key into its cluster and id; ok is false for keys
// under clusters/ that are not ACLs.
func parseKey(key string) (cluster, id string, ok bool) {
	rest, ok := strings.CutPrefix(key, clustersPrefix)
	if !ok {
		return "", "", false
	}
	i := strings.LastIndex(rest, aclsInfix)
	if i <= 0 {
		return "", "", false
	}
	cluster, id = rest[:i], rest[i+len(aclsInfix):]
	if id == "" || strings.Contains(id, "/") {
		return "", "", false
	}
	return cluster, id, true
}

// record is the stored form of a Binding; enums are stored by name.
type record struct {
	ResourceType kmsg.ACLResourceType        `json:"resourceType"`
	ResourceName string                      `json:"resourceName"`
	PatternType  kmsg.ACLResourcePatternType `json:"patternType"`
	Principal    string                      `json:"principal"`
	Host         string                      `json:"host"`
	Operation    kmsg.ACLOperation           `json:"operation"`
	Permission   kmsg.ACLPermissionType      `json:"permissionType"`
}

func encodeBinding(b Binding) ([]byte, error) {
	v, err := json.Marshal(record(b))
	if err != nil {
		return nil, fmt.Errorf("acl: encode %s: %w", b, err)
	}
	return v, nil
}

// decodeBinding decodes and validates a stored ACL.
func decodeBinding(v []byte) (Binding, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return Binding{}, fmt.Errorf("acl: decode: %w", err)
	}
	b := Binding(r)
	if err := b.Validate(); err != nil {
		var ae *Error
		if errors.As(err, &ae) {
			return Binding{}, fmt.Errorf("acl: stored ACL %s is invalid: %s", b, ae.Message)
		}
		return Binding{}, fmt.Errorf("acl: stored ACL %s is invalid: %w", b, err)
	}
	return b, nil
}
