package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/ratelimit"
)

// DefaultPrefix is the key prefix unless WithPrefix changes it.
const DefaultPrefix = "apicrud:ratelimit:"

var (
	//go:embed gcra.lua
	gcraSrc string
	//go:embed reset.lua
	resetSrc string

	gcraScript  = redis.NewScript(gcraSrc)
	resetScript = redis.NewScript(resetSrc)
)

// Store is the Redis ratelimit.Store. It is safe for concurrent use. It
// does not own the client: closing the client is the caller's business.
type Store struct {
	rdb    redis.Scripter
	prefix string
	local  bool // WithLocalDenials

	mu        sync.Mutex
	denials   map[string]denial // keys known to be over their limit
	nDenials  atomic.Int64      // len(denials), read without the lock
	nextSweep int               // len(denials) at which expired denials are dropped
}

// denial is a denied request of n events under limit, sent at sent (local
// monotonic clock), and the server's answer: the same request is allowed
// again retry after the server read its clock, and the bucket is full
// reset after it.
type denial struct {
	limit        ratelimit.Limit
	n            int
	sent         time.Time
	retry, reset time.Duration
}

var _ ratelimit.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithPrefix sets the key prefix (default DefaultPrefix). Stores with the
// same prefix on the same Redis share their limits.
// The prefix must be 1 to 128 bytes without "{", "}", spaces or control
// characters (ErrOption).
func WithPrefix(prefix string) Option {
	return func(s *Store) error {
		if err := rediskey.CheckPrefix(prefix); err != nil {
			return fmt.Errorf("%w: %w", ErrOption, err)
		}
		s.prefix = prefix
		return nil
	}
}

// WithLocalDenials sets whether the Store remembers denials (default
// true): after a denial, the same or a larger request on the same key and
// limit is denied without a round trip until the time the server gave for
// it to be allowed, measured from when the denied request was sent (so
// never later than the server would allow it: other instances can only
// take more from the bucket). The one exception is a Reset made through
// another Store (another instance): this Store keeps denying for at most
// the RetryAfter of the denial it remembers. A Reset through this Store
// forgets the denial at once.
func WithLocalDenials(enabled bool) Option {
	return func(s *Store) error {
		s.local = enabled
		return nil
	}
}

// New returns a Store on rdb: a *redis.Client, *redis.ClusterClient,
// *redis.Ring, a Sentinel failover client, or any redis.Scripter.
// An invalid option value is an error wrapping ErrOption.
func New(rdb redis.Scripter, opts ...Option) (*Store, error) {
	s := &Store{rdb: rdb, prefix: DefaultPrefix, local: true, denials: map[string]denial{}}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) key(key string) []string {
	return []string{rediskey.Tagged(s.prefix, key, "")}
}

// Allow implements ratelimit.Store: one round trip (gcra.lua, EVALSHA with
// EVAL on NOSCRIPT), on the server's clock.
func (s *Store) Allow(ctx context.Context, key string, limit ratelimit.Limit, n int) (ratelimit.Result, error) {
	us := limit.Interval().Microseconds()
	if us < 1 {
		return ratelimit.Result{}, fmt.Errorf("ratelimitredis: allow: %w", limit.Validate())
	}
	if s.local && s.nDenials.Load() > 0 {
		if res, ok := s.denied(key, limit, n); ok {
			return res, nil
		}
	}
	if err := ctx.Err(); err != nil {
		return ratelimit.Result{}, fmt.Errorf("ratelimitredis: allow: %w", err)
	}
	sent := time.Now()
	reply, err := gcraScript.Run(ctx, s.rdb, s.key(key), us, limit.MaxBurst(), n).Result()
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("ratelimitredis: allow: %w", err)
	}
	v, err := rediskey.Int64(reply)
	if err != nil {
		return ratelimit.Result{}, fmt.Errorf("ratelimitredis: allow: %w", err)
	}
	res := decode(v, limit, n)
	if s.local && res.Allowed == 0 && res.RetryAfter > 0 {
		s.remember(key, denial{limit: limit, n: n, sent: sent, retry: res.RetryAfter, reset: res.ResetAfter})
	}
	return res, nil
}

// decode turns gcra.lua's reply v into a Result: for an allowed request
// the time until the bucket is full again (>= 0), for a denied one minus
// the time until it would be allowed, both in microseconds.
func decode(v int64, limit ratelimit.Limit, n int) ratelimit.Result {
	t := limit.Interval().Microseconds()
	bt := int64(limit.MaxBurst()) * t
	res := ratelimit.Result{Limit: limit}
	var reset int64
	if v >= 0 {
		res.Allowed, reset = n, v
	} else {
		res.RetryAfter = time.Duration(-v) * time.Microsecond
		reset = -v - int64(n)*t + bt
	}
	res.ResetAfter = time.Duration(reset) * time.Microsecond
	res.Remaining = int(floorDiv(bt-reset, t))
	return res
}

// floorDiv is a / b rounded down (Lua's math.floor of the quotient).
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// denied answers from a remembered denial of key, when the request is
// certainly denied: same limit, at least as many events, before the time
// the server gave.
func (s *Store) denied(key string, limit ratelimit.Limit, n int) (ratelimit.Result, bool) {
	s.mu.Lock()
	d, ok := s.denials[key]
	s.mu.Unlock()
	if !ok || d.limit != limit || n < d.n {
		return ratelimit.Result{}, false
	}
	elapsed := time.Since(d.sent)
	extra := time.Duration(n-d.n) * limit.Interval().Truncate(time.Microsecond)
	retry := d.retry + extra - elapsed
	if retry <= 0 {
		return ratelimit.Result{}, false
	}
	reset := d.reset - elapsed
	t := limit.Interval().Microseconds()
	return ratelimit.Result{
		Limit:      limit,
		Remaining:  int(floorDiv(int64(limit.MaxBurst())*t-reset.Microseconds(), t)),
		RetryAfter: retry,
		ResetAfter: reset,
	}, true
}

// remember keeps a denial of key; expired denials are dropped whenever the
// number of denials has doubled.
func (s *Store) remember(key string, d denial) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denials[key] = d
	if len(s.denials) >= s.nextSweep {
		for k, old := range s.denials {
			if time.Since(old.sent) >= old.retry {
				delete(s.denials, k)
			}
		}
		s.nextSweep = 2*len(s.denials) + 64
	}
	s.nDenials.Store(int64(len(s.denials)))
}

// forget drops the denial of key.
func (s *Store) forget(key string) {
	s.mu.Lock()
	delete(s.denials, key)
	s.nDenials.Store(int64(len(s.denials)))
	s.mu.Unlock()
}

// Reset implements ratelimit.Store: one round trip (reset.lua).
func (s *Store) Reset(ctx context.Context, key string) error {
	s.forget(key)
	if err := resetScript.Run(ctx, s.rdb, s.key(key)).Err(); err != nil {
		return fmt.Errorf("ratelimitredis: reset: %w", err)
	}
	return nil
}
