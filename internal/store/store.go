// Package store is kafkalink's state: revisioned keys with compare-and-set,
// prefix listing and watch. Every part of kafkalink that must agree across
// restarts and replicas (broker slots, IAM, clusters, VPC connections) keeps
// its state here. The embedded backend is one bbolt file in the state
// directory; a distributed backend (etcd) implements the same interface.
package store

import (
	"context"
	"errors"
)

// ErrCompacted is returned by Watch when the requested start revision is
// older than the history the backend still holds. The caller lists again.
var ErrCompacted = errors.New("store: revision compacted")

// ErrClosed is returned by every call made after Close.
var ErrClosed = errors.New("store: closed")

// ErrLocked is returned by OpenBolt when another process holds the file.
var ErrLocked = errors.New("store: the state file is in use by another process")

// KV is one key with its value and revisions. Revisions are store-wide and
// strictly increasing: every change (put or delete) takes the next one.
type KV struct {
	Key            string
	Value          []byte
	CreateRevision int64 // revision of the change that created the key
	ModRevision    int64 // revision of the last change to the key
}

// EventType tells what happened to a key.
type EventType int

const (
	EventPut EventType = iota + 1
	EventDelete
)

func (t EventType) String() string {
	switch t {
	case EventPut:
		return "PUT"
	case EventDelete:
		return "DELETE"
	}
	return "UNKNOWN"
}

// Event is one change seen by a watcher. For a delete, KV.Value is nil and
// KV.ModRevision is the revision of the delete.
type Event struct {
	Type EventType
	KV   KV
}

// Store is implemented by every backend.
type Store interface {
	// Get returns the key, or ok=false if it does not exist.
	Get(ctx context.Context, key string) (kv KV, ok bool, err error)
	// List returns every key with the prefix in key order, and the store
	// revision the listing reflects (start a Watch at rev+1 to miss nothing).
	List(ctx context.Context, prefix string) (kvs []KV, rev int64, err error)
	// Put sets the key unconditionally and returns the new revision.
	Put(ctx context.Context, key string, value []byte) (rev int64, err error)
	// CompareAndSwap sets the key only if its ModRevision equals expect;
	// expect 0 means "only if the key does not exist". ok=false (with a nil
	// error) when the comparison fails; cur is then the current state
	// (cur.ModRevision 0 if absent).
	CompareAndSwap(ctx context.Context, key string, value []byte, expect int64) (rev int64, ok bool, cur KV, err error)
	// Delete removes the key; deleting an absent key is not an error and
	// reports existed=false.
	Delete(ctx context.Context, key string) (rev int64, existed bool, err error)
	// CompareAndDelete removes the key only if its ModRevision equals expect.
	CompareAndDelete(ctx context.Context, key string, expect int64) (rev int64, ok bool, err error)
	// Watch delivers, in revision order, every change to keys with the
	// prefix at revisions >= fromRev (fromRev 0 means "from now on"). The
	// channel is closed when ctx ends or the store closes; a watcher that
	// falls too far behind is closed too, and must list and watch again.
	// A fromRev older than the retained history returns ErrCompacted.
	Watch(ctx context.Context, prefix string, fromRev int64) (<-chan Event, error)
	// Revision returns the store's current revision.
	Revision(ctx context.Context) (int64, error)
	Close() error
}
