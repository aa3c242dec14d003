package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"slices"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Limits looks up usage limits; grants.Grants implements it.
type Limits interface {
	// Limit returns the integer value of grant name for account uid. A
	// negative value means no limit.
	Limit(ctx context.Context, name, uid string) (int64, error)
}

// Notice is passed to the WithNotify function when a use takes an account
// past a grant-style metric's Notify percentage.
type Notice struct {
	// UID is the account.
	UID string
	// Metric is the grant-style metric's name.
	Metric string
	// Percent is the definition's Notify.
	Percent int
	// Period is the metric's period.
	Period Period
	// Left is the credit left after the use.
	Left int64
	// Limit is the account's limit.
	Limit int64
}

// DefaultScrapeTimeout bounds the store read of one scrape when
// WithScrapeTimeout is not given.
const DefaultScrapeTimeout = 5 * time.Second

type config struct {
	store         Store
	limits        Limits
	notify        func(context.Context, Notice)
	logger        *slog.Logger
	scrapeTimeout time.Duration
	httpBuckets   []float64
	resource      func(*http.Request) string
	tp            trace.TracerProvider
}

// Option configures New.
type Option func(*config) error

// WithStore sets the store of shared values (default: a new MemoryStore,
// owned and closed by the Recorder). Use metrics/redisstore when several
// instances serve one service. A store passed here is never closed by the
// Recorder. WithStore(nil) is an error.
func WithStore(s Store) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: WithStore(nil)", ErrConfig)
		}
		c.store = s
		return nil
	}
}

// WithLimits sets where grant-style metrics read their limits (typically a
// *grants.Grants). Required when any definition is grant-style.
func WithLimits(l Limits) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLimits(nil)", ErrConfig)
		}
		c.limits = l
		return nil
	}
}

// WithNotify sets the function called, once per period, when a use takes
// an account past a grant-style metric's Notify percentage (apicrud sends a
// "usage_notify" message). It runs synchronously in the caller of Use or
// Store, so it should only enqueue the message.
func WithNotify(fn func(context.Context, Notice)) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: WithNotify(nil)", ErrConfig)
		}
		c.notify = fn
		return nil
	}
}

// WithLogger sets the logger for scrape-time problems, such as stored
// series that no longer match their definition (default: discard).
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return fmt.Errorf("%w: WithLogger(nil)", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// WithScrapeTimeout bounds the store read of one scrape of the shared
// collector (default DefaultScrapeTimeout).
func WithScrapeTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("%w: scrape timeout %v", ErrConfig, d)
		}
		c.scrapeTimeout = d
		return nil
	}
}

// WithHTTPBuckets sets the buckets (seconds) of the middleware's duration
// histogram (default prometheus.DefBuckets).
func WithHTTPBuckets(b []float64) Option {
	return func(c *config) error {
		for i, x := range b {
			if math.IsNaN(x) || math.IsInf(x, 0) || i > 0 && x <= b[i-1] {
				return fmt.Errorf("%w: HTTP buckets must be finite and increasing", ErrConfig)
			}
		}
		if len(b) == 0 {
			return fmt.Errorf("%w: no HTTP buckets", ErrConfig)
		}
		c.httpBuckets = slices.Clone(b)
		return nil
	}
}

// WithResourceFunc sets how the middleware names the resource of a request
// (default: RoutePattern, the matched route pattern without its method,
// such as "/api/v1/person/{id}", or "unmatched"). It runs after the handler, so
// r.Pattern and r.PathValue are set. It must return one of a small, fixed
// set of names, never raw input (each name is a series): for a pattern such
// as "/api/v1/{resource}/{id}", return r.PathValue("resource") only when it
// is one of your resources, and "" otherwise ("" is counted as
// "unmatched").
func WithResourceFunc(fn func(r *http.Request) string) Option {
	return func(c *config) error {
		if fn == nil {
			return fmt.Errorf("%w: WithResourceFunc(nil)", ErrConfig)
		}
		c.resource = fn
		return nil
	}
}
