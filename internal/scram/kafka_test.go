package scram

import (
	"context"
	"crypto/pbkdf2"
	"crypto/rand"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	franzscram "github.com/twmb/franz-go/pkg/sasl/scram"
)

// result is one per-user answer, flattened for comparison.
type result struct {
	User    string
	Code    int16
	Message string
	Infos   []kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo
}

func deref(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func upsertion(t testing.TB, user string, mech int8, iterations int32, password string) kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
	t.Helper()
	u := kmsg.NewAlterUserSCRAMCredentialsRequestUpsertion()
	u.Name, u.Mechanism, u.Iterations = user, mech, iterations
	u.Salt = make([]byte, 24)
	rand.Read(u.Salt)
	newHash := hashFor(MechanismName(mech))
	if MechanismName(mech) == "" {
		newHash = hashFor(SHA512)
	}
	var err error
	if u.SaltedPassword, err = pbkdf2.Key(newHash, password, u.Salt, max(int(iterations), 1), newHash().Size()); err != nil {
		t.Fatal(err)
	}
	return u
}

func deletion(user string, mech int8) kmsg.AlterUserSCRAMCredentialsRequestDeletion {
	d := kmsg.NewAlterUserSCRAMCredentialsRequestDeletion()
	d.Name, d.Mechanism = user, mech
	return d
}

func TestHandleAlter(t *testing.T) {
	const (
		none       = 0
		sha256     = 1
		sha512     = 2
		dupMessage = "A user credential cannot be altered twice in the same request"
	)
	var (
		notFound     = kerr.ResourceNotFound.Code
		duplicate    = kerr.DuplicateResource.Code
		unacceptable = kerr.UnacceptableCredential.Code
		unsupported  = kerr.UnsupportedSaslMechanism.Code
	)
	tests := []struct {
		name       string
		deletions  []kmsg.AlterUserSCRAMCredentialsRequestDeletion
		upsertions []kmsg.AlterUserSCRAMCredentialsRequestUpsertion
		want       []result
		// after: who can authenticate (true) or not with "pw" afterwards
		after map[string]bool
	}{
		{
			name:       "upsert both mechanisms for two users",
			upsertions: []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{upsertion(t, "carol", sha256, 4096, "pw"), upsertion(t, "dave", sha512, 8192, "pw")},
			want:       []result{{User: "carol", Message: "<nil>"}, {User: "dave", Message: "<nil>"}},
			after:      map[string]bool{"carol/SCRAM-SHA-256": true, "dave/SCRAM-SHA-512": true},
		},
		{
			name:       "replace a password",
			upsertions: []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{upsertion(t, "alice", sha512, 4096, "new")},
			want:       []result{{User: "alice", Message: "<nil>"}},
			after:      map[string]bool{"alice/SCRAM-SHA-512": false},
		},
		{
			name:      "delete",
			deletions: []kmsg.AlterUserSCRAMCredentialsRequestDeletion{deletion("alice", sha256)},
			want:      []result{{User: "alice", Message: "<nil>"}},
			after:     map[string]bool{"alice/SCRAM-SHA-256": false, "alice/SCRAM-SHA-512": true},
		},
		{
			name:      "delete a missing credential",
			deletions: []kmsg.AlterUserSCRAMCredentialsRequestDeletion{deletion("bob", sha256), deletion("nobody", sha512)},
			want: []result{
				{User: "bob", Code: notFound, Message: "Attempt to delete a user credential that does not exist"},
				{User: "nobody", Code: notFound, Message: "Attempt to delete a user credential that does not exist"},
			},
		},
		{
			name:      "delete a missing credential twice",
			deletions: []kmsg.AlterUserSCRAMCredentialsRequestDeletion{deletion("nobody", sha512), deletion("nobody", sha512)},
			want:      []result{{User: "nobody", Code: notFound, Message: "Attempt to delete a user credential that does not exist"}},
		},
		{
			name:      "delete twice",
			deletions: []kmsg.AlterUserSCRAMCredentialsRequestDeletion{deletion("alice", sha256), deletion("alice", sha512)},
			want:      []result{{User: "alice", Code: duplicate, Message: dupMessage}},
			after:     map[string]bool{"alice/SCRAM-SHA-256": true, "alice/SCRAM-SHA-512": true},
		},
		{
			name:       "delete and upsert one user",
			deletions:  []kmsg.AlterUserSCRAMCredentialsRequestDeletion{deletion("alice", sha256)},
			upsertions: []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{upsertion(t, "alice", sha512, 4096, "new"), upsertion(t, "carol", sha512, 4096, "pw")},
			want:       []result{{User: "alice", Code: duplicate, Message: dupMessage}, {User: "carol", Message: "<nil>"}},
			after:      map[string]bool{"alice/SCRAM-SHA-256": true, "alice/SCRAM-SHA-512": true, "carol/SCRAM-SHA-512": true},
		},
		{
			name: "upsert three times",
			upsertions: []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{
				upsertion(t, "carol", sha256, 4096, "pw"), upsertion(t, "carol", sha512, 4096, "pw"), upsertion(t, "carol", sha512, 4096, "pw"),
			},
			want:  []result{{User: "carol", Code: duplicate, Message: dupMessage}},
			after: map[string]bool{"carol/SCRAM-SHA-256": false},
		},
		{
			name: "invalid upsertions",
			upsertions: []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{
				upsertion(t, "", sha512, 4096, "pw"),
				upsertion(t, "m0", none, 4096, "pw"),
				upsertion(t, "m3", 3, 4096, "pw"),
				upsertion(t, "few", sha256, 4095, "pw"),
				upsertion(t, "many", sha256, 16385, "pw"),
				func() kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
					u := upsertion(t, "short", sha512, 4096, "pw")
					u.SaltedPassword = u.SaltedPassword[:32]
					return u
				}(),
				func() kmsg.AlterUserSCRAMCredentialsRequestUpsertion {
					u := upsertion(t, "nosalt", sha256, 4096, "pw")
					u.Salt = nil
					return u
				}(),
			},
			want: []result{
				{User: "", Code: unacceptable, Message: "Username must not be empty"},
				{User: "m0", Code: unsupported, Message: "Unknown SCRAM mechanism"},
				{User: "m3", Code: unsupported, Message: "Unknown SCRAM mechanism"},
				{User: "few", Code: unacceptable, Message: "Too few iterations"},
				{User: "many", Code: unacceptable, Message: "Too many iterations"},
				{User: "short", Code: unacceptable, Message: "Salted password must be 64 bytes for SCRAM-SHA-512"},
				{User: "nosalt", Code: unacceptable, Message: "Salt must not be empty"},
			},
		},
		{
			name:      "invalid deletions",
			deletions: []kmsg.AlterUserSCRAMCredentialsRequestDeletion{deletion("", sha256), deletion("alice", none)},
			want: []result{
				{User: "", Code: unacceptable, Message: "Username must not be empty"},
				{User: "alice", Code: unsupported, Message: "Unknown SCRAM mechanism"},
			},
		},
		{
			name:       "an invalid entry then a duplicate keeps the first error",
			upsertions: []kmsg.AlterUserSCRAMCredentialsRequestUpsertion{upsertion(t, "carol", sha256, 100, "pw"), upsertion(t, "carol", sha256, 4096, "pw")},
			want:       []result{{User: "carol", Code: unacceptable, Message: "Too few iterations"}},
			after:      map[string]bool{"carol/SCRAM-SHA-256": false},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCredentials(t, nil)
			mustSetPassword(t, c, "alice", SHA256, "pw", 4096)
			mustSetPassword(t, c, "alice", SHA512, "pw", 4096)
			req := kmsg.NewPtrAlterUserSCRAMCredentialsRequest()
			req.Deletions, req.Upsertions = tt.deletions, tt.upsertions
			resp := c.HandleAlter(testContext(t), testCluster, req)
			var got []result
			for _, r := range resp.Results {
				got = append(got, result{User: r.User, Code: r.ErrorCode, Message: deref(r.ErrorMessage)})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
			for who, ok := range tt.after {
				user, mech, _ := strings.Cut(who, "/")
				err := xdgAuth(NewServer(c, testCluster, mech), mech, user, "pw", "")
				if (err == nil) != ok {
					t.Errorf("%s authenticating with pw: got %v; want success %v", who, err, ok)
				}
			}
		})
	}
}

func TestHandleDescribe(t *testing.T) {
	c := newCredentials(t, nil)
	mustSetPassword(t, c, "alice", SHA512, "pw", 8192)
	mustSetPassword(t, c, "alice", SHA256, "pw", 4096)
	mustSetPassword(t, c, "bob", SHA512, "pw", 4096)
	info := func(mech int8, iterations int32) kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo {
		ci := kmsg.NewDescribeUserSCRAMCredentialsResponseResultCredentialInfo()
		ci.Mechanism, ci.Iterations = mech, iterations
		return ci
	}
	alice := result{User: "alice", Message: "<nil>", Infos: []kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo{info(1, 4096), info(2, 8192)}}
	bob := result{User: "bob", Message: "<nil>", Infos: []kmsg.DescribeUserSCRAMCredentialsResponseResultCredentialInfo{info(2, 4096)}}
	tests := []struct {
		name  string
		users []string // nil: the request's Users is null
		want  []result
	}{
		{"null means all", nil, []result{alice, bob}},
		{"empty means all", []string{}, []result{alice, bob}},
		{"named", []string{"bob", "alice"}, []result{bob, alice}},
		{"unknown user", []string{"carol"}, []result{{User: "carol", Code: kerr.ResourceNotFound.Code, Message: "Attempt to describe a user credential that does not exist: carol"}}},
		{"user named twice", []string{"alice", "bob", "alice"}, []result{
			{User: "alice", Code: kerr.DuplicateResource.Code, Message: "Cannot describe SCRAM credentials for the same user twice in a single request: alice"},
			bob,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := kmsg.NewPtrDescribeUserSCRAMCredentialsRequest()
			if tt.users != nil {
				req.Users = []kmsg.DescribeUserSCRAMCredentialsRequestUser{}
			}
			for _, u := range tt.users {
				ru := kmsg.NewDescribeUserSCRAMCredentialsRequestUser()
				ru.Name = u
				req.Users = append(req.Users, ru)
			}
			resp := c.HandleDescribe(testContext(t), testCluster, req)
			if resp.ErrorCode != 0 {
				t.Fatalf("got error code %d; want 0", resp.ErrorCode)
			}
			var got []result
			for _, r := range resp.Results {
				got = append(got, result{User: r.User, Code: r.ErrorCode, Message: deref(r.ErrorMessage), Infos: r.CredentialInfos})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v; want %+v", got, tt.want)
			}
		})
	}
	t.Run("store failure", func(t *testing.T) {
		resp := c.HandleDescribe(testContext(t), "bad/cluster", kmsg.NewPtrDescribeUserSCRAMCredentialsRequest())
		if resp.ErrorCode != kerr.UnknownServerError.Code || len(resp.Results) != 0 {
			t.Errorf("got code %d and %d results; want UNKNOWN_SERVER_ERROR and none", resp.ErrorCode, len(resp.Results))
		}
	})
}

// TestKadm drives the handlers with franz-go's admin client through a fake
// cluster whose SCRAM APIs are answered by kafkalink's handlers, as the
// gateway answers them: kadm salts and hashes the password client-side and
// the credential then authenticates franz-go's SCRAM client.
func TestKadm(t *testing.T) {
	c := newCredentials(t, nil)
	kf, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kf.Close)
	kf.ControlKey(int16(kmsg.AlterUserSCRAMCredentials), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		return c.HandleAlter(context.Background(), testCluster, req.(*kmsg.AlterUserSCRAMCredentialsRequest)), nil, true
	})
	kf.ControlKey(int16(kmsg.DescribeUserSCRAMCredentials), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		return c.HandleDescribe(context.Background(), testCluster, req.(*kmsg.DescribeUserSCRAMCredentialsRequest)), nil, true
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(kf.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	ctx := testContext(t)

	altered, err := adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{
		{User: "alice", Mechanism: kadm.ScramSha512, Iterations: 8192, Password: "alice-secret"},
		{User: "bob", Mechanism: kadm.ScramSha256, Password: "bob-secret"},
	})
	if err != nil || !altered.Ok() {
		t.Fatalf("AlterUserSCRAMs: got %v, %v; want success", altered, err)
	}
	for _, tt := range []struct{ user, pass, mech string }{{"alice", "alice-secret", SHA512}, {"bob", "bob-secret", SHA256}} {
		if err := franzAuth(ctx, NewServer(c, testCluster, tt.mech), tt.mech, franzscram.Auth{User: tt.user, Pass: tt.pass}); err != nil {
			t.Errorf("%s after kadm upsert: got %v; want success", tt.user, err)
		}
	}

	described, err := adm.DescribeUserSCRAMs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := kadm.DescribedUserSCRAMs{
		"alice": {User: "alice", CredInfos: []kadm.CredInfo{{Mechanism: kadm.ScramSha512, Iterations: 8192}}},
		"bob":   {User: "bob", CredInfos: []kadm.CredInfo{{Mechanism: kadm.ScramSha256, Iterations: 4096}}},
	}
	if !reflect.DeepEqual(described, want) {
		t.Errorf("DescribeUserSCRAMs: got %+v; want %+v", described, want)
	}
	described, err = adm.DescribeUserSCRAMs(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if got := described["carol"].Err; !errors.Is(got, kerr.ResourceNotFound) {
		t.Errorf("describe carol: got %v; want RESOURCE_NOT_FOUND", got)
	}

	// A salted password sent as is, with too many iterations.
	altered, err = adm.AlterUserSCRAMs(ctx, nil, []kadm.UpsertSCRAM{{User: "carol", Mechanism: kadm.ScramSha256, Iterations: 20000, Salt: []byte("salt"), SaltedPassword: make([]byte, 32)}})
	if err != nil {
		t.Fatal(err)
	}
	if got := altered["carol"]; !errors.Is(got.Err, kerr.UnacceptableCredential) || got.ErrMessage != "Too many iterations" {
		t.Errorf("too many iterations: got %v %q; want UNACCEPTABLE_CREDENTIAL %q", got.Err, got.ErrMessage, "Too many iterations")
	}

	altered, err = adm.AlterUserSCRAMs(ctx, []kadm.DeleteSCRAM{{User: "alice", Mechanism: kadm.ScramSha512}}, nil)
	if err != nil || !altered.Ok() {
		t.Fatalf("delete: got %v, %v; want success", altered, err)
	}
	err = franzAuth(ctx, NewServer(c, testCluster, SHA512), SHA512, franzscram.Auth{User: "alice", Pass: "alice-secret"})
	wantAuthError(t, err, genericFailure(SHA512))
}
