package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// waitTimeout is the failure deadline for anything a test waits on.
const waitTimeout = 10 * time.Second

// openTestBolt opens a Bolt at path with the given options and closes it
// when the test ends.
func openTestBolt(t *testing.T, path string, o boltOptions) *Bolt {
	t.Helper()
	s, err := openBolt(path, o)
	if err != nil {
		t.Fatalf("openBolt(%q) = %v; want nil error", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("Close() = %v; want nil or ErrClosed", err)
		}
	})
	return s
}

// newTestBolt opens a Bolt with the default sizes in a fresh directory.
func newTestBolt(t *testing.T) *Bolt {
	t.Helper()
	return openTestBolt(t, filepath.Join(t.TempDir(), "state", "kafkalink.db"), defaultTestOptions())
}

func defaultTestOptions() boltOptions {
	return boltOptions{historySize: defaultHistorySize, watchBuffer: defaultWatchBuffer}
}

func mustPut(t *testing.T, s *Bolt, key, value string) int64 {
	t.Helper()
	rev, err := s.Put(context.Background(), key, []byte(value))
	if err != nil {
		t.Fatalf("Put(%q) = %v; want nil error", key, err)
	}
	return rev
}

func mustGet(t *testing.T, s *Bolt, key string) (KV, bool) {
	t.Helper()
	kv, ok, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q) = %v; want nil error", key, err)
	}
	return kv, ok
}

func mustRevision(t *testing.T, s *Bolt) int64 {
	t.Helper()
	rev, err := s.Revision(context.Background())
	if err != nil {
		t.Fatalf("Revision() = %v; want nil error", err)
	}
	return rev
}

func mustWatch(t *testing.T, s *Bolt, prefix string, fromRev int64) <-chan Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	ch, err := s.Watch(ctx, prefix, fromRev)
	if err != nil {
		t.Fatalf("Watch(%q, %d) = %v; want nil error", prefix, fromRev, err)
	}
	return ch
}

// recv returns the next event on ch, failing the test if ch is closed or
// nothing arrives before the deadline.
func recv(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case ev, ok := <-ch:
		if !ok {
			t.Fatalf("watch channel closed; want an event")
		}
		return ev
	case <-time.After(waitTimeout):
		t.Fatalf("no event after %v; want one", waitTimeout)
	}
	return Event{}
}

// wantClosed fails unless ch is closed once the events already buffered
// in it are drained; it returns how many were drained.
func wantClosed(t *testing.T, ch <-chan Event) int {
	t.Helper()
	deadline := time.After(waitTimeout)
	for n := 0; ; n++ {
		select {
		case _, ok := <-ch:
			if !ok {
				return n
			}
		case <-deadline:
			t.Fatalf("watch channel still open after %v; want closed", waitTimeout)
		}
	}
}

// wantEvent compares an event's type, key, value and revisions.
func wantEvent(t *testing.T, got Event, typ EventType, key, value string, create, mod int64) {
	t.Helper()
	if got.Type != typ || got.KV.Key != key || got.KV.CreateRevision != create || got.KV.ModRevision != mod {
		t.Errorf("got event %v %q create=%d mod=%d; want %v %q create=%d mod=%d",
			got.Type, got.KV.Key, got.KV.CreateRevision, got.KV.ModRevision, typ, key, create, mod)
	}
	switch typ {
	case EventDelete:
		if got.KV.Value != nil {
			t.Errorf("got delete event value %q; want nil", got.KV.Value)
		}
	default:
		if string(got.KV.Value) != value {
			t.Errorf("got event value %q; want %q", got.KV.Value, value)
		}
	}
}

func keysOf(kvs []KV) []string {
	keys := make([]string, 0, len(kvs))
	for _, kv := range kvs {
		keys = append(keys, kv.Key)
	}
	return keys
}

func TestPutGetList(t *testing.T) {
	s := newTestBolt(t)
	// Put out of order; List must return key order.
	for _, k := range []string{"b", "ab", "a/2", "a", "a/1", "ab/x", "a0"} {
		mustPut(t, s, k, "v-"+k)
	}

	for _, k := range []string{"a", "a/1", "ab/x"} {
		kv, ok := mustGet(t, s, k)
		if !ok || string(kv.Value) != "v-"+k || kv.Key != k {
			t.Errorf("Get(%q) = %q, %q, %v; want %q, %q, true", k, kv.Key, kv.Value, ok, k, "v-"+k)
		}
	}
	if _, ok := mustGet(t, s, "missing"); ok {
		t.Errorf("Get(%q) ok = true; want false", "missing")
	}

	tests := []struct {
		prefix string
		want   []string
	}{
		{"", []string{"a", "a/1", "a/2", "a0", "ab", "ab/x", "b"}},
		{"a/", []string{"a/1", "a/2"}},
		{"ab", []string{"ab", "ab/x"}},
		{"ab/", []string{"ab/x"}},
		{"b", []string{"b"}},
		{"c", []string{}},
		{"a/3", []string{}},
	}
	for _, tt := range tests {
		kvs, rev, err := s.List(context.Background(), tt.prefix)
		if err != nil {
			t.Fatalf("List(%q) = %v; want nil error", tt.prefix, err)
		}
		if got := keysOf(kvs); !slices.Equal(got, tt.want) {
			t.Errorf("List(%q) keys = %q; want %q", tt.prefix, got, tt.want)
		}
		if rev != 7 {
			t.Errorf("List(%q) rev = %d; want 7", tt.prefix, rev)
		}
	}
}

func TestValuesAreCopies(t *testing.T) {
	s := newTestBolt(t)
	in := []byte("original")
	mustPut(t, s, "k", string(in))
	in[0] = 'X'
	kv, _ := mustGet(t, s, "k")
	kv.Value[0] = 'Y'
	kv2, _ := mustGet(t, s, "k")
	if string(kv2.Value) != "original" {
		t.Errorf("got value %q after mutating returned slices; want %q", kv2.Value, "original")
	}

	empty := []byte{}
	mustPut(t, s, "empty", string(empty))
	kv3, ok := mustGet(t, s, "empty")
	if !ok || kv3.Value == nil || len(kv3.Value) != 0 {
		t.Errorf("Get(empty) value = %#v, ok = %v; want empty non-nil, true", kv3.Value, ok)
	}
}

func TestRevisions(t *testing.T) {
	s := newTestBolt(t)
	if got := mustRevision(t, s); got != 0 {
		t.Errorf("got fresh revision %d; want 0", got)
	}
	steps := []struct {
		key        string
		wantRev    int64
		wantCreate int64
	}{
		{"a", 1, 1},
		{"b", 2, 2},
		{"a", 3, 1},
		{"a", 4, 1},
		{"b", 5, 2},
	}
	for _, st := range steps {
		rev := mustPut(t, s, st.key, fmt.Sprint(st.wantRev))
		if rev != st.wantRev {
			t.Errorf("Put(%q) rev = %d; want %d", st.key, rev, st.wantRev)
		}
		kv, _ := mustGet(t, s, st.key)
		if kv.CreateRevision != st.wantCreate || kv.ModRevision != st.wantRev {
			t.Errorf("Get(%q) create=%d mod=%d; want create=%d mod=%d",
				st.key, kv.CreateRevision, kv.ModRevision, st.wantCreate, st.wantRev)
		}
		if got := mustRevision(t, s); got != st.wantRev {
			t.Errorf("Revision() = %d; want %d", got, st.wantRev)
		}
	}
	// A key re-created after a delete gets a new create revision.
	if _, _, err := s.Delete(context.Background(), "a"); err != nil {
		t.Fatalf("Delete(a) = %v; want nil error", err)
	}
	mustPut(t, s, "a", "again")
	if kv, _ := mustGet(t, s, "a"); kv.CreateRevision != 7 || kv.ModRevision != 7 {
		t.Errorf("got re-created key create=%d mod=%d; want create=7 mod=7", kv.CreateRevision, kv.ModRevision)
	}
}

func TestCompareAndSwap(t *testing.T) {
	s := newTestBolt(t)
	ctx := context.Background()
	// Steps run in order against one store.
	steps := []struct {
		name       string
		key        string
		value      string
		expect     int64
		wantOK     bool
		wantRev    int64 // returned rev: the new one, or the current on failure
		wantCurMod int64 // cur.ModRevision on failure
		wantValue  string
	}{
		{"create if absent", "k", "v1", 0, true, 1, 0, "v1"},
		{"create if absent, exists", "k", "v2", 0, false, 1, 1, "v1"},
		{"update at current", "k", "v2", 1, true, 2, 0, "v2"},
		{"update at stale", "k", "v3", 1, false, 2, 2, "v2"},
		{"update at future", "k", "v3", 9, false, 2, 2, "v2"},
		{"update absent key", "other", "x", 5, false, 2, 0, ""},
		{"update at current again", "k", "v3", 2, true, 3, 0, "v3"},
	}
	for _, st := range steps {
		rev, ok, cur, err := s.CompareAndSwap(ctx, st.key, []byte(st.value), st.expect)
		if err != nil {
			t.Fatalf("%s: CompareAndSwap = %v; want nil error", st.name, err)
		}
		if ok != st.wantOK || rev != st.wantRev {
			t.Errorf("%s: got ok=%v rev=%d; want ok=%v rev=%d", st.name, ok, rev, st.wantOK, st.wantRev)
		}
		if !ok {
			if cur.ModRevision != st.wantCurMod {
				t.Errorf("%s: got cur.ModRevision %d; want %d", st.name, cur.ModRevision, st.wantCurMod)
			}
			if st.wantCurMod != 0 && (cur.Key != st.key || string(cur.Value) != st.wantValue) {
				t.Errorf("%s: got cur %q=%q; want %q=%q", st.name, cur.Key, cur.Value, st.key, st.wantValue)
			}
		}
		kv, exists := mustGet(t, s, st.key)
		if got := string(kv.Value); exists && got != st.wantValue {
			t.Errorf("%s: got stored value %q; want %q", st.name, got, st.wantValue)
		}
		if got := mustRevision(t, s); got != st.wantRev {
			t.Errorf("%s: got store revision %d; want %d", st.name, got, st.wantRev)
		}
	}
	if kv, _ := mustGet(t, s, "k"); kv.CreateRevision != 1 {
		t.Errorf("got CreateRevision %d after swaps; want 1", kv.CreateRevision)
	}
}

func TestDelete(t *testing.T) {
	s := newTestBolt(t)
	ctx := context.Background()
	mustPut(t, s, "k", "v") // rev 1

	steps := []struct {
		name        string
		key         string
		wantExisted bool
		wantRev     int64
	}{
		{"absent", "nope", false, 1},
		{"existing", "k", true, 2},
		{"already deleted", "k", false, 2},
	}
	for _, st := range steps {
		rev, existed, err := s.Delete(ctx, st.key)
		if err != nil {
			t.Fatalf("%s: Delete(%q) = %v; want nil error", st.name, st.key, err)
		}
		if existed != st.wantExisted || rev != st.wantRev {
			t.Errorf("%s: got existed=%v rev=%d; want existed=%v rev=%d", st.name, existed, rev, st.wantExisted, st.wantRev)
		}
		if got := mustRevision(t, s); got != st.wantRev {
			t.Errorf("%s: got store revision %d; want %d", st.name, got, st.wantRev)
		}
	}
	if _, ok := mustGet(t, s, "k"); ok {
		t.Errorf("Get(k) ok = true after delete; want false")
	}
}

func TestCompareAndDelete(t *testing.T) {
	s := newTestBolt(t)
	ctx := context.Background()
	mustPut(t, s, "k", "v1") // rev 1
	mustPut(t, s, "k", "v2") // rev 2

	steps := []struct {
		name       string
		key        string
		expect     int64
		wantOK     bool
		wantRev    int64
		wantExists bool
	}{
		{"stale revision", "k", 1, false, 2, true},
		{"zero on existing", "k", 0, false, 2, true},
		{"absent key", "nope", 0, false, 2, false},
		{"current revision", "k", 2, true, 3, false},
		{"already deleted", "k", 2, false, 3, false},
	}
	for _, st := range steps {
		rev, ok, err := s.CompareAndDelete(ctx, st.key, st.expect)
		if err != nil {
			t.Fatalf("%s: CompareAndDelete = %v; want nil error", st.name, err)
		}
		if ok != st.wantOK || rev != st.wantRev {
			t.Errorf("%s: got ok=%v rev=%d; want ok=%v rev=%d", st.name, ok, rev, st.wantOK, st.wantRev)
		}
		if _, exists := mustGet(t, s, st.key); exists != st.wantExists {
			t.Errorf("%s: got exists=%v; want %v", st.name, exists, st.wantExists)
		}
		if got := mustRevision(t, s); got != st.wantRev {
			t.Errorf("%s: got store revision %d; want %d", st.name, got, st.wantRev)
		}
	}
}

func TestPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "nested", "dir", "state.db")
	s := openTestBolt(t, path, defaultTestOptions())
	mustPut(t, s, "a", "1")  // 1
	mustPut(t, s, "b", "2")  // 2
	mustPut(t, s, "a", "1b") // 3
	if _, _, err := s.Delete(context.Background(), "b"); err != nil {
		t.Fatalf("Delete(b) = %v; want nil error", err)
	} // 4
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v; want nil error", err)
	}

	s2 := openTestBolt(t, path, defaultTestOptions())
	if got := mustRevision(t, s2); got != 4 {
		t.Errorf("got revision %d after reopen; want 4", got)
	}
	kv, ok := mustGet(t, s2, "a")
	if !ok || string(kv.Value) != "1b" || kv.CreateRevision != 1 || kv.ModRevision != 3 {
		t.Errorf("got a=%q ok=%v create=%d mod=%d; want %q true create=1 mod=3", kv.Value, ok, kv.CreateRevision, kv.ModRevision, "1b")
	}
	if _, ok := mustGet(t, s2, "b"); ok {
		t.Errorf("got b present after reopen; want deleted")
	}
	if rev := mustPut(t, s2, "a", "1c"); rev != 5 {
		t.Errorf("got Put rev %d after reopen; want 5", rev)
	}
	if kv, _ := mustGet(t, s2, "a"); kv.CreateRevision != 1 {
		t.Errorf("got CreateRevision %d after reopen; want 1", kv.CreateRevision)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	openTestBolt(t, path, defaultTestOptions())
	start := time.Now()
	s, err := OpenBolt(path)
	if err == nil {
		s.Close()
		t.Fatalf("second OpenBolt of a held file = nil error; want timeout")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second OpenBolt took %v; want about 1s", d)
	}
}

func TestWatchFromNow(t *testing.T) {
	s := newTestBolt(t)
	ctx := context.Background()
	mustPut(t, s, "old", "x") // 1: before the watch, not delivered

	ch := mustWatch(t, s, "", 0)
	mustPut(t, s, "k", "v1") // 2
	mustPut(t, s, "k", "v2") // 3
	if _, ok, _, err := s.CompareAndSwap(ctx, "k", []byte("v3"), 3); err != nil || !ok {
		t.Fatalf("CompareAndSwap = %v, %v; want true, nil", ok, err)
	} // 4
	if _, _, _, err := s.CompareAndSwap(ctx, "k", []byte("no"), 3); err != nil {
		t.Fatalf("CompareAndSwap = %v; want nil error", err)
	} // fails: no event
	if _, _, err := s.Delete(ctx, "absent"); err != nil {
		t.Fatalf("Delete = %v; want nil error", err)
	} // absent: no event
	if _, _, err := s.Delete(ctx, "k"); err != nil {
		t.Fatalf("Delete = %v; want nil error", err)
	} // 5
	mustPut(t, s, "j", "w") // 6
	if _, ok, err := s.CompareAndDelete(ctx, "j", 6); err != nil || !ok {
		t.Fatalf("CompareAndDelete = %v, %v; want true, nil", ok, err)
	} // 7

	want := []struct {
		typ         EventType
		key, value  string
		create, mod int64
	}{
		{EventPut, "k", "v1", 2, 2},
		{EventPut, "k", "v2", 2, 3},
		{EventPut, "k", "v3", 2, 4},
		{EventDelete, "k", "", 2, 5},
		{EventPut, "j", "w", 6, 6},
		{EventDelete, "j", "", 6, 7},
	}
	for _, w := range want {
		wantEvent(t, recv(t, ch), w.typ, w.key, w.value, w.create, w.mod)
	}
}

func TestWatchReplay(t *testing.T) {
	s := newTestBolt(t)
	for i := 1; i <= 5; i++ {
		mustPut(t, s, fmt.Sprintf("k%d", i), fmt.Sprint(i))
	}
	tests := []struct {
		fromRev  int64
		wantMods []int64
	}{
		{1, []int64{1, 2, 3, 4, 5, 6}},
		{3, []int64{3, 4, 5, 6}},
		{5, []int64{5, 6}},
		{6, []int64{6}},
		{0, []int64{6}},
	}
	chans := make([]<-chan Event, len(tests))
	for i, tt := range tests {
		chans[i] = mustWatch(t, s, "", tt.fromRev)
	}
	mustPut(t, s, "k6", "6") // 6
	for i, tt := range tests {
		for _, mod := range tt.wantMods {
			ev := recv(t, chans[i])
			wantEvent(t, ev, EventPut, fmt.Sprintf("k%d", mod), fmt.Sprint(mod), mod, mod)
		}
	}

	// A watch starting past the current revision delivers from there.
	ch := mustWatch(t, s, "", 8)
	mustPut(t, s, "k7", "7") // 7: before fromRev
	mustPut(t, s, "k8", "8") // 8
	wantEvent(t, recv(t, ch), EventPut, "k8", "8", 8, 8)
}

func TestWatchPrefix(t *testing.T) {
	s := newTestBolt(t)
	mustPut(t, s, "ab", "1")  // 1
	mustPut(t, s, "a/1", "2") // 2
	mustPut(t, s, "b", "3")   // 3

	replayed := mustWatch(t, s, "a/", 1)
	live := mustWatch(t, s, "a/", 0)
	mustPut(t, s, "ab", "4")  // 4
	mustPut(t, s, "a", "5")   // 5
	mustPut(t, s, "a/2", "6") // 6

	wantEvent(t, recv(t, replayed), EventPut, "a/1", "2", 2, 2)
	wantEvent(t, recv(t, replayed), EventPut, "a/2", "6", 6, 6)
	wantEvent(t, recv(t, live), EventPut, "a/2", "6", 6, 6)
}

func TestWatchCompacted(t *testing.T) {
	t.Run("after reopen", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "state.db")
		s := openTestBolt(t, path, defaultTestOptions())
		for i := 0; i < 3; i++ {
			mustPut(t, s, "k", fmt.Sprint(i))
		}
		if err := s.Close(); err != nil {
			t.Fatalf("Close() = %v; want nil error", err)
		}
		s = openTestBolt(t, path, defaultTestOptions()) // at revision 3, no history

		tests := []struct {
			fromRev int64
			wantErr error
		}{
			{1, ErrCompacted},
			{3, ErrCompacted},
			{4, nil},
			{10, nil},
			{0, nil},
		}
		for _, tt := range tests {
			_, err := s.Watch(context.Background(), "", tt.fromRev)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Watch(from %d) = %v; want %v", tt.fromRev, err, tt.wantErr)
			}
		}
		ch := mustWatch(t, s, "", 4)
		mustPut(t, s, "k", "after") // 4
		wantEvent(t, recv(t, ch), EventPut, "k", "after", 1, 4)
		// History since the reopen is served again.
		wantEvent(t, recv(t, mustWatch(t, s, "", 4)), EventPut, "k", "after", 1, 4)
	})

	t.Run("history overflow", func(t *testing.T) {
		s := openTestBolt(t, filepath.Join(t.TempDir(), "state.db"), boltOptions{historySize: 3, watchBuffer: 8})
		for i := 1; i <= 10; i++ {
			mustPut(t, s, "k", fmt.Sprint(i))
		}
		tests := []struct {
			fromRev int64
			wantErr error
		}{
			{1, ErrCompacted},
			{7, ErrCompacted},
			{8, nil},
			{10, nil},
			{11, nil},
		}
		for _, tt := range tests {
			_, err := s.Watch(context.Background(), "", tt.fromRev)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Watch(from %d) = %v; want %v", tt.fromRev, err, tt.wantErr)
			}
		}
		ch := mustWatch(t, s, "", 8)
		for mod := int64(8); mod <= 10; mod++ {
			wantEvent(t, recv(t, ch), EventPut, "k", fmt.Sprint(mod), 1, mod)
		}
	})
}

func TestSlowWatcherDropped(t *testing.T) {
	const buffer = 4
	s := openTestBolt(t, filepath.Join(t.TempDir(), "state.db"), boltOptions{historySize: 16, watchBuffer: buffer})
	slow := mustWatch(t, s, "", 0)

	const puts = 3 * buffer
	writesDone := make(chan error, 1)
	go func() {
		for i := 1; i <= puts; i++ {
			if _, err := s.Put(context.Background(), "k", []byte(fmt.Sprint(i))); err != nil {
				writesDone <- err
				return
			}
		}
		writesDone <- nil
	}()
	select {
	case err := <-writesDone:
		if err != nil {
			t.Fatalf("Put = %v; want nil error", err)
		}
	case <-time.After(waitTimeout):
		t.Fatalf("writes still blocked after %v; want a slow watcher not to block them", waitTimeout)
	}

	// The slow watcher keeps the events that fit, in order, then is closed.
	for mod := int64(1); mod <= buffer; mod++ {
		wantEvent(t, recv(t, slow), EventPut, "k", fmt.Sprint(mod), 1, mod)
	}
	if n := wantClosed(t, slow); n != 0 {
		t.Errorf("slow watcher got %d more events before close; want 0", n)
	}

	// Dropping it left the store working: a new watch from the last
	// retained revision sees the rest.
	again := mustWatch(t, s, "", puts-1)
	wantEvent(t, recv(t, again), EventPut, "k", fmt.Sprint(puts-1), 1, puts-1)
	wantEvent(t, recv(t, again), EventPut, "k", fmt.Sprint(puts), 1, puts)
}

func TestWatchContextCancel(t *testing.T) {
	s := newTestBolt(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch, err := s.Watch(ctx, "", 0)
	if err != nil {
		t.Fatalf("Watch = %v; want nil error", err)
	}
	cancel()
	wantClosed(t, ch)
	mustPut(t, s, "k", "v") // must not panic sending on a closed channel

	if _, err := s.Watch(ctx, "", 0); !errors.Is(err, context.Canceled) {
		t.Errorf("Watch with canceled ctx = %v; want context.Canceled", err)
	}
}

func TestCanceledContext(t *testing.T) {
	s := newTestBolt(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ops := map[string]func() error{
		"Get":  func() error { _, _, err := s.Get(ctx, "k"); return err },
		"List": func() error { _, _, err := s.List(ctx, ""); return err },
		"Put":  func() error { _, err := s.Put(ctx, "k", nil); return err },
		"CAS":  func() error { _, _, _, err := s.CompareAndSwap(ctx, "k", nil, 0); return err },
		"Del":  func() error { _, _, err := s.Delete(ctx, "k"); return err },
		"CAD":  func() error { _, _, err := s.CompareAndDelete(ctx, "k", 1); return err },
		"Rev":  func() error { _, err := s.Revision(ctx); return err },
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, context.Canceled) {
			t.Errorf("%s with canceled ctx = %v; want context.Canceled", name, err)
		}
	}
	if got := mustRevision(t, s); got != 0 {
		t.Errorf("got revision %d; want 0", got)
	}
}

func TestClose(t *testing.T) {
	s := newTestBolt(t)
	mustPut(t, s, "k", "v")
	a := mustWatch(t, s, "", 0)
	b := mustWatch(t, s, "k", 1) // holds one replayed event
	if err := s.Close(); err != nil {
		t.Fatalf("Close() = %v; want nil error", err)
	}
	if n := wantClosed(t, a); n != 0 {
		t.Errorf("got %d events on watcher a; want 0", n)
	}
	if n := wantClosed(t, b); n != 1 {
		t.Errorf("got %d events on watcher b; want 1", n)
	}

	ctx := context.Background()
	ops := map[string]func() error{
		"Get":   func() error { _, _, err := s.Get(ctx, "k"); return err },
		"List":  func() error { _, _, err := s.List(ctx, ""); return err },
		"Put":   func() error { _, err := s.Put(ctx, "k", nil); return err },
		"CAS":   func() error { _, _, _, err := s.CompareAndSwap(ctx, "k", nil, 0); return err },
		"Del":   func() error { _, _, err := s.Delete(ctx, "k"); return err },
		"CAD":   func() error { _, _, err := s.CompareAndDelete(ctx, "k", 1); return err },
		"Watch": func() error { _, err := s.Watch(ctx, "", 0); return err },
		"Rev":   func() error { _, err := s.Revision(ctx); return err },
		"Close": s.Close,
	}
	for name, op := range ops {
		if err := op(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v; want ErrClosed", name, err)
		}
	}
}

func TestConcurrentCAS(t *testing.T) {
	s := newTestBolt(t)
	const (
		workers = 8
		perWork = 25
		total   = workers * perWork
	)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := context.Background()
			for i := 0; i < perWork; {
				kv, _, err := s.Get(ctx, "counter")
				if err != nil {
					t.Errorf("Get = %v; want nil error", err)
					return
				}
				n := 0
				if kv.ModRevision != 0 {
					if n, err = strconv.Atoi(string(kv.Value)); err != nil {
						t.Errorf("got counter %q; want an integer", kv.Value)
						return
					}
				}
				_, ok, _, err := s.CompareAndSwap(ctx, "counter", []byte(strconv.Itoa(n+1)), kv.ModRevision)
				if err != nil {
					t.Errorf("CompareAndSwap = %v; want nil error", err)
					return
				}
				if ok {
					i++
				}
			}
		}()
	}
	wg.Wait()

	kv, _ := mustGet(t, s, "counter")
	if got := string(kv.Value); got != strconv.Itoa(total) {
		t.Errorf("got counter %s; want %d", got, total)
	}
	if got := mustRevision(t, s); got != total {
		t.Errorf("got revision %d; want %d", got, total)
	}
	if kv.CreateRevision != 1 || kv.ModRevision != total {
		t.Errorf("got create=%d mod=%d; want create=1 mod=%d", kv.CreateRevision, kv.ModRevision, total)
	}
}
