package redisstore

import (
	"context"
	_ "embed" // Lua scripts
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/session/login"
)

// DefaultPrefix is the key prefix unless WithPrefix changes it: the
// prefix of the session store, so that the keys keep the layout they had
// when one store held sessions and login state.
const DefaultPrefix = "apicrud:session:"

var (
	//go:embed attempt.lua
	attemptSrc string
	//go:embed reserve.lua
	reserveSrc string
	//go:embed settle.lua
	settleSrc string
	//go:embed advance.lua
	advanceSrc string
	//go:embed puttoken.lua
	putTokenSrc string
	//go:embed taketoken.lua
	takeTokenSrc string

	attemptScript   = redis.NewScript(attemptSrc)
	reserveScript   = redis.NewScript(reserveSrc)
	settleScript    = redis.NewScript(settleSrc)
	advanceScript   = redis.NewScript(advanceSrc)
	putTokenScript  = redis.NewScript(putTokenSrc)
	takeTokenScript = redis.NewScript(takeTokenSrc)
)

// Store is the Redis login.Store. It is safe for concurrent use. It does
// not own the client: closing the client is the caller's business. Use
// New; the zero value is not usable.
type Store struct {
	rdb    redis.Scripter
	prefix string
}

var _ login.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithPrefix sets the key prefix (default DefaultPrefix). Stores with the
// same prefix on the same Redis share their login state. The prefix must
// be 1 to 128 bytes without "{", "}", spaces or control characters
// (ErrOption).
func WithPrefix(prefix string) Option {
	return func(s *Store) error {
		if err := rediskey.CheckPrefix(prefix); err != nil {
			return fmt.Errorf("%w: %w", ErrOption, err)
		}
		s.prefix = prefix
		return nil
	}
}

// New returns a Store on rdb: a *redis.Client, *redis.ClusterClient,
// *redis.Ring, a Sentinel failover client, or any redis.Scripter.
// An invalid option value is an error wrapping ErrOption.
func New(rdb redis.Scripter, opts ...Option) (*Store, error) {
	s := &Store{rdb: rdb, prefix: DefaultPrefix}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func ms(d time.Duration) int64 {
	if n := d.Milliseconds(); n > 0 {
		return n
	}
	if d > 0 {
		return 1
	}
	return 0
}

func wrap(op string, err error) error {
	return fmt.Errorf("loginredis: %s: %w", op, err)
}

// Attempt implements login.Store: one round trip (attempt.lua).
func (s *Store) Attempt(ctx context.Context, key string, l login.Ladder) (time.Duration, error) {
	n, err := attemptScript.Run(ctx, s.rdb, []string{rediskey.Tagged(s.prefix, key, ":try")}, ladderArgs(l)...).Int64()
	if err != nil {
		return 0, wrap("attempt", err)
	}
	return time.Duration(n) * time.Millisecond, nil
}

// ladderArgs are the script arguments of l after the leading ones.
func ladderArgs(l login.Ladder, lead ...any) []any {
	args := make([]any, 0, len(lead)+2+len(l.Delays))
	args = append(args, lead...)
	args = append(args, l.Free, max(ms(l.Window), 1))
	for _, d := range l.Delays {
		args = append(args, ms(d))
	}
	return args
}

// Reserve implements login.Store: one round trip (reserve.lua).
func (s *Store) Reserve(ctx context.Context, key, id string, l login.Ladder, hold time.Duration) (login.Admission, error) {
	n, err := reserveScript.Run(ctx, s.rdb, []string{rediskey.Tagged(s.prefix, key, ":try")}, ladderArgs(l, id, max(ms(hold), 1))...).Int64()
	switch {
	case err != nil:
		return login.Admission{}, wrap("reserve", err)
	case n == 0:
		return login.Admission{Reserved: true}, nil
	case n < 0:
		return login.Admission{}, nil // busy
	}
	return login.Admission{Wait: time.Duration(n) * time.Millisecond}, nil
}

// Settle implements login.Store: one round trip (settle.lua).
func (s *Store) Settle(ctx context.Context, key, id string, l login.Ladder, outcome login.Outcome) error {
	var o string
	switch outcome {
	case login.OutcomeFailed:
		o = "f"
	case login.OutcomePassed:
		o = "p"
	case login.OutcomeCleared:
		o = "c"
	default:
		return fmt.Errorf("loginredis: settle: unknown outcome %d", outcome)
	}
	if err := settleScript.Run(ctx, s.rdb, []string{rediskey.Tagged(s.prefix, key, ":try")}, ladderArgs(l, id, o)...).Err(); err != nil {
		return wrap("settle", err)
	}
	return nil
}

// AdvanceStep implements login.Store: one round trip (advance.lua).
func (s *Store) AdvanceStep(ctx context.Context, key string, step int64, ttl time.Duration) (bool, error) {
	n, err := advanceScript.Run(ctx, s.rdb, []string{rediskey.Tagged(s.prefix, key, ":step")}, step, max(ms(ttl), 1)).Int64()
	if err != nil {
		return false, wrap("advance step", err)
	}
	return n == 1, nil
}

// PutToken implements login.Store: one round trip (puttoken.lua).
func (s *Store) PutToken(ctx context.Context, key string, digest []byte, ttl time.Duration) error {
	if err := putTokenScript.Run(ctx, s.rdb, []string{rediskey.Tagged(s.prefix, key, ":tok")}, digest, max(ms(ttl), 1)).Err(); err != nil {
		return wrap("put token", err)
	}
	return nil
}

// TakeToken implements login.Store: one round trip (taketoken.lua).
func (s *Store) TakeToken(ctx context.Context, key string, digest []byte) (bool, error) {
	n, err := takeTokenScript.Run(ctx, s.rdb, []string{rediskey.Tagged(s.prefix, key, ":tok")}, digest).Int64()
	if err != nil {
		return false, wrap("take token", err)
	}
	return n == 1, nil
}
