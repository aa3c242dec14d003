package crud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// CacheOption configures NewCached.
type CacheOption func(*cacheConfig) error

type cacheConfig struct {
	store  CacheStore
	ttl    time.Duration
	logger *slog.Logger
}

// WithCacheStore sets where cached records live (default: a new
// MemoryCacheStore, which the Cached owns and closes). Use crud/redisstore
// when several instances serve the same table, so that an Uncache on one
// instance is seen by all. A store passed here is never closed by the
// Cached. WithCacheStore(nil) is an error.
func WithCacheStore(s CacheStore) CacheOption {
	return func(c *cacheConfig) error {
		if s == nil {
			return fmt.Errorf("%w: WithCacheStore(nil)", ErrConfig)
		}
		c.store = s
		return nil
	}
}

// WithCacheTTL sets how long a record stays cached (default
// DefaultCacheTTL). It bounds the staleness after writes that bypass crud
// (raw SQL, another service) and, with a MemoryCacheStore, after writes on
// other instances. It must be positive.
func WithCacheTTL(d time.Duration) CacheOption {
	return func(c *cacheConfig) error {
		if d <= 0 {
			return fmt.Errorf("%w: cache TTL %v (must be positive)", ErrConfig, d)
		}
		c.ttl = d
		return nil
	}
}

// WithCacheLogger sets the logger for cache write failures and
// undecodable entries, which do not fail a read (default: discard).
func WithCacheLogger(l *slog.Logger) CacheOption {
	return func(c *cacheConfig) error {
		if l == nil {
			return fmt.Errorf("%w: WithCacheLogger(nil)", ErrConfig)
		}
		c.logger = l
		return nil
	}
}

// Cached is a read-through cache of the records of one Resource, by id: the
// first Get of an id loads it with one SELECT and keeps it for the cache TTL;
// later Gets cost no query. It is meant for records that handlers read on
// almost every request, such as account settings.
//
// The Resource calls Uncache itself whenever it updates, deletes (soft or
// hard), restores or purges a record, through any path: its Go methods,
// its HTTP handlers or a Trashcan. Writes that bypass the Resource (raw
// SQL, another program) must call Uncache, or are seen when the entry
// expires.
//
// Get does not authorize: it is a server-side read for code that has
// already decided the caller may see the record (a handler reading the
// caller's own settings). GetAuthorized makes the same decision as
// Resource.Get.
//
// Use NewCached; a Cached is safe for concurrent use and must not be copied.
type Cached[T any] struct {
	res   *Resource[T]
	store CacheStore
	ttl   time.Duration
	codec codec
	log   *slog.Logger
	owned *MemoryCacheStore // created by NewCached, closed by Close; nil otherwise

	closeOnce sync.Once
	closed    atomic.Bool
}

// NewCached returns a read-through cache of the records of res and attaches
// it to res, so that every write of a record through res uncaches it.
// Without options the cache is a new MemoryCacheStore with DefaultCacheTTL;
// Close detaches the cache and releases that store.
//
// Every instance that writes the table must attach a cache on the same
// store (crud/redisstore with one prefix): an instance's writes uncache
// only the caches attached to its own Resource.
func NewCached[T any](res *Resource[T], opts ...CacheOption) (*Cached[T], error) {
	if res == nil {
		return nil, fmt.Errorf("%w: NewCached(nil)", ErrConfig)
	}
	cfg := cacheConfig{ttl: DefaultCacheTTL, logger: res.log}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	c := &Cached[T]{
		res:   res,
		store: cfg.store,
		ttl:   cfg.ttl,
		codec: newCodec(res.name, res.table, res.m),
		log:   cfg.logger,
	}
	if c.store == nil {
		c.owned = NewMemoryCacheStore()
		c.store = c.owned
	}
	res.attachCache(c)
	return c, nil
}

// key is the store key of record id: "<resource>:<id>".
func (c *Cached[T]) key(id string) string { return c.res.name + ":" + id }

// Get returns the active record id from the cache, or loads it (one
// SELECT, no authorization, no hooks) and caches it. A record that does
// not exist or is soft-deleted is ErrNotFound and is not cached, so it
// costs a query every time. The record returned belongs to the caller (it
// is decoded afresh on every hit).
//
// A store error is returned (the read fails closed rather than silently
// hitting the database); a failure to write the cache after a load is only
// logged. An entry that does not decode (corrupt, or written by an
// instance with another version of T) is a miss and is overwritten.
// After Close, Get reads the database every time.
//
// Round trips: memory hit 0; Redis hit 1; miss: the store read, one
// SELECT, and the store write.
func (c *Cached[T]) Get(ctx context.Context, id string) (*T, error) {
	if !validID(id) {
		return nil, ErrNotFound
	}
	r := c.res
	if c.closed.Load() {
		return r.loadOne(ctx, r.db, id, true)
	}
	key := c.key(id)
	data, gen, ok, err := c.store.Get(ctx, key)
	if err != nil {
		return nil, fmt.Errorf("crud: cache: %w", err)
	}
	if ok {
		rec := new(T)
		if err := c.codec.decode(data, reflect.ValueOf(rec).Elem()); err == nil {
			return rec, nil
		}
		c.log.WarnContext(ctx, "crud: cached record does not decode; reloading", "resource", r.name, "id", id)
	}
	rec, err := r.loadOne(ctx, r.db, id, true)
	if err != nil {
		return nil, err
	}
	data, err = c.codec.encode(make([]byte, 0, 256), reflect.ValueOf(rec).Elem())
	if err != nil {
		c.log.WarnContext(ctx, "crud: record cannot be cached", "resource", r.name, "id", id, "err", err)
		return rec, nil
	}
	if err := c.store.Set(ctx, key, gen, data, c.ttl); err != nil {
		c.log.WarnContext(ctx, "crud: cache write failed", "resource", r.name, "id", id, "err", err)
	}
	return rec, nil
}

// GetAuthorized is Get with the decision of Resource.Get: the resource must
// serve OpGet (and the caller hold its scopes), the caller must be allowed
// 'r' on the record (else ErrNotFound, as for an absent record), and the
// AfterGet hook runs on the returned copy. Only the SELECT is saved.
func (c *Cached[T]) GetAuthorized(ctx context.Context, id string) (*T, error) {
	r := c.res
	if err := r.checkOp(ctx, OpGet); err != nil {
		return nil, err
	}
	rec, err := c.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !r.allowed(ctx, ActionRead, rec, r.attrs(rec)) {
		return nil, ErrNotFound
	}
	if h := r.hooks.AfterGet; h != nil {
		if err := r.hookError(ctx, "AfterGet", h(ctx, rec)); err != nil {
			return nil, err
		}
	}
	return rec, nil
}

// Uncache drops record id from the cache, so the next Get reads the
// database, and makes a load already in flight unable to cache what it
// read. The Resource calls it on every write; call it yourself after
// writing the table by other means. With crud/redisstore it takes effect on
// every instance at once (one round trip); with a MemoryCacheStore only in
// this process. An id that is not a valid record id is a no-op.
func (c *Cached[T]) Uncache(ctx context.Context, id string) error {
	if !validID(id) {
		return nil
	}
	if err := c.store.Delete(ctx, c.key(id)); err != nil {
		return fmt.Errorf("crud: uncache: %w", err)
	}
	return nil
}

// Close detaches the cache from its Resource (whose writes stop uncaching
// it) and closes the MemoryCacheStore that NewCached created; a store
// passed with WithCacheStore is not closed. Get then reads the database
// every time. Close is idempotent.
func (c *Cached[T]) Close(ctx context.Context) error {
	var err error
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.res.detachCache(c)
		if c.owned != nil {
			err = c.owned.Close(ctx)
		}
	})
	return err
}

// --- the Resource side ---

// cacheLinks are the caches attached to a Resource by NewCached.
type cacheLinks[T any] struct {
	mu   sync.Mutex                   // serializes attach and detach
	list atomic.Pointer[[]*Cached[T]] // copy-on-write; read without the lock
}

func (r *Resource[T]) attachCache(c *Cached[T]) {
	r.caches.mu.Lock()
	defer r.caches.mu.Unlock()
	var next []*Cached[T]
	if p := r.caches.list.Load(); p != nil {
		next = slices.Clone(*p)
	}
	next = append(next, c)
	r.caches.list.Store(&next)
}

func (r *Resource[T]) detachCache(c *Cached[T]) {
	r.caches.mu.Lock()
	defer r.caches.mu.Unlock()
	p := r.caches.list.Load()
	if p == nil {
		return
	}
	next := slices.DeleteFunc(slices.Clone(*p), func(x *Cached[T]) bool { return x == c })
	if len(next) == 0 {
		r.caches.list.Store(nil)
		return
	}
	r.caches.list.Store(&next)
}

// uncache drops ids from the attached caches inside a write's transaction,
// before it commits: a failure rolls the write back (fail closed: a write
// that could not invalidate the caches does not happen).
func (r *Resource[T]) uncache(ctx context.Context, ids ...string) error {
	p := r.caches.list.Load()
	if p == nil {
		return nil
	}
	for _, c := range *p {
		for _, id := range ids {
			if err := c.Uncache(ctx, id); err != nil {
				if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
					return err
				}
				r.log.ErrorContext(ctx, "crud: cache invalidation failed; write rolled back", "resource", r.name, "id", id, "err", err)
				return &internalError{err}
			}
		}
	}
	return nil
}

// uncacheTimeout bounds the invalidation after a commit, which runs even
// when the request's context has ended.
const uncacheTimeout = 5 * time.Second

// committed finishes a write that committed: the caches drop ids again
// (uncacheCommitted) and the Committed hook runs.
func (r *Resource[T]) committed(ctx context.Context, c Change, ids ...string) {
	r.uncacheCommitted(ctx, ids...)
	if h := r.hooks.Committed; h != nil {
		h(context.WithoutCancel(ctx), c, ids...)
	}
}

// uncacheCommitted drops ids from the attached caches again after the
// write committed, so that a load that read the old row between the first
// uncache and the commit cannot stay cached. The write has happened, so a
// failure is logged, not returned.
func (r *Resource[T]) uncacheCommitted(ctx context.Context, ids ...string) {
	p := r.caches.list.Load()
	if p == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), uncacheTimeout)
	defer cancel()
	for _, c := range *p {
		for _, id := range ids {
			if err := c.Uncache(ctx, id); err != nil {
				r.log.ErrorContext(ctx, "crud: cache invalidation after commit failed", "resource", r.name, "id", id, "err", err)
			}
		}
	}
}
