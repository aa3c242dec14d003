package apikey

import (
	"fmt"
	"log/slog"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Defaults of New.
const (
	// DefaultTouchInterval is how stale LastUsed may get before a
	// verification writes it again.
	DefaultTouchInterval = time.Hour
	// DefaultMaxScopes bounds the scopes of one key (apicrud's scopes_max).
	DefaultMaxScopes = 16
)

// Option configures New. Later options win.
type Option func(*options) error

type options struct {
	store     Store
	owners    OwnerSource
	touch     time.Duration
	cacheTTL  time.Duration
	pepper    []byte
	maxScopes int
	log       *slog.Logger
	tp        trace.TracerProvider
}

// WithStore sets the Store (for example sqlstore.New(db)); the Manager
// never closes a store it is given. Default: a MemoryStore owned and
// closed by the Manager. nil is rejected.
func WithStore(s Store) Option {
	return func(o *options) error {
		if s == nil {
			return fmt.Errorf("%w: WithStore: nil Store", ErrOption)
		}
		o.store = s
		return nil
	}
}

// WithOwners sets where the roles and account id of a key's owner come
// from, looked up at every verification. Default: every owner has the
// single role "user" and no account id.
func WithOwners(s OwnerSource) Option {
	return func(o *options) error {
		if s == nil {
			return fmt.Errorf("%w: WithOwners: nil OwnerSource", ErrOption)
		}
		o.owners = s
		return nil
	}
}

// WithTouchInterval sets how often, at most, a verification records the
// key's use in the store (default DefaultTouchInterval, one hour; at least
// a second).
func WithTouchInterval(d time.Duration) Option {
	return func(o *options) error {
		if d < time.Second {
			return fmt.Errorf("%w: WithTouchInterval: %v under 1s", ErrOption, d)
		}
		o.touch = d
		return nil
	}
}

// WithCache keeps stored keys (never secrets) in memory for ttl, so that
// a verification does not read the store every time (default 0: no
// cache). The secret is still hashed and compared with the stored hash on
// every verification. A revocation through this Manager takes effect at
// once; through another instance, within ttl.
func WithCache(ttl time.Duration) Option {
	return func(o *options) error {
		if ttl < 0 {
			return fmt.Errorf("%w: WithCache: negative ttl", ErrOption)
		}
		o.cacheTTL = ttl
		return nil
	}
}

// WithPepper stores HMAC-SHA-256(pepper, secret) instead of SHA-256(secret)
// (default: no pepper), so that a stolen key table cannot even be used to
// test guesses without the pepper. Changing the pepper invalidates every
// key. At least 32 bytes.
func WithPepper(pepper []byte) Option {
	return func(o *options) error {
		if len(pepper) < 32 {
			return fmt.Errorf("%w: WithPepper: pepper under 32 bytes", ErrOption)
		}
		o.pepper = slices.Clone(pepper)
		return nil
	}
}

// WithMaxScopes bounds the scopes of one key (default DefaultMaxScopes).
func WithMaxScopes(n int) Option {
	return func(o *options) error {
		if n < 0 {
			return fmt.Errorf("%w: WithMaxScopes: %d", ErrOption, n)
		}
		o.maxScopes = n
		return nil
	}
}

// WithLogger receives failed last-used updates (at warn level) and refused
// keys (at debug level, by prefix only). Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger: nil logger", ErrOption)
		}
		o.log = l
		return nil
	}
}
