package ratelimit

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
	"time"
)

// Bounds of WithReservation.
const (
	// MaxReservationBatch is the largest batch WithReservation accepts.
	MaxReservationBatch = 10_000
	// MaxReservationHold is the longest hold WithReservation accepts.
	MaxReservationHold = time.Minute
	// MaxReservedKeys is how many keys a Limiter keeps reservations for at
	// most (WithReservation); a key that finds no room is checked exactly.
	MaxReservedKeys = resShards * resPerShard
)

const (
	resShards   = 64
	resPerShard = 1024
)

// WithReservation turns on the approximate mode: with a store other than a
// MemoryStore (the Redis store), the Limiter takes events from the store in
// batches of up to batch (2 to MaxReservationBatch) and spends them in its
// own memory for at most hold (positive, at most MaxReservationHold), so
// that a busy key costs one store round trip per batch instead of one per
// check. Default: off, every check is exact (one round trip). It does
// nothing with a MemoryStore, which is exact and costs no round trip.
//
// A check of n events on a key first spends the events this Limiter
// reserved for that key (under the same Limit, reserved less than hold
// ago), without a round trip; Result.Allowed is n and RetryAfter 0, and
// Remaining and ResetAfter are estimates (the store's answer at the
// reservation, less the time since, plus what is still reserved; other
// instances' use is not seen). When too few are reserved, it asks the
// store for m events at once, n <= m <= batch (and at most the limit's
// burst), keeps m - n, and, if those m are denied while n alone might not
// be, asks for exactly n (a second round trip, only near the limit; the
// key's checks then ask for exactly n, one round trip each, for hold).
// Events not spent within hold are dropped, never given back. One batch
// per key is fetched at a time: checks that find the reservation spent
// while it is on its way wait for it rather than ask the store themselves.
//
// How many a check reserves follows the key's recent use on this
// Limiter: a key's first check, and any check after the key was quiet for
// hold, asks for exactly n (no events are held for a key used once);
// when a reservation was spent before hold ran out, the next one is twice
// as large (up to batch); after a reservation ran out of time, the next
// one is as large as what was spent from it. So a key used at least
// batch times per hold costs one round trip per batch of batch events,
// and a sparse key is checked exactly, one round trip per check.
//
// Overshoot: the store allows every event that is reserved (its GCRA
// bounds the events reserved on a key in any span of time d, across all
// instances, to what the exact limiter allows over d), and each reserved
// event is spent within hold of its reservation. So over any span w, the
// events allowed on a key across all instances are at most what the exact
// limiter allows over w + hold: at most hold/Interval events more (hold ×
// rate; 100 ms at 1,000 requests per second: 100 more).
//
// Undershoot: events reserved and not spent are lost to the key until the
// store's bucket refills them (one per Interval). Each instance holds at
// most batch - 1 unspent events per key, and at most twice what it spent
// on the key during the previous hold.
//
// Reset drops this Limiter's reservation of the key (other instances keep
// spending theirs for at most hold). Reservations are kept for at most
// MaxReservedKeys keys, each for at most twice hold, with no goroutine:
// expired ones are swept as new keys arrive.
func WithReservation(batch int, hold time.Duration) Option {
	return func(c *config) error {
		switch {
		case batch < 2 || batch > MaxReservationBatch:
			return fmt.Errorf("%w: reservation batch %d outside [2, %d]", ErrOption, batch, MaxReservationBatch)
		case hold <= 0 || hold > MaxReservationHold:
			return fmt.Errorf("%w: reservation hold %v outside (0, %v]", ErrOption, hold, MaxReservationHold)
		}
		c.resBatch, c.resHold = batch, hold
		return nil
	}
}

// reservations holds the events a Limiter took from its store ahead of
// use (WithReservation), per key.
type reservations struct {
	batch  int
	hold   int64     // ns
	start  time.Time // the monotonic origin of the times below
	seed   maphash.Seed
	shards [resShards]resShard
}

// resShard is one independently locked part of the reservations.
type resShard struct {
	mu        sync.Mutex
	m         map[memKey]reservation // guarded by mu
	nextSweep int                    // len(m) at which expired entries are swept
	fullUntil int64                  // no sweep before this time (the shard was full of live keys)
	_         [32]byte               // a cache line per shard
}

// reservation is what one key's checks reserved on this Limiter. Times
// are ns since reservations.start.
type reservation struct {
	limit  Limit
	tokens int           // events reserved and not spent
	size   int           // events asked of the store by the latest reservation
	used   int           // events spent from the current reservation (the reserving check's included)
	at     int64         // when the reservation was asked: its events may be spent until at + hold
	full   int64         // when the store's bucket is full again, as it answered the reservation
	exact  int64         // until when checks ask for exactly n: a batch was denied (near the limit)
	fetch  chan struct{} // closed when the batch being fetched for the key has come (nil: none)
}

func newReservations(batch int, hold time.Duration) *reservations {
	r := &reservations{batch: batch, hold: int64(hold), start: time.Now(), seed: maphash.MakeSeed()}
	for i := range r.shards {
		r.shards[i].m = map[memKey]reservation{}
		r.shards[i].nextSweep = 16
	}
	return r
}

// now returns the reservations' monotonic clock in ns.
func (r *reservations) now() int64 { return int64(time.Since(r.start)) }

// shard returns the shard of k.
func (r *reservations) shard(k *memKey) *resShard {
	var h uint64
	if k.kind == keyIP4 || k.kind == keyIP6 {
		h = maphash.Bytes(r.seed, k.ip[:])
	} else {
		h = maphash.String(r.seed, k.id)
	}
	return &r.shards[h%resShards]
}

// result is the Result of a check of n events served from e at now:
// ResetAfter is the store's answer at the reservation less the time since,
// less what is still reserved; Remaining follows from it.
func (e *reservation) result(now int64, n int) Result {
	t := int64(e.limit.Interval())
	reset := max(0, e.full-now-int64(e.tokens)*t)
	return Result{
		Limit:      e.limit,
		Allowed:    n,
		Remaining:  e.limit.MaxBurst() - int((reset+t-1)/t),
		ResetAfter: time.Duration(reset),
	}
}

// take spends n reserved events of k under lim, if there are enough.
// Otherwise, while another check of this Limiter fetches a batch for k, it
// returns that fetch's channel to wait on (unless mayWait is false);
// else it returns how many events to ask of the store: n for a key
// without recent use, more for a key whose reservations are being spent,
// and then mine, the channel of this check's fetch, which done closes.
func (r *reservations) take(k *memKey, lim Limit, n int, mayWait bool) (res Result, local bool, ask int, wait, mine chan struct{}) {
	sh := r.shard(k)
	now := r.now()
	ask = n
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e, ok := sh.m[*k]
	switch {
	case !ok || e.limit != lim:
	case now < e.at+r.hold && e.tokens >= n:
		e.tokens -= n
		e.used += n
		sh.m[*k] = e
		return e.result(now, n), true, 0, nil, nil
	case now < e.exact:
	case e.fetch != nil && mayWait: // a batch is on its way
		return Result{}, false, 0, e.fetch, nil
	case e.fetch != nil:
	case now < e.at+r.hold: // spent within hold: reserve twice as much
		ask = 2 * e.size
	case now < e.at+2*r.hold: // ran out of time: reserve what was spent
		ask = e.used
	}
	ask = max(n, min(ask, r.batch, lim.MaxBurst()))
	if ask > n { // one batch in flight per key: the others wait for it
		mine = make(chan struct{})
		e.fetch = mine
		sh.m[*k] = e
	}
	return Result{}, false, ask, nil, mine
}

// done ends the fetch of k whose channel is mine, waking its waiters.
func (r *reservations) done(k *memKey, mine chan struct{}) {
	sh := r.shard(k)
	sh.mu.Lock()
	if e, ok := sh.m[*k]; ok && e.fetch == mine {
		e.fetch = nil
		sh.m[*k] = e
	}
	sh.mu.Unlock()
	close(mine)
}

// keep records a reservation of asked events under lim for k, n of them
// spent by the check that asked, requested at sent and answered with res;
// denied tells that a larger batch was denied first.
func (r *reservations) keep(k *memKey, lim Limit, asked, n int, sent int64, res Result, denied bool) reservation {
	sh := r.shard(k)
	full := sent + int64(res.ResetAfter)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	now := r.now()
	e, ok := sh.m[*k]
	ok = ok && e.limit == lim
	var exact int64 // a denied batch: exact checks for a while, one round trip each
	switch {
	case denied:
		exact = sent + r.hold
	case ok:
		exact = e.exact
	}
	if ok && e.tokens > 0 && now < e.at+r.hold {
		// Another check reserved meanwhile: add ours to its events, which
		// expire first.
		e.tokens += asked - n
		e.used += n
		e.size = max(e.size, asked)
		e.full = max(e.full, full)
		e.exact = exact
		sh.m[*k] = e
		return e
	}
	e = reservation{limit: lim, tokens: asked - n, size: asked, used: n, at: sent, full: full, exact: exact, fetch: e.fetch}
	if _, held := sh.m[*k]; held || sh.room(now, r.hold) {
		sh.m[*k] = e
	}
	return e
}

// exactFor makes the checks of k under lim ask for exactly n for hold
// from sent, when a batch and n were both denied.
func (r *reservations) exactFor(k *memKey, lim Limit, sent int64) {
	sh := r.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if e, ok := sh.m[*k]; ok && e.limit == lim {
		e.exact = sent + r.hold
		sh.m[*k] = e
	}
}

// room reports whether sh may hold one more key, sweeping the keys whose
// reservation can no longer be spent nor size the next one. The shard
// must be locked.
func (sh *resShard) room(now, hold int64) bool {
	if len(sh.m) < sh.nextSweep {
		return true
	}
	if now < sh.fullUntil {
		return false
	}
	for k, e := range sh.m {
		if now >= e.at+2*hold {
			delete(sh.m, k)
		}
	}
	sh.nextSweep = min(resPerShard, 2*len(sh.m)+16)
	if len(sh.m) >= resPerShard {
		sh.fullUntil = now + hold/4 // sweep again only when some may have expired
		return false
	}
	return true
}

// drop forgets k's reservation.
func (r *reservations) drop(k *memKey) {
	sh := r.shard(k)
	sh.mu.Lock()
	delete(sh.m, *k)
	sh.mu.Unlock()
}

// len returns the number of keys held (for tests).
func (r *reservations) len() int {
	n := 0
	for i := range r.shards {
		sh := &r.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// allowReserved is Allow on a store other than a MemoryStore with
// WithReservation: n > 0 events under lim, which passes Validate. local
// reports a check served from the reservation.
func (l *Limiter) allowReserved(ctx context.Context, key *Key, lim Limit, n int) (res Result, local bool, err error) {
	if err := ctx.Err(); err != nil {
		return Result{}, false, fmt.Errorf("ratelimit: allow: %w", err)
	}
	k := limiterKey(key)
	for waits := 0; ; waits++ {
		res, local, ask, wait, mine := l.res.take(&k, lim, n, waits < 2)
		if local {
			return res, true, nil
		}
		if wait == nil {
			return l.fetch(ctx, key, &k, lim, n, ask, mine)
		}
		select { // another check's batch: a round trip saved
		case <-wait:
		case <-ctx.Done():
			return Result{}, false, fmt.Errorf("ratelimit: allow: %w", ctx.Err())
		}
	}
}

// fetch asks the store for ask events of key (k) under lim, n of them for
// this check, and keeps the rest; mine, when not nil, is the channel of
// this batch fetch, closed at the end.
func (l *Limiter) fetch(ctx context.Context, key *Key, k *memKey, lim Limit, n, ask int, mine chan struct{}) (res Result, local bool, err error) {
	if mine != nil {
		defer l.res.done(k, mine)
	}
	sk, err := key.storeKey()
	if err != nil {
		return Result{}, false, err
	}
	sent := l.res.now()
	if res, err = l.store.Allow(ctx, sk, lim, ask); err != nil {
		return Result{}, false, fmt.Errorf("ratelimit: allow: %w", err)
	}
	denied := res.Allowed == 0 && ask > n
	if denied { // near the limit: exactly n
		ask, sent = n, l.res.now()
		if res, err = l.store.Allow(ctx, sk, lim, n); err != nil {
			return Result{}, false, fmt.Errorf("ratelimit: allow: %w", err)
		}
	}
	if res.Allowed == 0 {
		if denied {
			l.res.exactFor(k, lim, sent)
		}
		return res, false, nil
	}
	e := l.res.keep(k, lim, ask, n, sent, res, denied)
	if ask == n {
		return res, false, nil // exact: the store's answer
	}
	return e.result(l.res.now(), n), false, nil
}
