package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryStore is the in-memory Store, the default of New: the limits of one
// process. It is safe for concurrent use; each Allow is one atomic update of
// its key's state. Use NewMemoryStore; the zero value is not usable. A
// Limiter closes the MemoryStore it created itself, never one it was given.
//
// A key takes one entry (about 70 bytes), which the sweeper reclaims once
// its bucket is full again, so idle keys cost nothing after their reset
// time. A Limiter on a MemoryStore finds a bucket from its Key's fields
// directly: one hash, one probe of a hash table that holds the key and its
// state inline, the state updated in place, and no key string built; keys
// given to Allow and Reset as strings are kept apart from the Limiter's.
// The store's clock is monotonic: a step of the wall clock does not move
// it.
type MemoryStore struct {
	seed  maphash.Seed
	start time.Time // the store's epoch, with its monotonic reading
	base  int64     // start in Unix nanoseconds
	// defaultSvc is the hash of DefaultService, the common service.
	defaultSvc uint64
	shards     [memShards]memShard

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

var _ Store = (*MemoryStore)(nil)

// memShards is the number of independently locked parts of a MemoryStore.
const memShards = 64

// memSweepInterval is how often the sweeper reclaims the entries of idle
// keys.
const memSweepInterval = time.Minute

// memShard is one part of the store: an open-addressing hash table
// (linear probing) whose slots hold the key and its state inline, so that
// finding a bucket reads one slot. Readers hold the read lock while they
// update a TAT (compare-and-swap); adding, removing and sweeping take the
// write lock.
type memShard struct {
	mu    sync.RWMutex
	slots []memEntry // a power of two
	used  int        // slots not empty (live or removed)
	_     [24]byte   // a cache line per shard
}

// memKey identifies a bucket: a string given to Store.Allow (kind
// keyString), or a Limiter's Key by UID or by IP (the IPv4 address, or the
// IPv6 /64 prefix).
type memKey struct {
	svc  string
	id   string // the string key or the UID
	ip   [8]byte
	kind uint8
}

// Key kinds, kept in the low 3 bits of a key's hash; a slot's hash is
// slotEmpty or slotRemoved when it holds no key.
const (
	slotEmpty uint8 = iota
	keyString
	keyUID
	keyIP4
	keyIP6
	slotRemoved
)

// memEntry is one slot: a key's hash (with its kind), the key, and its TAT
// in Unix nanoseconds.
type memEntry struct {
	tat atomic.Int64
	hk  uint64
	svc string
	id  string
	ip  [8]byte
}

// live reports whether the slot holds a key.
func (e *memEntry) live() bool { k := uint8(e.hk & 7); return k != slotEmpty && k != slotRemoved }

// NewMemoryStore returns an empty MemoryStore. Its sweeper, which reclaims
// the entries of idle keys, runs until Close.
func NewMemoryStore() *MemoryStore {
	start := time.Now()
	s := &MemoryStore{seed: maphash.MakeSeed(), start: start, base: start.UnixNano(), stop: make(chan struct{}), done: make(chan struct{})}
	s.defaultSvc = maphash.String(s.seed, DefaultService) * 0x9e3779b97f4a7c15
	for i := range s.shards {
		s.shards[i].slots = make([]memEntry, 8)
	}
	go s.sweeper()
	return s
}

// Close stops the sweeper and waits for it, or for ctx to end. The store
// keeps working afterwards, but no longer reclaims idle entries.
func (s *MemoryStore) Close(ctx context.Context) error {
	s.once.Do(func() { close(s.stop) })
	select {
	case <-s.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Allow implements Store.
func (s *MemoryStore) Allow(ctx context.Context, key string, limit Limit, n int) (Result, error) {
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	return s.allow(memKey{kind: keyString, id: key}, limit, int64(limit.Interval()), n), nil
}

// Reset implements Store.
func (s *MemoryStore) Reset(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.reset(memKey{kind: keyString, id: key})
	return nil
}

// now returns the store's clock in Unix nanoseconds: its epoch plus the
// monotonic time since, one reading of the clock (wall-clock steps do not
// move it).
func (s *MemoryStore) now() int64 {
	return s.base + int64(time.Since(s.start))
}

// allowKey is Allow for a Limiter's Key, which must have a UID or a valid
// IP.
// t is limit.Interval() (a Limiter computes it once for its default
// limit).
func (s *MemoryStore) allowKey(key *Key, limit Limit, t int64, n int) Result {
	return s.allow(limiterKey(key), limit, t, n)
}

// resetKey is Reset for a Limiter's Key.
func (s *MemoryStore) resetKey(key *Key) {
	s.reset(limiterKey(key))
}

// limiterKey returns the memKey of a Limiter's Key: by UID, else by the
// IPv4 address or the IPv6 /64 prefix (as Key.storeKey).
func limiterKey(k *Key) memKey {
	if k.UID != "" {
		return memKey{kind: keyUID, svc: k.Service, id: k.UID}
	}
	ip := k.IP.Unmap()
	if ip.Is4() {
		a := ip.As4()
		return memKey{kind: keyIP4, svc: k.Service, ip: [8]byte{a[0], a[1], a[2], a[3]}}
	}
	a := ip.As16() // the /64 prefix
	return memKey{kind: keyIP6, svc: k.Service, ip: [8]byte(a[:8])}
}

// hash returns the hash of k (of its service, and of its string or IP)
// with k's kind in the low 3 bits.
func (s *MemoryStore) hash(k *memKey) uint64 {
	var h uint64
	switch k.svc {
	case "":
	case DefaultService:
		h = s.defaultSvc
	default:
		h = maphash.String(s.seed, k.svc) * 0x9e3779b97f4a7c15
	}
	if k.kind == keyIP4 || k.kind == keyIP6 {
		h ^= maphash.Bytes(s.seed, k.ip[:])
	} else {
		h ^= maphash.String(s.seed, k.id)
	}
	return h&^7 | uint64(k.kind)
}

// slotIndex returns where the probe for hk starts in an index of mask+1
// slots (the shard is chosen by bits 3-8).
func slotIndex(hk, mask uint64) uint64 { return (hk >> 9) & mask }

// shardOf returns the shard of hk.
func (s *MemoryStore) shardOf(hk uint64) *memShard { return &s.shards[(hk>>3)%memShards] }

// find returns the entry of k, whose hash is h, or nil. The shard must be
// locked.
func (sh *memShard) find(h uint64, k *memKey) *memEntry {
	mask := uint64(len(sh.slots) - 1)
	for i := slotIndex(h, mask); ; i = (i + 1) & mask {
		e := &sh.slots[i]
		if e.hk == h && e.id == k.id && e.svc == k.svc && e.ip == k.ip {
			return e
		}
		if e.hk == uint64(slotEmpty) {
			return nil
		}
	}
}

// insert adds k, whose hash is h and which sh does not hold, with TAT tat.
// The shard must be write-locked.
func (sh *memShard) insert(h uint64, k *memKey, tat int64) {
	if (sh.used+1)*5 > len(sh.slots)*4 { // at most 4/5 full
		sh.rebuild(0)
	}
	mask := uint64(len(sh.slots) - 1)
	for i := slotIndex(h, mask); ; i = (i + 1) & mask {
		e := &sh.slots[i]
		switch e.hk {
		case uint64(slotEmpty):
			sh.used++
		case uint64(slotRemoved):
		default:
			continue
		}
		e.hk, e.svc, e.id, e.ip = h, k.svc, k.id, k.ip
		e.tat.Store(tat)
		return
	}
}

// rebuild drops the keys whose TAT is at most expire (none for 0) and the
// removed slots, into a table with room to grow. The shard must be
// write-locked.
func (sh *memShard) rebuild(expire int64) {
	live := 0
	for i := range sh.slots {
		if e := &sh.slots[i]; e.live() && e.tat.Load() > expire {
			live++
		}
	}
	size := 8
	for size < (live+1)*2 { // at most half full after a rebuild
		size *= 2
	}
	old := sh.slots
	sh.slots, sh.used = make([]memEntry, size), 0
	for i := range old {
		if e := &old[i]; e.live() {
			if tat := e.tat.Load(); tat > expire {
				sh.insert(e.hk, &memKey{svc: e.svc, id: e.id, ip: e.ip}, tat)
			}
		}
	}
}

// allow applies GCRA to k at one reading of the clock: under the shard's
// read lock, a lookup and a compare-and-swap of the TAT in place; for a key
// without an entry whose request changes something, an insertion under the
// write lock. A peek or a denial of an unknown key stores nothing.
func (s *MemoryStore) allow(k memKey, limit Limit, t int64, n int) Result {
	h := s.hash(&k)
	sh := s.shardOf(h)
	now := s.now()
	sh.mu.RLock()
	if e := sh.find(h, &k); e != nil {
		res := update(e, now, limit, t, n)
		sh.mu.RUnlock()
		return res
	}
	sh.mu.RUnlock()
	res, newTAT, write := gcra(0, now, limit, t, n)
	if !write {
		return res
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.find(h, &k); e != nil { // added meanwhile
		return update(e, now, limit, t, n)
	}
	sh.insert(h, &k, newTAT)
	return res
}

// update applies GCRA to the TAT of e.
func update(e *memEntry, now int64, limit Limit, t int64, n int) Result {
	for {
		tat := e.tat.Load()
		res, newTAT, write := gcra(tat, now, limit, t, n)
		if !write || e.tat.CompareAndSwap(tat, newTAT) {
			return res
		}
	}
}

// reset removes k's entry.
func (s *MemoryStore) reset(k memKey) {
	h := s.hash(&k)
	sh := s.shardOf(h)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e := sh.find(h, &k); e != nil {
		e.hk, e.svc, e.id, e.ip = uint64(slotRemoved), "", "", [8]byte{}
		e.tat.Store(0)
	}
}

// sweep removes the keys whose bucket is full again (TAT reached).
func (s *MemoryStore) sweep() {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		sh.rebuild(s.now())
		sh.mu.Unlock()
	}
}

// len returns the number of entries (for tests).
func (s *MemoryStore) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		for j := range sh.slots {
			if sh.slots[j].live() {
				n++
			}
		}
		sh.mu.RUnlock()
	}
	return n
}

func (s *MemoryStore) sweeper() {
	defer close(s.done)
	t := time.NewTicker(memSweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.sweep()
		}
	}
}

// gcra decides n events at now for a key whose theoretical arrival time is
// tat (both in nanoseconds; tat <= now for an idle or unknown key), under
// l, whose Interval is t (nanoseconds, computed once by the caller). It
// returns the result, the new TAT, and whether the TAT must be written.
// redisstore's gcra.lua is the same computation in microseconds.
func gcra(tat, now int64, l Limit, t int64, n int) (Result, int64, bool) {
	b := int64(l.MaxBurst())
	if tat < now {
		tat = now
	}
	newTAT := tat + int64(n)*t
	allowAt := newTAT - b*t
	if now < allowAt {
		return Result{
			Limit:      l,
			Remaining:  int((now - (tat - b*t)) / t),
			RetryAfter: time.Duration(allowAt - now),
			ResetAfter: time.Duration(tat - now),
		}, tat, false
	}
	return Result{
		Limit:      l,
		Allowed:    n,
		Remaining:  int((now - allowAt) / t),
		ResetAfter: time.Duration(newTAT - now),
	}, newTAT, n > 0
}
