package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/memstore"
	"github.com/apicrud-go/apicrud/internal/tracing"
)

// DefaultService is the service of Limiter.Handler: every API call, as
// apicrud's "*".
const DefaultService = "*"

// LimitSource gives per-account limits (the grants package implements it).
type LimitSource interface {
	// RateLimit returns how many requests uid may make to service per the
	// period of the Limiter's default limit; ok is false when the source has
	// no limit for uid, and the default limit applies. 0 requests denies
	// every request; a negative number is an error (ErrInvalidLimit).
	RateLimit(ctx context.Context, uid, service string) (requests int, ok bool, err error)
}

// Key names one bucket: a service and a caller, either an authenticated
// UID or, for an anonymous caller, an IP address. Keys with a UID get the
// LimitSource's (or the default) limit; keys without one get the anonymous
// limit of their IP.
type Key struct {
	// Service is what is limited: DefaultService ("*") for every API call,
	// or a name such as "login" or "send_sms". It may be empty.
	Service string
	// UID is the authenticated principal; empty for an anonymous caller.
	UID string
	// IP is the anonymous caller's address, used when UID is empty. IPv6
	// addresses are limited by their /64 prefix (one host usually holds a
	// whole /64), IPv4-mapped IPv6 addresses as IPv4.
	IP netip.Addr
}

// storeKey returns the Store key of k: "<service>:u:<uid>" or
// "<service>:ip:<address or /64 prefix>", with '%' and ':' in the service
// escaped so that the key is unambiguous.
func (k Key) storeKey() (string, error) {
	svc := k.Service
	if strings.ContainsAny(svc, "%:") {
		svc = strings.NewReplacer("%", "%25", ":", "%3A").Replace(svc)
	}
	if k.UID != "" {
		return svc + ":u:" + k.UID, nil
	}
	if !k.IP.IsValid() {
		return "", fmt.Errorf("%w: neither a UID nor an IP", ErrInvalidKey)
	}
	ip := k.IP.Unmap().WithZone("")
	if ip.Is4() {
		return svc + ":ip:" + ip.String(), nil
	}
	return svc + ":ip:" + netip.PrefixFrom(ip, 64).Masked().String(), nil
}

// Limiter enforces rate limits per Key, in its Store. It is safe for
// concurrent use by multiple goroutines. Use New; the zero value is not
// usable. A Limiter must not be copied.
type Limiter struct {
	tracer trace.Tracer // nil without WithTracerProvider
	store  Store
	mem    *MemoryStore                  // store, when it is a MemoryStore: takes a Key as it is
	owned  *MemoryStore                  // the store New created, closed by Close
	limits *memstore.Store[sourceAnswer] // LimitSource answers (WithLimitSourceTTL), or nil
	res    *reservations                 // WithReservation on a store other than a MemoryStore, or nil
	defT   int64                         // cfg.def.Interval(), computed once
	cfg    config
}

// New returns a Limiter configured by opts. Without options it keeps its
// state in a new MemoryStore (call Close to stop its sweeper), limits
// every key to DefaultRate per DefaultPeriod, and its HTTP middleware
// limits every request by client IP, fail-closed.
func New(opts ...Option) (*Limiter, error) {
	cfg := config{
		def:    Limit{Rate: DefaultRate, Period: DefaultPeriod},
		log:    slog.New(slog.DiscardHandler),
		policy: "default",
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	l := &Limiter{store: cfg.store, cfg: cfg, tracer: tracing.New(cfg.tp, "github.com/apicrud-go/apicrud/ratelimit")}
	l.defT = int64(cfg.def.Interval())
	if l.store == nil {
		l.owned = NewMemoryStore()
		l.store = l.owned
	}
	l.mem, _ = l.store.(*MemoryStore)
	if l.mem == nil && cfg.resBatch > 0 {
		l.res = newReservations(cfg.resBatch, cfg.resHold)
	}
	if cfg.source != nil && cfg.sourceTTL > 0 {
		l.limits = memstore.New[sourceAnswer](time.Minute)
	}
	return l, nil
}

// sourceAnswer is a LimitSource answer kept for WithLimitSourceTTL.
type sourceAnswer struct {
	requests int
	ok       bool
}

// Close stops the sweeper of the MemoryStore the Limiter created (not of a
// Store given with WithStore) and waits for it, or for ctx to end.
func (l *Limiter) Close(ctx context.Context) error {
	var errs []error
	if l.limits != nil {
		errs = append(errs, l.limits.Close(ctx))
	}
	if l.owned != nil {
		errs = append(errs, l.owned.Close(ctx))
	}
	return errors.Join(errs...)
}

// sourceLimit asks the LimitSource, or the answer kept for
// WithLimitSourceTTL.
func (l *Limiter) sourceLimit(ctx context.Context, key Key) (int, bool, error) {
	if l.limits == nil {
		return l.cfg.source.RateLimit(ctx, key.UID, key.Service)
	}
	k := key.Service + "\x00" + key.UID
	if a, ok := l.limits.Get(k); ok {
		return a.requests, a.ok, nil
	}
	req, ok, err := l.cfg.source.RateLimit(ctx, key.UID, key.Service)
	if err == nil {
		l.limits.Set(k, sourceAnswer{requests: req, ok: ok}, l.cfg.sourceTTL)
	}
	return req, ok, err
}

// Limit returns the limit that applies to key: the anonymous limit for a
// key without UID, else the LimitSource's limit for (UID, Service) with the
// default limit's period and a burst equal to its rate, else the default
// limit. A source's 0 yields Limit{Rate: 0, Period: default period}, which
// Allow denies without consulting the store.
func (l *Limiter) Limit(ctx context.Context, key Key) (Limit, error) {
	if key.UID == "" {
		if !key.IP.IsValid() {
			return Limit{}, fmt.Errorf("%w: neither a UID nor an IP", ErrInvalidKey)
		}
		if l.cfg.anon != nil {
			return *l.cfg.anon, nil
		}
		return l.cfg.def, nil
	}
	if l.cfg.source == nil {
		return l.cfg.def, nil
	}
	req, ok, err := l.sourceLimit(ctx, key)
	switch {
	case err != nil:
		return Limit{}, fmt.Errorf("ratelimit: limit source: %w", err)
	case !ok:
		return l.cfg.def, nil
	case req < 0:
		return Limit{}, fmt.Errorf("%w: limit source returned %d requests", ErrInvalidLimit, req)
	case req == 0:
		return Limit{Rate: 0, Period: l.cfg.def.Period}, nil
	}
	lim := Limit{Rate: req, Period: l.cfg.def.Period}
	if err := lim.Validate(); err != nil {
		return Limit{}, fmt.Errorf("ratelimit: limit source: %w", err)
	}
	return lim, nil
}

// Allow takes n events from key's bucket if its limit allows them now, and
// reports the outcome. A denied request is a Result with Allowed == 0 and
// RetryAfter > 0; nothing is taken then. n == 0 reports the state without
// taking anything. Allow returns an error wrapping ErrInvalidN for n < 0 or
// n greater than the limit's burst (a request that could never be allowed),
// ErrInvalidKey for a key without UID or IP, and the store's or the
// LimitSource's error when the check cannot be made.
//
// With the Redis store, Allow is one round trip (plus whatever the
// LimitSource costs); with WithReservation, a busy key's checks cost one
// round trip per batch, the others none.
func (l *Limiter) Allow(ctx context.Context, key Key, n int) (Result, error) {
	if l.tracer == nil {
		res, _, err := l.allow(ctx, key, n)
		return res, err
	}
	ctx, span := l.tracer.Start(ctx, "apicrud.ratelimit.Allow", trace.WithAttributes(
		attrService.String(key.Service), attrKeyKind.String(keyKind(key)), attrN.Int(n)))
	res, local, err := l.allow(ctx, key, n)
	if err == nil {
		outcome := "allowed"
		if res.Allowed == 0 && n > 0 {
			outcome = "denied"
		}
		span.SetAttributes(tracing.Outcome.String(outcome), attrLimit.String(res.Limit.String()),
			attrRemaining.Int(res.Remaining), attrRetryAfter.Float64(res.RetryAfter.Seconds()))
		if l.res != nil {
			span.SetAttributes(attrLocal.Bool(local))
		}
	}
	tracing.End(span, err, errCode(err))
	return res, err
}

// allow is Allow without its span; local reports a check served from
// this Limiter's reservation (WithReservation).
func (l *Limiter) allow(ctx context.Context, key Key, n int) (res Result, local bool, err error) {
	if key.UID == "" && !key.IP.IsValid() {
		return Result{}, false, fmt.Errorf("%w: neither a UID nor an IP", ErrInvalidKey)
	}
	lim, err := l.Limit(ctx, key)
	if err != nil {
		return Result{}, false, err
	}
	if lim.Rate == 0 { // the LimitSource denies everything
		if n < 0 {
			return Result{}, false, fmt.Errorf("%w: n = %d", ErrInvalidN, n)
		}
		if n == 0 {
			return Result{Limit: lim}, false, nil
		}
		return Result{Limit: lim, RetryAfter: lim.Period, ResetAfter: lim.Period}, false, nil
	}
	if n < 0 || n > lim.MaxBurst() {
		return Result{}, false, fmt.Errorf("%w: n = %d, burst %d", ErrInvalidN, n, lim.MaxBurst())
	}
	if l.mem != nil { // no key string, one lookup
		if err := ctx.Err(); err != nil {
			return Result{}, false, fmt.Errorf("ratelimit: allow: %w", err)
		}
		t := l.defT
		if lim != l.cfg.def {
			t = int64(lim.Interval())
		}
		return l.mem.allowKey(&key, lim, t, n), false, nil
	}
	if l.res != nil && n > 0 {
		return l.allowReserved(ctx, &key, lim, n)
	}
	sk, err := key.storeKey()
	if err != nil {
		return Result{}, false, err
	}
	if res, err = l.store.Allow(ctx, sk, lim, n); err != nil {
		return Result{}, false, fmt.Errorf("ratelimit: allow: %w", err)
	}
	return res, false, nil
}

// Reset forgets key's bucket: its next request starts from a full burst
// (apicrud reset the "login.attempt" service this way after a successful
// login).
func (l *Limiter) Reset(ctx context.Context, key Key) error {
	sk, err := key.storeKey()
	if err != nil {
		return err
	}
	if l.mem != nil {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("ratelimit: reset: %w", err)
		}
		l.mem.resetKey(&key)
		return nil
	}
	if l.res != nil {
		k := limiterKey(&key)
		l.res.drop(&k)
	}
	if err := l.store.Reset(ctx, sk); err != nil {
		return fmt.Errorf("ratelimit: reset: %w", err)
	}
	return nil
}

// errCanceled reports whether err only says that the request went away.
func errCanceled(ctx context.Context, err error) bool {
	return ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
}
