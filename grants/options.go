package grants

import (
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// DefaultCacheTTL is how long an account's overrides stay cached when
// WithCacheTTL is not given (apicrud's redis_ttl default is 1200 s; a
// shorter TTL bounds the staleness of process-local caches).
const DefaultCacheTTL = 5 * time.Minute

type config struct {
	store    Store
	cache    Cache
	cacheTTL time.Duration
	logger   *slog.Logger
	tp       trace.TracerProvider
}

// WithTracerProvider makes Get (and Limit and RateLimit, which call it)
// emit an OpenTelemetry span, "apicrud.grants.Get", with the grant's name,
// its effective value and whether it is the account's override. Default:
// none, no span and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		c.tp = tp
		return nil
	}
}

// Option configures New.
type Option func(*config) error

// WithStore sets the store of overrides (default: a new MemoryStore, which
// the Grants owns and closes). A store passed here is never closed by the
// Grants. WithStore(nil) is an error.
func WithStore(s Store) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: WithStore(nil)", ErrConfig)
		}
		c.store = s
		return nil
	}
}

// WithCache sets the read-through cache (default: a new MemoryCache, which
// the Grants owns and closes). Use grants/redisstore when several instances
// serve one set of accounts, so that Uncache reaches all of them. A cache
// passed here is never closed by the Grants. WithCache(nil) is an error.
func WithCache(cc Cache) Option {
	return func(c *config) error {
		if cc == nil {
			return fmt.Errorf("%w: WithCache(nil)", ErrConfig)
		}
		c.cache = cc
		return nil
	}
}

// WithCacheTTL sets how long an account's overrides stay cached (default
// DefaultCacheTTL). Zero disables the cache: every lookup reads the store.
// An entry never outlives the earliest expiry among its overrides.
func WithCacheTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return fmt.Errorf("%w: negative cache TTL %v", ErrConfig, d)
		}
		c.cacheTTL = d
		return nil
	}
}

// WithLogger sets the logger for cache write failures, which do not fail a
// lookup (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger(nil)", ErrConfig)
		}
		c.logger = l
		return nil
	}
}
