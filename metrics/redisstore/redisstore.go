package redisstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/metrics"
)

// DefaultPrefix is the key prefix used when WithPrefix is not given.
const DefaultPrefix = "apicrud:metrics:"

var (
	//go:embed add.lua
	addLua    string
	addScript = redis.NewScript(addLua)
	//go:embed consume.lua
	consumeLua    string
	consumeScript = redis.NewScript(consumeLua)
	//go:embed meter.lua
	meterLua    string
	meterScript = redis.NewScript(meterLua)
)

// Client is what the store needs of a go-redis client: *redis.Client,
// *redis.ClusterClient, *redis.Ring and redis.UniversalClient satisfy it.
type Client interface {
	redis.Scripter
	Pipelined(ctx context.Context, fn func(redis.Pipeliner) error) ([]redis.Cmder, error)
	HIncrByFloat(ctx context.Context, key, field string, incr float64) *redis.FloatCmd
	HSet(ctx context.Context, key string, values ...any) *redis.IntCmd
}

// Store is a metrics.Store in Redis, shared by every instance. Use New.
type Store struct {
	rdb    Client
	prefix string
}

var _ metrics.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithPrefix sets the key prefix (default DefaultPrefix).
// The prefix must be 1 to 128 bytes without "{", "}", spaces or control
// characters (ErrOption).
func WithPrefix(p string) Option {
	return func(s *Store) error {
		if err := rediskey.CheckPrefix(p); err != nil {
			return fmt.Errorf("%w: %w", ErrOption, err)
		}
		s.prefix = p
		return nil
	}
}

// New returns a Store on rdb. The caller keeps ownership of rdb: the Store
// never closes it.
// An invalid option value is an error wrapping ErrOption.
func New(rdb Client, opts ...Option) (*Store, error) {
	s := &Store{rdb: rdb, prefix: DefaultPrefix}
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) hashKey(metric string) string { return rediskey.Tagged(s.prefix, metric, "") }

func (s *Store) creditKey(metric, uid string) string {
	return rediskey.Tagged(s.prefix, metric, ":g:"+uid)
}

func (s *Store) periodKey(k metrics.PeriodKey) string {
	return rediskey.Tagged(s.prefix, k.Metric, ":m:"+k.Period)
}

func num(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// Add implements metrics.Store: one HINCRBYFLOAT, or one script for
// several deltas.
func (s *Store) Add(ctx context.Context, metric string, deltas ...metrics.Delta) error {
	switch len(deltas) {
	case 0:
		return nil
	case 1:
		return s.rdb.HIncrByFloat(ctx, s.hashKey(metric), deltas[0].Field, deltas[0].Value).Err()
	}
	args := make([]any, 0, 2*len(deltas))
	for _, d := range deltas {
		args = append(args, d.Field, num(d.Value))
	}
	return addScript.Run(ctx, s.rdb, []string{s.hashKey(metric)}, args...).Err()
}

// Set implements metrics.Store: one HSET.
func (s *Store) Set(ctx context.Context, metric, field string, value float64) error {
	return s.rdb.HSet(ctx, s.hashKey(metric), field, num(value)).Err()
}

// Read implements metrics.Store: one pipeline of HGETALL, one per metric.
// Fields whose value is not a number are left out.
func (s *Store) Read(ctx context.Context, names []string) ([]map[string]float64, error) {
	cmds := make([]*redis.MapStringStringCmd, len(names))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, n := range names {
			cmds[i] = p.HGetAll(ctx, s.hashKey(n))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]map[string]float64, len(names))
	for i, c := range cmds {
		raw := c.Val()
		m := make(map[string]float64, len(raw))
		for f, v := range raw {
			if x, err := strconv.ParseFloat(v, 64); err == nil {
				m[f] = x
			}
		}
		out[i] = m
	}
	return out, nil
}

// Consume implements metrics.Store with one script.
func (s *Store) Consume(ctx context.Context, req metrics.ConsumeRequest) (bool, metrics.CreditState, error) {
	keys := []string{s.creditKey(req.Metric, req.UID), s.hashKey(req.Metric)}
	reply, err := consumeScript.Run(ctx, s.rdb, keys, req.Limit, req.N, req.Period.Milliseconds()).Result()
	if err != nil {
		return false, metrics.CreditState{}, err
	}
	v, err := rediskey.Int64s(reply, 4)
	if err != nil {
		return false, metrics.CreditState{}, err
	}
	st := metrics.CreditState{Started: v[3] == 1, Left: v[1], Limit: req.Limit}
	if v[2] > 0 {
		st.TTL = time.Duration(v[2]) * time.Millisecond
	}
	return v[0] == 1, st, nil
}

// Meter implements metrics.Store with one script.
func (s *Store) Meter(ctx context.Context, k metrics.PeriodKey, uid string, amount float64, ttl time.Duration) (float64, error) {
	keys := []string{s.periodKey(k), s.hashKey(k.Metric)}
	reply, err := meterScript.Run(ctx, s.rdb, keys, uid, num(amount), ttl.Milliseconds()).Result()
	if err != nil {
		return 0, err
	}
	str, ok := reply.(string)
	if !ok {
		return 0, fmt.Errorf("%w: %T is not a number", rediskey.ErrReply, reply)
	}
	f, err := strconv.ParseFloat(str, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not a number", rediskey.ErrReply, str)
	}
	return f, nil
}

// Usage implements metrics.Store: one pipeline (HMGET and PTTL per credit,
// HGET per period).
func (s *Store) Usage(ctx context.Context, uid string, credits []string, periods []metrics.PeriodKey) ([]metrics.CreditState, []float64, error) {
	hm := make([]*redis.SliceCmd, len(credits))
	ttls := make([]*redis.DurationCmd, len(credits))
	amounts := make([]*redis.StringCmd, len(periods))
	_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, m := range credits {
			key := s.creditKey(m, uid)
			hm[i] = p.HMGet(ctx, key, "left", "limit")
			ttls[i] = p.PTTL(ctx, key)
		}
		for i, k := range periods {
			amounts[i] = p.HGet(ctx, s.periodKey(k), uid)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, err
	}
	cs := make([]metrics.CreditState, len(credits))
	for i := range credits {
		vals := hm[i].Val()
		if len(vals) != 2 || vals[0] == nil {
			continue
		}
		left, err1 := rediskey.Int64(vals[0])
		limit, err2 := rediskey.Int64(vals[1])
		if err1 != nil || err2 != nil {
			return nil, nil, fmt.Errorf("credit of %s: %w", credits[i], errors.Join(err1, err2))
		}
		cs[i] = metrics.CreditState{Started: true, Left: left, Limit: limit}
		if d := ttls[i].Val(); d > 0 {
			cs[i].TTL = d
		}
	}
	out := make([]float64, len(periods))
	for i, c := range amounts {
		if c.Err() != nil {
			if errors.Is(c.Err(), redis.Nil) {
				continue
			}
			return nil, nil, c.Err()
		}
		f, err := strconv.ParseFloat(c.Val(), 64)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: amount %q", rediskey.ErrReply, c.Val())
		}
		out[i] = f
	}
	return cs, out, nil
}
