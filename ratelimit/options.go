package ratelimit

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// Option configures New.
type Option func(*config) error

type config struct {
	store     Store
	def       Limit
	anon      *Limit
	source    LimitSource
	sourceTTL time.Duration
	log       *slog.Logger
	keyFunc   func(*http.Request) (string, bool)
	proxies   []netip.Prefix
	failOpen  bool
	onError   func(*http.Request, error)
	policy    string
	tp        trace.TracerProvider
	resBatch  int           // WithReservation; 0: exact
	resHold   time.Duration // WithReservation
}

// WithTracerProvider makes the Limiter emit an OpenTelemetry span for every
// Allow ("apicrud.ratelimit.Allow", with the service, whether the key is an
// account or an IP, the limit, the remaining events and the outcome, and
// with WithReservation whether the check was served from the Limiter's
// reservation, "apicrud.ratelimit.local"; never the UID or the IP).
// Default: none, no span and no cost.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) error {
		c.tp = tp
		return nil
	}
}

// WithLimitSourceTTL keeps each answer of the LimitSource (per UID and
// service) in this process for ttl, so that most checks cost no
// LimitSource call (with grants on Redis, one round trip less per
// request). A changed limit then takes effect within ttl. Errors are not
// kept. Default: 0, the LimitSource is asked at every check.
func WithLimitSourceTTL(ttl time.Duration) Option {
	return func(c *config) error {
		if ttl < 0 {
			return fmt.Errorf("%w: negative limit source TTL %v", ErrOption, ttl)
		}
		c.sourceTTL = ttl
		return nil
	}
}

// WithStore sets the Store (for example ratelimitredis.New(rdb) to share
// limits between instances). The Limiter does not close a Store it is given.
// A nil store is rejected. Default: a MemoryStore owned and closed by the
// Limiter.
func WithStore(s Store) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: nil Store", ErrOption)
		}
		c.store = s
		return nil
	}
}

// WithDefaultLimit sets the limit of authenticated callers for whom the
// LimitSource has no limit (or when there is no LimitSource), and its
// Period is the period of the LimitSource's numbers. It must pass
// Validate. Default: DefaultRate per DefaultPeriod (500 per 5 minutes).
func WithDefaultLimit(l Limit) Option {
	return func(c *config) error {
		if err := l.Validate(); err != nil {
			return fmt.Errorf("%w: default limit: %w", ErrOption, err)
		}
		c.def = l
		return nil
	}
}

// WithAnonymousLimit sets the limit of keys without a UID, that is of
// anonymous HTTP requests limited by client IP. It must pass Validate.
// Default: the default limit (apicrud did not limit anonymous traffic at
// all).
func WithAnonymousLimit(l Limit) Option {
	return func(c *config) error {
		if err := l.Validate(); err != nil {
			return fmt.Errorf("%w: anonymous limit: %w", ErrOption, err)
		}
		c.anon = &l
		return nil
	}
}

// WithLimitSource sets where per-account limits come from (the grants
// package implements LimitSource). A nil source is rejected. Default: none,
// every authenticated key gets the default limit.
func WithLimitSource(s LimitSource) Option {
	return func(c *config) error {
		if s == nil {
			return fmt.Errorf("%w: nil LimitSource", ErrOption)
		}
		c.source = s
		return nil
	}
}

// WithLogger receives warnings: failed checks in the HTTP middleware.
// Default: discard.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l != nil {
			c.log = l
		}
		return nil
	}
}

// WithKeyFunc sets how the HTTP middleware finds the authenticated
// principal of a request: fn returns its uid and true, or false for an
// anonymous request, which is then limited by client IP. fn typically reads
// the principal that an authentication middleware placed in the request
// context, so the rate-limit middleware must run after it. Never return an
// identity the request merely claims (apicrud limited by the Basic user name
// even when the password was wrong, so anyone could exhaust a victim's
// budget). Default: every request is limited by client IP.
func WithKeyFunc(fn func(r *http.Request) (uid string, ok bool)) Option {
	return func(c *config) error {
		c.keyFunc = fn
		return nil
	}
}

// WithTrustedProxies sets the reverse proxies (addresses such as
// "10.0.0.7" or prefixes such as "10.0.0.0/8") whose X-Forwarded-For the
// HTTP middleware believes. When the peer of a request is one of them, the
// client IP is the rightmost X-Forwarded-For address that is not a trusted
// proxy; otherwise the header is ignored, because any client can send it.
// It is heavily encouraged to list exactly your proxies: trusting a prefix
// that clients can connect from lets them choose their own rate-limit key.
// Default: none, the client IP is always the peer address.
func WithTrustedProxies(proxies ...string) Option {
	return func(c *config) error {
		for _, p := range proxies {
			p = strings.TrimSpace(p)
			var pfx netip.Prefix
			if strings.Contains(p, "/") {
				var err error
				if pfx, err = netip.ParsePrefix(p); err != nil {
					return fmt.Errorf("%w: trusted proxy %q: %w", ErrOption, p, err)
				}
			} else {
				a, err := netip.ParseAddr(p)
				if err != nil {
					return fmt.Errorf("%w: trusted proxy %q: %w", ErrOption, p, err)
				}
				a = a.Unmap().WithZone("")
				pfx = netip.PrefixFrom(a, a.BitLen())
			}
			if pfx.Addr().Is4In6() { // client addresses are unmapped before matching
				bits := pfx.Bits() - 96
				if bits < 0 {
					return fmt.Errorf("%w: trusted proxy %q: an IPv4-mapped prefix shorter than /96", ErrOption, p)
				}
				pfx = netip.PrefixFrom(pfx.Addr().Unmap(), bits)
			}
			c.proxies = append(c.proxies, pfx.Masked())
		}
		return nil
	}
}

// WithFailOpen chooses what the HTTP middleware does when a check cannot be
// made (the store is unreachable, or the LimitSource fails): true lets the
// request through without RateLimit headers; false (the default,
// fail-closed) answers 503 with an application/problem+json body. Either
// way the error goes to the logger and to the WithErrorFunc function. Fail
// closed for anything that protects accounts (login); fail open only where
// availability matters more than the limit.
func WithFailOpen(open bool) Option {
	return func(c *config) error {
		c.failOpen = open
		return nil
	}
}

// WithErrorFunc is called (synchronously, from the HTTP middleware) with
// every check that could not be made, before the fail-open or fail-closed
// response; use it to count or alert. It must not write to the response.
// Default: only the logger is told.
func WithErrorFunc(fn func(r *http.Request, err error)) Option {
	return func(c *config) error {
		c.onError = fn
		return nil
	}
}

// WithPolicyName sets the policy name that the HTTP middleware sends in
// its RateLimit-Policy and RateLimit fields: 1 to 64 printable ASCII
// characters. Default: "default".
func WithPolicyName(name string) Option {
	return func(c *config) error {
		if name == "" || len(name) > 64 {
			return fmt.Errorf("%w: policy name must have 1 to 64 characters", ErrOption)
		}
		for i := 0; i < len(name); i++ {
			if name[i] < 0x20 || name[i] > 0x7e {
				return fmt.Errorf("%w: policy name %q has a character that is not printable ASCII", ErrOption, name)
			}
		}
		c.policy = name
		return nil
	}
}
