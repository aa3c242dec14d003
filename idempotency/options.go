package idempotency

import (
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Defaults of the options.
const (
	DefaultTTL     = 24 * time.Hour
	DefaultLockTTL = time.Minute
	DefaultMaxBody = 1 << 20
)

type config struct {
	store   Store
	ttl     time.Duration
	lockTTL time.Duration
	maxBody int64
	scope   func(*http.Request) string
	log     *slog.Logger
	tp      trace.TracerProvider
}

// WithTracerProvider makes the Keeper emit an OpenTelemetry span when it
// looks a request's key up ("apicrud.idempotency.Begin", with the outcome:
// "started", "replayed", "in_progress" or "key_reused") and when it stores
// or abandons the answer ("apicrud.idempotency.Complete",
// "apicrud.idempotency.Abandon"); never the key itself. Default: none, no
// span and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		c.tp = tp
		return nil
	}
}

// Option configures New.
type Option func(*config) error

// WithStore sets the Store; the default is a MemoryStore the Keeper owns
// (and closes in Close). A store passed here is not closed by the Keeper.
func WithStore(s Store) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: WithStore(nil)", ErrOption)
		}
		c.store = s
		return nil
	}
}

// WithTTL sets how long an answer is kept for replay; the default is
// DefaultTTL (24 h). It must be positive.
func WithTTL(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithTTL(%v): must be positive", ErrOption, d)
		}
		c.ttl = d
		return nil
	}
}

// WithLockTTL sets how long a key stays reserved by a request that has not
// finished (a crashed process's reservation ends then); the default is
// DefaultLockTTL (1 min). It must be positive and longer than any request.
func WithLockTTL(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: WithLockTTL(%v): must be positive", ErrOption, d)
		}
		c.lockTTL = d
		return nil
	}
}

// WithMaxBody sets the largest request body fingerprinted; the default is
// DefaultMaxBody (1 MiB). A larger body with an Idempotency-Key answers 413.
func WithMaxBody(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("%w: WithMaxBody(%d): must be positive", ErrOption, n)
		}
		c.maxBody = n
		return nil
	}
}

// WithScope sets the function that names the owner of a request's keys
// (for example the authenticated account's ID): keys are per scope. The
// default puts every key in one scope.
func WithScope(fn func(*http.Request) string) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: WithScope(nil)", ErrOption)
		}
		c.scope = fn
		return nil
	}
}

// WithLogger sets the logger for store failures; the default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger(nil)", ErrOption)
		}
		c.log = l
		return nil
	}
}
