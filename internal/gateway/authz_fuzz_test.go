package gateway

import (
	"hash/fnv"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// halfAuthorizer allows about half of all accesses, by a hash of the
// access, so that fuzzed requests take every path: forwarded, trimmed,
// and answered locally.
type halfAuthorizer struct{}

func (halfAuthorizer) Allowed(_ kmsg.Key, a Access) bool {
	h := fnv.New32a()
	h.Write([]byte(a.Name))
	h.Write([]byte{byte(a.Type), byte(a.Op)})
	return h.Sum32()%2 == 0
}

func (z halfAuthorizer) Permitted(a Access) bool { return z.Allowed(-1, a) }

func (halfAuthorizer) Close() {}

// FuzzAuthorizeRequest decodes arbitrary request bodies of every API the
// gateway authorizes and decides them: nothing may panic or hang, a local
// answer must encode, and a trimmed request must re-encode and decode
// again. The response merge runs on an empty response of the request.
func FuzzAuthorizeRequest(f *testing.F) {
	for k := range authorizers {
		req := kmsg.RequestForKey(int16(k))
		for _, v := range []int16{0, req.MaxVersion()} {
			req.SetVersion(v)
			f.Add(int16(k), v, req.AppendTo(nil))
		}
	}
	f.Fuzz(func(t *testing.T, key, version int16, body []byte) {
		fn := authorizers[kmsg.Key(key)]
		if fn == nil {
			return
		}
		req := kmsg.RequestForKey(key)
		if version < 0 || version > req.MaxVersion() {
			return
		}
		req, err := decodeRequest(reqHeader{key: key, version: version}, body)
		if err != nil {
			return
		}
		c := &cluster{}
		s := &session{set: &listenerSet{c: c}}
		v := fn(&decider{s: s, az: halfAuthorizer{}, api: kmsg.Key(key)}, req)
		if v.local != nil {
			v.local.SetVersion(version)
			v.local.AppendTo(nil)
			return
		}
		if v.changed {
			if _, err := decodeRequest(reqHeader{key: key, version: version}, req.AppendTo(nil)); err != nil {
				t.Fatalf("%s v%d: the trimmed request does not decode: %v", kmsg.NameForKey(key), version, err)
			}
		}
		if v.fix != nil {
			resp := req.ResponseKind()
			resp.SetVersion(version)
			v.fix(resp)
			resp.AppendTo(nil)
		}
	})
}
