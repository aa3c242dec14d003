package mutex

import (
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Defaults of New.
const (
	// DefaultMaxWait is how long Acquire waits for a held lock, as
	// apicrud's Mutex (maxwait=20).
	DefaultMaxWait = 20 * time.Second
	// DefaultMinBackoff and DefaultMaxBackoff bound the pause between two
	// attempts of Acquire: it starts at the minimum and doubles up to the
	// maximum, each pause drawn at random from its upper half (jitter).
	DefaultMinBackoff = 10 * time.Millisecond
	DefaultMaxBackoff = 500 * time.Millisecond
)

// MaxNameLength is the longest lock name, in bytes.
const MaxNameLength = 1024

// Option configures New.
type Option func(*config) error

type config struct {
	store      Store
	maxWait    time.Duration
	minBackoff time.Duration
	maxBackoff time.Duration
	log        *slog.Logger
	tp         trace.TracerProvider
}

// WithTracerProvider makes the Locker emit an OpenTelemetry span for every
// TryAcquire, Acquire, Extend and Release ("apicrud.mutex.Acquire"...):
// the lock's name hashed, its TTL, the time waited and the attempts made,
// the fencing token and the outcome; never the name itself or the
// ownership token. The watchdog's extensions make no span. Default: none,
// no span and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		c.tp = tp
		return nil
	}
}

// WithStore sets the Store (for example mutexredis.New(rdb) for locks
// shared between processes). The Locker does not close a Store it is given.
// A nil store is rejected. Default: a MemoryStore (locks within this
// process) owned and closed by the Locker.
func WithStore(s Store) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: nil Store", ErrOption)
		}
		c.store = s
		return nil
	}
}

// WithMaxWait sets how long Acquire waits for a held lock before it
// returns ErrNotObtained; the context can end the wait earlier. It must be
// positive. Default: DefaultMaxWait (20 s).
func WithMaxWait(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: max wait %v must be positive", ErrOption, d)
		}
		c.maxWait = d
		return nil
	}
}

// WithBackoff sets the pauses between Acquire's attempts: the first is at
// most min, each next one at most twice the previous, up to max; each is
// drawn at random between half its bound and its bound, so that waiters
// spread out. It needs 0 < min <= max. Default: DefaultMinBackoff (10 ms)
// to DefaultMaxBackoff (500 ms).
func WithBackoff(minPause, maxPause time.Duration) Option {
	return func(c *config) error {
		if minPause <= 0 || maxPause < minPause {
			return fmt.Errorf("%w: backoff %v to %v: need 0 < min <= max", ErrOption, minPause, maxPause)
		}
		c.minBackoff, c.maxBackoff = minPause, maxPause
		return nil
	}
}

// WithLogger receives warnings: watchdog extensions that failed. Default:
// discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.log = l
		}
		return nil
	}
}
