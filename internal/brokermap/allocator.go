package brokermap

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"

	"github.com/kafkalink/kafkalink/internal/store"
)

// Allocator assigns each broker id of a cluster a slot: the lowest slot no
// other broker id holds, once and for good. Slots live in the store under
// one key per cluster, changed only by compare-and-set, so that replicas
// racing to allocate agree. A broker that leaves keeps its slot, so that it
// comes back at the same address.
type Allocator struct {
	st  store.Store
	key string

	mu    sync.Mutex
	slots map[int32]int // cache: never changes once assigned
}

// NewAllocator returns the allocator of a cluster's slots.
func NewAllocator(st store.Store, cluster string) *Allocator {
	return &Allocator{st: st, key: "brokermap/" + cluster + "/slots", slots: map[int32]int{}}
}

type slotTable struct {
	Slots map[string]int `json:"slots"` // broker id → slot
}

// Slot returns the broker's slot, allocating one if it has none.
func (a *Allocator) Slot(ctx context.Context, id int32) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s, ok := a.slots[id]; ok {
		return s, nil
	}
	for {
		kv, ok, err := a.st.Get(ctx, a.key)
		if err != nil {
			return 0, fmt.Errorf("brokermap: read slots: %w", err)
		}
		t := slotTable{Slots: map[string]int{}}
		var rev int64
		if ok {
			if err := json.Unmarshal(kv.Value, &t); err != nil {
				return 0, fmt.Errorf("brokermap: decode slots at %s: %w", a.key, err)
			}
			rev = kv.ModRevision
			if t.Slots == nil {
				t.Slots = map[string]int{}
			}
		}
		a.learn(t)
		if s, ok := a.slots[id]; ok {
			return s, nil
		}
		used := map[int]bool{}
		for _, s := range t.Slots {
			used[s] = true
		}
		s := 0
		for used[s] {
			s++
		}
		t.Slots[strconv.Itoa(int(id))] = s
		b, _ := json.Marshal(t)
		if _, ok, _, err := a.st.CompareAndSwap(ctx, a.key, b, rev); err != nil {
			return 0, fmt.Errorf("brokermap: write slots: %w", err)
		} else if ok {
			a.slots[id] = s
			return s, nil
		}
		// Another replica allocated first: read again.
	}
}

func (a *Allocator) learn(t slotTable) {
	for k, s := range t.Slots {
		if id, err := strconv.ParseInt(k, 10, 32); err == nil {
			a.slots[int32(id)] = s
		}
	}
}

// Assigned returns the broker ids with slots, sorted by slot.
func (a *Allocator) Assigned() []int32 {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := make([]int32, 0, len(a.slots))
	for id := range a.slots {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return a.slots[ids[i]] < a.slots[ids[j]] })
	return ids
}
