package mutex

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Locker hands out locks kept in its Store. It is safe for concurrent use
// by multiple goroutines. Use New; the zero value is not usable. A Locker
// must not be copied.
type Locker struct {
	tracer trace.Tracer // nil without WithTracerProvider
	store  Store
	owned  *MemoryStore // the store New created, closed by Close
	cfg    config
}

// New returns a Locker configured by opts. Without options its locks live
// in a new MemoryStore (call Close to stop its sweeper) and Acquire waits
// up to DefaultMaxWait.
func New(opts ...Option) (*Locker, error) {
	cfg := config{
		maxWait:    DefaultMaxWait,
		minBackoff: DefaultMinBackoff,
		maxBackoff: DefaultMaxBackoff,
		log:        slog.New(slog.DiscardHandler),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&cfg); err != nil {
			return nil, err
		}
	}
	l := &Locker{store: cfg.store, cfg: cfg, tracer: tracing.New(cfg.tp, "github.com/apicrud-go/apicrud/mutex")}
	if l.store == nil {
		l.owned = NewMemoryStore()
		l.store = l.owned
	}
	return l, nil
}

// Close stops the sweeper of the MemoryStore the Locker created (not of a
// Store given with WithStore) and waits for it, or for ctx to end. Locks
// already obtained keep working.
func (l *Locker) Close(ctx context.Context) error {
	if l.owned == nil {
		return nil
	}
	return l.owned.Close(ctx)
}

func validate(name string, ttl time.Duration) error {
	if name == "" || len(name) > MaxNameLength {
		return fmt.Errorf("%w: %d bytes, want 1 to %d", ErrInvalidName, len(name), MaxNameLength)
	}
	if ttl < time.Millisecond {
		return fmt.Errorf("%w: %v is shorter than 1ms", ErrInvalidTTL, ttl)
	}
	return nil
}

// newToken returns 128 random bits, URL-safe: the secret that proves
// ownership of one hold of a lock.
func newToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// TryAcquire obtains the lock name for ttl if it is free, in one attempt:
// it returns the Lock, or ErrNotObtained when someone else holds it, or the
// store's error. The lock expires after ttl unless extended (Lock.Extend,
// Lock.Watchdog) or released (Lock.Release). With the Redis store it is one
// round trip.
func (l *Locker) TryAcquire(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	if l.tracer != nil {
		return l.traceObtain(ctx, false, name, ttl)
	}
	return l.tryAcquire(ctx, name, ttl)
}

func (l *Locker) tryAcquire(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	if err := validate(name, ttl); err != nil {
		return nil, err
	}
	return l.try(ctx, name, ttl)
}

func (l *Locker) try(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	token := newToken()
	sent := time.Now()
	fence, ok, err := l.store.Obtain(ctx, name, token, ttl)
	if err != nil {
		return nil, fmt.Errorf("mutex: obtain %q: %w", name, err)
	}
	if !ok {
		return nil, ErrNotObtained
	}
	return &Lock{tracer: l.tracer, store: l.store, log: l.cfg.log, name: name, token: token, ttl: ttl, fence: fence, sentAt: sent}, nil
}

// Acquire obtains the lock name for ttl, waiting while someone else holds
// it: it retries with exponential backoff and jitter (WithBackoff) for up
// to the max wait (WithMaxWait), or until ctx ends, whichever comes first.
// It returns ErrNotObtained when the wait ran out, ErrNotObtained joined
// with ctx.Err() when ctx ended (between attempts or during one), and the
// store's error at once if the store fails (a failure is not a reason to
// keep trying blindly). With the Redis store each attempt is one round
// trip. An attempt cut short by ctx may still have taken the lock in
// Redis; it then expires after ttl.
//
// Acquire is not fair: a waiter that arrives later may get the lock first.
func (l *Locker) Acquire(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	if l.tracer != nil {
		return l.traceObtain(ctx, true, name, ttl)
	}
	return l.acquire(ctx, name, ttl, nil)
}

// acquire is Acquire; it counts its attempts in *attempts when attempts is
// not nil.
func (l *Locker) acquire(ctx context.Context, name string, ttl time.Duration, attempts *int) (*Lock, error) {
	if err := validate(name, ttl); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(l.cfg.maxWait)
	pause := l.cfg.minBackoff
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		if err := ctx.Err(); err != nil {
			return nil, errors.Join(ErrNotObtained, err)
		}
		if attempts != nil {
			*attempts++
		}
		lock, err := l.try(ctx, name, ttl)
		if err != nil && !errors.Is(err, ErrNotObtained) && ctx.Err() != nil {
			// The context ended during the attempt (a round trip cut
			// short): the caller asked to stop waiting, so this is "not
			// obtained", as when it ends between attempts.
			return nil, errors.Join(ErrNotObtained, ctx.Err())
		}
		if !errors.Is(err, ErrNotObtained) {
			return lock, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, ErrNotObtained
		}
		// Jitter: a pause drawn from [pause/2, pause], cut at the deadline.
		d := pause/2 + time.Duration(mrand.Int64N(int64(pause/2)+1))
		if d > left {
			d = left
		}
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-ctx.Done():
			return nil, errors.Join(ErrNotObtained, ctx.Err())
		case <-timer.C:
		}
		if pause < l.cfg.maxBackoff {
			pause = min(2*pause, l.cfg.maxBackoff)
		}
	}
}

// Lock is one hold of a lock, returned by Acquire and TryAcquire. Its
// methods are safe for concurrent use. A Lock must not be copied.
type Lock struct {
	tracer trace.Tracer // nil when the Locker has no TracerProvider
	store  Store
	log    *slog.Logger
	name   string
	token  string // secret: proves ownership; never logged
	ttl    time.Duration
	fence  int64

	mu       sync.Mutex // guards released, dog and sentAt
	released bool
	dog      *watchdog
	sentAt   time.Time // when the last successful Obtain or Extend was sent
}

// Name returns the name of the lock.
func (k *Lock) Name() string { return k.name }

// FencingToken returns the fencing token of this hold: a number that is
// strictly greater than the token of every earlier hold of the same lock
// name (in the same store), including holds that expired. Send it with
// every write to the resource the lock protects, and have the resource
// reject writes whose token is lower than the highest it has seen: then a
// holder that stalled past its TTL (a GC pause, a network delay) cannot
// overwrite the work of the holder that came after it. See the package
// documentation for an example.
func (k *Lock) FencingToken() int64 { return k.fence }

// TTL returns the time to live the lock was obtained with (what Extend
// and the watchdog extend it by).
func (k *Lock) TTL() time.Duration { return k.ttl }

// Extend sets the lock to expire ttl from now, if this Lock still holds
// it; otherwise it returns ErrNotHeld and changes nothing. With the Redis
// store it is one round trip.
func (k *Lock) Extend(ctx context.Context, ttl time.Duration) error {
	if k.tracer != nil {
		ctx, span := k.tracer.Start(ctx, "apicrud.mutex.Extend", trace.WithAttributes(
			tracing.Name.String(tracing.Hash(k.name)), attrFence.Int64(k.fence), attrTTL.Float64(ttl.Seconds())))
		err := k.extendChecked(ctx, ttl)
		tracing.End(span, err, errCode(err), k.name)
		return err
	}
	return k.extendChecked(ctx, ttl)
}

func (k *Lock) extendChecked(ctx context.Context, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return fmt.Errorf("%w: %v is shorter than 1ms", ErrInvalidTTL, ttl)
	}
	k.mu.Lock()
	released := k.released
	k.mu.Unlock()
	if released {
		return ErrNotHeld
	}
	return k.extend(ctx, ttl)
}

func (k *Lock) extend(ctx context.Context, ttl time.Duration) error {
	sent := time.Now()
	ok, err := k.store.Extend(ctx, k.name, k.token, ttl)
	if err != nil {
		return fmt.Errorf("mutex: extend %q: %w", k.name, err)
	}
	if !ok {
		return ErrNotHeld
	}
	k.mu.Lock()
	if sent.After(k.sentAt) {
		k.sentAt = sent
	}
	k.mu.Unlock()
	return nil
}

// Release stops the watchdog, if any (cancelling an extension in flight,
// and waiting for its goroutine to end), and frees the lock if this Lock
// still holds it. It returns ErrNotHeld when the lock had expired or was
// released already: a late Release never frees a lock that someone else
// obtained meanwhile (the store compares the token and deletes in one
// step). When the store fails (Redis unreachable), Release returns the
// store's error and may be called again: the lock is then still this
// Lock's, without its watchdog, until it expires. With the Redis store it
// is one round trip.
func (k *Lock) Release(ctx context.Context) error {
	if k.tracer != nil {
		ctx, span := k.tracer.Start(ctx, "apicrud.mutex.Release", trace.WithAttributes(
			tracing.Name.String(tracing.Hash(k.name)), attrFence.Int64(k.fence)))
		err := k.release(ctx)
		tracing.End(span, err, errCode(err), k.name)
		return err
	}
	return k.release(ctx)
}

func (k *Lock) release(ctx context.Context) error {
	k.mu.Lock()
	if k.released {
		k.mu.Unlock()
		return ErrNotHeld
	}
	k.released = true
	dog := k.dog
	k.dog = nil
	k.mu.Unlock()
	if dog != nil {
		dog.stop()
	}
	ok, err := k.store.Release(ctx, k.name, k.token)
	if err != nil {
		k.mu.Lock()
		k.released = false // perhaps still held: let the caller retry
		k.mu.Unlock()
		return fmt.Errorf("mutex: release %q: %w", k.name, err)
	}
	if !ok {
		return ErrNotHeld
	}
	return nil
}

// LogValue identifies the lock in logs without its secret token.
func (k *Lock) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", k.name), slog.Int64("fencing_token", k.fence))
}

// String identifies the lock without its secret token.
func (k *Lock) String() string {
	return fmt.Sprintf("mutex.Lock{name: %q, fencing token: %d}", k.name, k.fence)
}

// GoString is String, so that %#v does not print the secret token either.
func (k *Lock) GoString() string { return k.String() }

// Watchdog starts a goroutine that keeps extending the lock by its TTL,
// every third of the TTL, until Release; the Lock owns it, and Release
// stops it and waits for it, so no goroutine outlives the Lock's use.
// Watchdog returns a context derived from ctx that ends when Release is
// called (cause context.Canceled), when ctx ends (the watchdog stops and
// the lock then expires after its TTL), or when the lock is lost: an
// extension found it no longer held, or extensions kept failing (each one
// is given a third of the TTL) until less than a third of the TTL might be
// left (cause, from context.Cause, wrapping ErrNotHeld and, when
// extensions failed, the last error). Run the protected work under that context and stop when it
// ends. Failed extensions are logged (WithLogger) as warnings.
//
// A Lock with a watchdog must be released: until Release or the end of
// ctx, the watchdog keeps the lock held.
//
// Calling Watchdog again returns the context of the first call. After
// Release it returns ErrNotHeld.
func (k *Lock) Watchdog(ctx context.Context) (context.Context, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.released {
		return nil, ErrNotHeld
	}
	if k.dog != nil {
		return k.dog.ctx, nil
	}
	wctx, cancel := context.WithCancelCause(ctx)
	d := &watchdog{ctx: wctx, cancel: cancel, done: make(chan struct{})}
	k.dog = d
	go d.run(k)
	return wctx, nil
}

type watchdog struct {
	ctx    context.Context // the context Watchdog returned
	cancel context.CancelCauseFunc
	done   chan struct{} // closed when run returns
}

// stop ends the watchdog's context (cancelling an extension in flight) and
// waits for its goroutine to return.
func (d *watchdog) stop() {
	d.cancel(context.Canceled)
	<-d.done
}

func (d *watchdog) run(k *Lock) {
	defer close(d.done)
	interval := k.ttl / 3
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-d.ctx.Done():
			return
		case <-ticker.C:
		}
		ectx, cancel := context.WithTimeout(d.ctx, interval)
		err := k.extend(ectx, k.ttl)
		cancel()
		switch {
		case err == nil:
		case errors.Is(err, ErrNotHeld):
			d.cancel(fmt.Errorf("%w: lost (watchdog)", ErrNotHeld))
			return
		default:
			if d.ctx.Err() != nil {
				return
			}
			k.log.LogAttrs(d.ctx, slog.LevelWarn, "mutex watchdog: extend failed",
				slog.Any("lock", k), slog.Any("error", err))
			// The lock lives at least ttl past the last successful
			// extension's sending; give up while a third of it is left.
			k.mu.Lock()
			last := k.sentAt
			k.mu.Unlock()
			if time.Since(last)+interval >= k.ttl {
				d.cancel(fmt.Errorf("%w: could not extend in time: %w", ErrNotHeld, err))
				return
			}
		}
	}
}
