package ratelimit

import "context"

// Store holds the GCRA state of every key: one instant per key, the
// theoretical arrival time (TAT) of the next event. Implementations must be
// safe for concurrent use, and each method must be one atomic step (one
// critical section in memory, one Lua script in Redis) that reads the clock
// of the store itself, so that several processes sharing a store agree.
//
// The conformance suite in ratelimit/storetest checks these rules; run it
// against any Store you write.
type Store interface {
	// Allow applies limit to key for n events and reports the outcome. The
	// Limiter only calls it with a limit that passes Validate and with
	// 0 <= n <= limit.MaxBurst(); n == 0 reports the state of key without
	// changing it. An unknown or expired key is a full bucket. A denial is a
	// Result with Allowed == 0 and RetryAfter > 0, not an error, and leaves
	// the state unchanged; an error means the check could not be made.
	//
	// The arithmetic is the one of MemoryStore: with t = limit.Interval()
	// and b = limit.MaxBurst(), tat = max(TAT, now), the request is allowed
	// when tat + n·t - b·t <= now, and then TAT becomes tat + n·t (the key
	// may expire when TAT is reached).
	Allow(ctx context.Context, key string, limit Limit, n int) (Result, error)
	// Reset forgets key, so that its next Allow starts from a full bucket.
	// Resetting an unknown key is a no-op that returns nil.
	Reset(ctx context.Context, key string) error
}
