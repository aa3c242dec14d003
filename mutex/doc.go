// Package mutex is a lock with a time to live, held by one caller at a
// time among the goroutines of a process (the in-memory store) or among
// every instance of a service (the Redis store, mutex/redisstore), with
// fencing tokens and an optional watchdog. It is the Go successor of
// apicrud's Mutex.
//
// # Overview
//
//	locker, err := mutex.New(mutex.WithStore(store)) // store from mutexredis.New(rdb); mutex.New() in one process
//	defer locker.Close(ctx)
//
//	lock, err := locker.Acquire(ctx, "nightly-report", 30*time.Second)
//	if errors.Is(err, mutex.ErrNotObtained) {
//		return nil // someone else is doing it
//	} else if err != nil {
//		return err // the store failed: nobody knows who holds the lock
//	}
//	defer lock.Release(context.WithoutCancel(ctx))
//	// … work, sending lock.FencingToken() with every write …
//
// A lock has a name (1 to MaxNameLength bytes, any bytes) and is held for
// a time to live (TTL, at least a millisecond) from the moment it is
// obtained or extended: a holder that crashes blocks the others only until
// its TTL ends. A lock is not re-entrant: its holder trying again is
// refused like anyone else.
//
// # Semantics
//
// [Locker.TryAcquire] makes one attempt: it returns a [Lock], or
// [ErrNotObtained] when the lock is held.
//
// [Locker.Acquire] waits while the lock is held: it tries again after a
// pause that starts at 10 ms and doubles up to 500 ms ([WithBackoff]), each
// pause drawn at random from the upper half of its bound (jitter, so that
// waiters spread out), for up to 20 s ([WithMaxWait]) or until ctx ends,
// whichever comes first; the last attempt is made when the max wait runs
// out. It returns ErrNotObtained when the wait ran out, and ErrNotObtained
// joined with ctx.Err() when ctx ended (test both with [errors.Is]).
// Acquire is not fair: a later waiter may get the lock first.
//
// [Lock.Release] frees the lock if this Lock still holds it, in one step
// (compare-and-delete: the store deletes the lock only if it still holds
// this Lock's random token). It returns [ErrNotHeld] when the lock had
// expired or was released already; a late Release never frees the lock of
// the holder that came after. Call Release with a context that is still
// live (context.WithoutCancel in a defer): a Release that cannot reach the
// store leaves the lock held until its TTL.
//
// [Lock.Extend] sets the lock to expire ttl from now, if this Lock still
// holds it (compare-and-expire; it can shorten the lock too), else
// ErrNotHeld.
//
// Each hold has a secret token of 128 random bits, which never appears in
// String, GoString or LogValue of a Lock, and a fencing token.
//
// # Fencing tokens
//
// A lock with a TTL cannot by itself protect a resource from a holder that
// stalls (a GC pause, a slow network, a suspended VM) past its TTL: the
// lock goes to someone else, and the stalled holder, unaware, writes after
// the new one. [Lock.FencingToken] is the defence (Martin Kleppmann, "How
// to do distributed locking", 2016): a number that is strictly greater for
// every hold of a lock name than for all earlier holds of that name,
// expired ones included. The holder sends it with every write, and the
// resource refuses writes whose token is lower than the highest it has
// accepted:
//
//	lock, err := locker.Acquire(ctx, "report:"+id, 30*time.Second)
//	…
//	res, err := db.ExecContext(ctx,
//		`UPDATE report SET body = $1, fence = $2 WHERE id = $3 AND fence <= $2`,
//		body, lock.FencingToken(), id)
//	// 0 rows affected: a later holder has written; this one was fenced off
//	// and must stop.
//
// The check and the write must be one atomic step in the resource (one
// conditional UPDATE, a compare-and-set, a Lua script), as in the example
// of [Lock.FencingToken]. Tokens are per name and per store: the memory
// store's count 1, 2, 3, … (the Locker's failed attempts take none); the
// Redis store's follow the server's clock in microseconds, so that its
// counters can expire (see mutex/redisstore). The memory store's counters
// start again at 1 in a new process, so a resource that keeps tokens
// longer than a process lives needs the Redis store, whose tokens keep
// growing across restarts and counter expiries.
//
// # Watchdog
//
// [Lock.Watchdog] starts a goroutine that extends the lock by its TTL
// every third of the TTL, for work whose length is not known in advance.
// The Lock owns it: Release stops it (cancelling an extension in flight)
// and waits for it, so no goroutine outlives the Lock's use, and a
// Lock with a watchdog must be released. Watchdog returns a context for the
// work that ends when Release is called (cause context.Canceled), when the
// context given to Watchdog ends (the watchdog stops, and the lock expires
// after its TTL), or when the lock is lost (cause wrapping ErrNotHeld): an
// extension found it held by someone else, or extensions kept failing (each
// is given a third of the TTL) until less than a third of the TTL might be
// left, so that the holder is told to stop while the lock is still its
// own.
//
//	wctx, err := lock.Watchdog(ctx)
//	…
//	err = migrate(wctx) // returns when wctx ends
//	if errors.Is(context.Cause(wctx), mutex.ErrNotHeld) { /* lost: the work may be incomplete */ }
//	lock.Release(ctx)
//
// A watchdog keeps a lock alive; it does not make it safe: fencing tokens
// are still the only protection against a holder that stalls for longer
// than a TTL.
//
// # Backends
//
// The [Store] interface (store.go) has three methods, Obtain, Extend and
// Release, each one atomic step on the store's clock; mutex/storetest is
// the conformance suite every Store passes.
//
// [MemoryStore], the default of New, holds the locks of one process: one
// critical section per call, the process's monotonic clock for TTLs. It
// keeps one small entry per name ever locked (the fencing counter).
//
// The Redis store, mutex/redisstore (import alias mutexredis), holds locks
// shared by every instance on one Redis (single, Sentinel or Cluster):
//
//   - round trips: TryAcquire 1; Acquire 1 per attempt; Extend 1; Release
//     1; a watchdog 1 every third of the TTL; nothing else in the
//     background. Each is one Lua script (EVALSHA, EVAL after NOSCRIPT).
//   - keys: <prefix>{<name>}:lock holds the holder's token, with the lock's
//     TTL (SET NX PX, so expiry is measured by the Redis server's clock);
//     <prefix>{<name>}:fence is the fencing counter, kept for a day
//     (mutexredis.WithFenceRetention) after its last token. The default prefix is "apicrud:mutex:"
//     (mutexredis.WithPrefix); the braces are a Cluster hash tag, so both
//     keys of a name are in one slot.
//
// # Failure policy
//
// A store failure (Redis unreachable, a timeout) is returned as an error
// wrapping the store's, at once: TryAcquire and Acquire never report it as
// ErrNotObtained and never retry it blindly until the max wait, and there
// is no fallback to a process-local lock, which would let two instances
// hold the same lock. An attempt cut short by ctx may still have taken the
// lock in Redis; it then expires after its TTL. A Release that failed may
// be called again; otherwise the lock expires after its TTL. The watchdog
// logs failed extensions as warnings to the WithLogger logger (silent by
// default) and gives up as described above.
//
// Redis replicates asynchronously: after a failover, the newest locks and
// fencing tokens may be lost, so two holders can briefly hold one lock,
// with equal fencing tokens. A resource that must survive that accepts a
// token only once (fence < token instead of fence <= token); this package
// does not implement Redlock.
//
// # Differences from apicrud
//
// apicrud's Mutex made up to maxwait=20 attempts one
// second apart; Acquire keeps the 20 s default but backs off from 10 ms with
// jitter, so a freed lock is taken within half a second rather than a
// second, and waiters do not retry in step. Its ttl=0 meant "redis_ttl";
// here the TTL is required, and less than a millisecond is
// [ErrInvalidTTL]. Connection errors counted as failed attempts; here they
// are returned at once. TimeoutError("Unable to acquire mutex") is
// ErrNotObtained. Its release read the key and deleted it in two commands,
// so it could delete a lock someone else had just obtained;
// here it is one compare-and-delete script. A release by a holder whose
// lock had expired raised TimeoutError("Mutex held too long"), and on a
// key that no longer existed it crashed; both are ErrNotHeld here.
// Its signature was an 8-character gen_id; tokens here have 128 random
// bits. Its key was mutex:<name>; keys here are different (see Backends),
// so a Go and a Python service locking the same name do not exclude each
// other. The context manager becomes defer lock.Release(ctx). Fencing
// tokens and the watchdog are new.
//
// # Concurrency
//
// Locker, Lock, MemoryStore and the Redis store are safe for concurrent
// use by multiple goroutines; Locker and Lock must not be copied. A
// Locker's configuration is fixed by New. [Locker.Close] stops the sweeper
// of the MemoryStore that New created; a Store given with WithStore is its
// creator's to close, and a Redis store never closes its client.
package mutex
