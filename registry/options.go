package registry

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/defaults"
)

// Defaults of the heartbeat, as in apicrud (registry_interval 30 s,
// registry_ttl 60 s: an instance disappears after two missed heartbeats).
const (
	DefaultInterval = defaults.RegistryInterval
	DefaultTTL      = defaults.RegistryTTL
)

// Option configures New.
type Option func(*options) error

type options struct {
	store    Store
	interval time.Duration
	ttl      time.Duration
	log      *slog.Logger
	reject   func(ctx context.Context, err *EntryError)
	tp       trace.TracerProvider
}

// WithTracerProvider makes the Client emit an OpenTelemetry span for every
// heartbeat ("apicrud.registry.Heartbeat": the first one as a child of the
// Register call, the periodic ones as roots of their own traces), every
// deregistration and every Find ("apicrud.registry.Find", with the
// instances found and the entries rejected). Default: none, no span and no
// cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) error {
		o.tp = tp
		return nil
	}
}

// WithStore sets the Store (for example registryredis.New(rdb) to share
// the registry between instances). The Client does not close a Store it is
// given. A nil store is rejected. Default: a MemoryStore owned and closed
// by the Client.
func WithStore(s Store) Option {
	return func(o *options) error {
		if s == nil {
			return fmt.Errorf("%w: nil Store", ErrOption)
		}
		o.store = s
		return nil
	}
}

// WithHeartbeat sets how often a registration is refreshed and how long an
// entry lives after its last refresh. ttl must be longer than interval;
// twice the interval or more survives one lost heartbeat. Default:
// DefaultInterval, DefaultTTL.
func WithHeartbeat(interval, ttl time.Duration) Option {
	return func(o *options) error {
		if interval < time.Millisecond || ttl <= interval {
			return fmt.Errorf("%w: heartbeat interval %v and ttl %v: need 1ms <= interval < ttl", ErrOption, interval, ttl)
		}
		o.interval, o.ttl = interval, ttl
		return nil
	}
}

// WithLogger receives warnings: rejected entries, failed heartbeats,
// resources served at two URLs. Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) error {
		if l != nil {
			o.log = l
		}
		return nil
	}
}

// WithRejectFunc is called (synchronously, from Find) for every stored entry
// Find skips because it is forged, tampered, foreign or stale; err wraps
// ErrInvalidEntry or ErrStaleEntry. Use it to count or alert on injection
// attempts. Default: only the logger is told.
func WithRejectFunc(fn func(ctx context.Context, err *EntryError)) Option {
	return func(o *options) error {
		o.reject = fn
		return nil
	}
}
