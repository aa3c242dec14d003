package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/crud"
	crudredis "github.com/apicrud-go/apicrud/crud/redisstore"
	"github.com/apicrud-go/apicrud/grants"
	grantsredis "github.com/apicrud-go/apicrud/grants/redisstore"
	"github.com/apicrud-go/apicrud/metrics"
	metricsredis "github.com/apicrud-go/apicrud/metrics/redisstore"
	"github.com/apicrud-go/apicrud/mutex"
	mutexredis "github.com/apicrud-go/apicrud/mutex/redisstore"
	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
	"github.com/apicrud-go/apicrud/registry"
	registryredis "github.com/apicrud-go/apicrud/registry/redisstore"
	"github.com/apicrud-go/apicrud/session"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

// backends are the stores of every stateful package: in memory for one
// process, or on one Redis shared by every instance. This is the one place
// where the choice is made.
type backends struct {
	kind       string // "memory" or "redis"
	rdb        redis.UniversalClient
	sessions   session.Store
	limits     ratelimit.Store
	locks      mutex.Store
	grantCache grants.Cache // nil: the grants package's own memory cache
	metrics    metrics.Store
	registry   registry.Store
	records    crud.CacheStore // the settings cache
	close      func(context.Context) error
}

// newBackends returns the in-memory stores when redisURL is empty, and the
// Redis stores on one client otherwise, their keys under prefix.
func newBackends(ctx context.Context, redisURL, prefix string) (*backends, error) {
	if redisURL == "" {
		s, l, m, me, r := session.NewMemoryStore(), ratelimit.NewMemoryStore(), mutex.NewMemoryStore(), metrics.NewMemoryStore(), registry.NewMemoryStore()
		c := crud.NewMemoryCacheStore()
		return &backends{
			kind: "memory", sessions: s, limits: l, locks: m, metrics: me, registry: r, records: c,
			close: func(ctx context.Context) error {
				return errors.Join(s.Close(ctx), l.Close(ctx), m.Close(ctx), me.Close(ctx), r.Close(ctx), c.Close(ctx))
			},
		}, nil
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	rdb := redis.NewClient(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := rdb.Ping(pctx).Err(); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis: %w", err)
	}
	return &backends{
		kind:       "redis",
		rdb:        rdb,
		sessions:   sessionredis.New(rdb, sessionredis.WithPrefix(prefix+"session:")),
		limits:     ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix+"ratelimit:")),
		locks:      mutexredis.New(rdb, mutexredis.WithPrefix(prefix+"mutex:")),
		grantCache: grantsredis.New(rdb, grantsredis.WithPrefix(prefix+"grants:")),
		metrics:    metricsredis.New(rdb, metricsredis.WithPrefix(prefix+"metrics:")),
		registry:   registryredis.New(rdb, registryredis.WithPrefix(prefix+"registry:")),
		records:    crudredis.New(rdb, crudredis.WithPrefix(prefix+"crud:")),
		close:      func(context.Context) error { return rdb.Close() },
	}, nil
}

// ping reports whether the backend answers (for /health).
func (b *backends) ping(ctx context.Context) error {
	if b.rdb == nil {
		return nil
	}
	return b.rdb.Ping(ctx).Err()
}
