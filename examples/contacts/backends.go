package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/crud"
	crudredis "github.com/apicrud-go/apicrud/crud/redisstore"
	"github.com/apicrud-go/apicrud/grants"
	grantsredis "github.com/apicrud-go/apicrud/grants/redisstore"
	"github.com/apicrud-go/apicrud/idempotency"
	idempotencyredis "github.com/apicrud-go/apicrud/idempotency/redisstore"
	"github.com/apicrud-go/apicrud/metrics"
	metricsredis "github.com/apicrud-go/apicrud/metrics/redisstore"
	"github.com/apicrud-go/apicrud/mutex"
	mutexredis "github.com/apicrud-go/apicrud/mutex/redisstore"
	"github.com/apicrud-go/apicrud/ratelimit"
	ratelimitredis "github.com/apicrud-go/apicrud/ratelimit/redisstore"
	"github.com/apicrud-go/apicrud/registry"
	registryredis "github.com/apicrud-go/apicrud/registry/redisstore"
	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	loginredis "github.com/apicrud-go/apicrud/session/login/redisstore"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

// backends are the stores of every stateful package: in memory for one
// process, or on one Redis shared by every instance. This is the one place
// where the choice is made.
type backends struct {
	kind        string // "memory" or "redis"
	rdb         redis.UniversalClient
	sessions    session.Store
	logins      login.Store
	limits      ratelimit.Store
	locks       mutex.Store
	grantCache  grants.Cache // nil: the grants package's own memory cache
	metrics     metrics.Store
	registry    registry.Store
	records     crud.CacheStore // the settings cache
	idempotency idempotency.Store
	close       func(context.Context) error
}

// newBackends returns the in-memory stores when redisURL is empty, and the
// Redis stores on one client otherwise, their keys under prefix.
func newBackends(ctx context.Context, redisURL, prefix string) (*backends, error) {
	if redisURL == "" {
		s, l, m, me, r := session.NewMemoryStore(), ratelimit.NewMemoryStore(), mutex.NewMemoryStore(), metrics.NewMemoryStore(), registry.NewMemoryStore()
		c, id, lg := crud.NewMemoryCacheStore(), idempotency.NewMemoryStore(), login.NewMemoryStore()
		return &backends{
			kind: "memory", sessions: s, logins: lg, limits: l, locks: m, metrics: me, registry: r, records: c, idempotency: id,
			close: func(ctx context.Context) error {
				return errors.Join(s.Close(ctx), lg.Close(ctx), l.Close(ctx), m.Close(ctx), me.Close(ctx), r.Close(ctx), c.Close(ctx), id.Close(ctx))
			},
		}, nil
	}
	rdb, err := redisClient(redisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := pingRedis(pctx, rdb); err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis: %w", err)
	}
	b := &backends{kind: "redis", rdb: rdb}
	var errs [9]error
	// Sessions validated recently answer from process memory; a revocation
	// reaches every instance within 100 ms (sessionredis.WithCache).
	sessions, err := sessionredis.New(rdb, sessionredis.WithPrefix(prefix+"session:"), sessionredis.WithCache(rdb, 0, 0))
	if err != nil {
		_ = rdb.Close()
		return nil, fmt.Errorf("redis_prefix: %w", err)
	}
	b.sessions = sessions
	b.close = func(ctx context.Context) error { return errors.Join(sessions.Close(ctx), rdb.Close()) }
	// The login state keeps the prefix it shared with the sessions before
	// the session package was split: no key moves.
	b.logins, errs[8] = loginredis.New(rdb, loginredis.WithPrefix(prefix+"session:"))
	b.limits, errs[1] = ratelimitredis.New(rdb, ratelimitredis.WithPrefix(prefix+"ratelimit:"))
	b.locks, errs[2] = mutexredis.New(rdb, mutexredis.WithPrefix(prefix+"mutex:"))
	b.grantCache, errs[3] = grantsredis.New(rdb, grantsredis.WithPrefix(prefix+"grants:"))
	b.metrics, errs[4] = metricsredis.New(rdb, metricsredis.WithPrefix(prefix+"metrics:"))
	b.registry, errs[5] = registryredis.New(rdb, registryredis.WithPrefix(prefix+"registry:"))
	b.records, errs[6] = crudredis.New(rdb, crudredis.WithPrefix(prefix+"crud:"))
	b.idempotency, errs[7] = idempotencyredis.New(rdb, idempotencyredis.WithPrefix(prefix+"idempotency:"))
	if err := errors.Join(errs[:]...); err != nil {
		_ = b.close(ctx)
		return nil, fmt.Errorf("redis_prefix: %w", err)
	}
	return b, nil
}

// redisClient returns the client REDIS_URL names, in one of three forms
// (go-redis's ParseURL, ParseClusterURL and ParseFailoverURL):
//
//	redis://[user:password@]host:6379[/db]                    one server
//	redis://host:7000?addr=host:7001&addr=host:7002           Redis Cluster: every address is a seed
//	redis://host:7000?cluster=true                            Redis Cluster from one seed
//	redis://sentinel:26379?master_name=mymaster[&addr=s2:26379]  Sentinel: the primary named mymaster
//
// rediss:// instead of redis:// turns TLS on in every form.
func redisClient(redisURL string) (redis.UniversalClient, error) {
	u, err := url.Parse(redisURL)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		return nil, ue.Err // without the URL, which may hold a password
	}
	q := u.Query()
	switch {
	case q.Has("master_name"):
		opt, err := redis.ParseFailoverURL(redisURL)
		if err != nil {
			return nil, err
		}
		return redis.NewFailoverClient(opt), nil
	case q.Has("addr") || q.Has("cluster"):
		if c := q.Get("cluster"); c != "" && c != "true" {
			return nil, fmt.Errorf("cluster=%q: want cluster=true", c)
		}
		q.Del("cluster")
		u.RawQuery = q.Encode()
		opt, err := redis.ParseClusterURL(u.String())
		if err != nil {
			return nil, err
		}
		return redis.NewClusterClient(opt), nil
	default:
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, err
		}
		return redis.NewClient(opt), nil
	}
}

// pingRedis checks that Redis answers: every master of a cluster, the
// primary of a Sentinel group, or the one server.
func pingRedis(ctx context.Context, rdb redis.UniversalClient) error {
	if c, ok := rdb.(*redis.ClusterClient); ok {
		return c.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error { return m.Ping(ctx).Err() })
	}
	return rdb.Ping(ctx).Err()
}

// ping reports whether the backend answers (for /health).
func (b *backends) ping(ctx context.Context) error {
	if b.rdb == nil {
		return nil
	}
	return pingRedis(ctx, b.rdb)
}

// checkPersistence warns through log when Redis keeps nothing on disk
// (appendonly no and no save points): a restart of such a server forgets
// the usage credits (metrics grants), the login lockouts and throttling, the
// TOTP replay guard, single-use links and every session, so a client could
// send the 21st message under a limit of 20 or retry passwords afresh. The
// caches (grants, records) and the registry rebuild themselves. A server
// that refuses CONFIG (managed Redis) is reported at debug level only.
func (b *backends) checkPersistence(ctx context.Context, log *slog.Logger) {
	if b.rdb == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	check := func(ctx context.Context, c redis.UniversalClient) (addr string, persists bool, err error) {
		conf, err := c.ConfigGet(ctx, "appendonly").Result()
		if err != nil {
			return "", false, err
		}
		save, err := c.ConfigGet(ctx, "save").Result()
		if err != nil {
			return "", false, err
		}
		if cl, ok := c.(*redis.Client); ok {
			addr = cl.Options().Addr
		}
		return addr, conf["appendonly"] == "yes" || strings.TrimSpace(save["save"]) != "", nil
	}
	var (
		mu       sync.Mutex
		volatile []string
	)
	each := func(ctx context.Context, c *redis.Client) error {
		addr, ok, err := check(ctx, c)
		if err == nil && !ok {
			mu.Lock()
			volatile = append(volatile, addr)
			mu.Unlock()
		}
		return err
	}
	var err error
	if cc, ok := b.rdb.(*redis.ClusterClient); ok {
		err = cc.ForEachMaster(ctx, each)
	} else {
		var ok bool
		var addr string
		if addr, ok, err = check(ctx, b.rdb); err == nil && !ok {
			volatile = append(volatile, addr)
		}
	}
	if err != nil {
		log.DebugContext(ctx, "redis: cannot read the persistence settings (CONFIG GET refused?)", "err", err)
		return
	}
	if len(volatile) > 0 {
		log.WarnContext(ctx, "redis: no persistence (appendonly no, no save points): a restart forgets usage credits, login lockouts and throttling, TOTP replay guards, single-use links and sessions",
			"servers", strings.Join(volatile, ","))
	}
}
