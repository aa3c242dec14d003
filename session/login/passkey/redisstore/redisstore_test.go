package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session/login/passkey"
	"github.com/apicrud-go/apicrud/session/login/passkey/redisstore"
	"github.com/apicrud-go/apicrud/session/login/passkey/storetest"
)

func TestConformance(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		storetest.Run(t, func(t *testing.T) passkey.Store {
			rdb := connect(t)
			return testenv.Must(redisstore.New(rdb, redisstore.WithPrefix(testenv.Prefix(t, rdb))))
		})
	})
}

// Two instances on one Redis share the passkeys: one enrols, the other
// logs in and sees the counter.
func TestTwoInstances(t *testing.T) {
	testenv.EachRedis(t, func(t *testing.T, connect func(testing.TB) redis.UniversalClient) {
		a, b := connect(t), connect(t)
		prefix := testenv.Prefix(t, a)
		s1 := testenv.Must(redisstore.New(a, redisstore.WithPrefix(prefix)))
		s2 := testenv.Must(redisstore.New(b, redisstore.WithPrefix(prefix)))
		ctx := t.Context()
		c := passkey.Credential{ID: []byte("id"), UID: "u-1", Name: "n", PublicKey: []byte("k")}
		require.NoError(t, s1.Add(ctx, c))
		require.ErrorIs(t, s2.Add(ctx, passkey.Credential{ID: []byte("id"), UID: "u-2"}), passkey.ErrExists)
		ok, err := s2.Use(ctx, "u-1", c.ID, 3, c.Created)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = s1.Use(ctx, "u-1", c.ID, 3, c.Created)
		require.NoError(t, err)
		require.False(t, ok, "the counter the other instance stored")
	})
}

func TestNewValidates(t *testing.T) {
	_, err := redisstore.New(nil)
	require.ErrorIs(t, err, redisstore.ErrOption)
	_, err = redisstore.New(redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}), redisstore.WithPrefix("a{b"))
	require.ErrorIs(t, err, redisstore.ErrOption)
}

// A Redis that does not answer is an error, never "no passkey".
func TestUnavailable(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	s := testenv.Must(redisstore.New(rdb))
	ctx := t.Context()
	_, err := s.Get(ctx, "u-1", []byte("id"))
	require.Error(t, err)
	require.NotErrorIs(t, err, passkey.ErrNotFound)
	_, err = s.List(ctx, "u-1")
	require.Error(t, err)
	_, err = s.Use(ctx, "u-1", []byte("id"), 1, time.Time{})
	require.Error(t, err)
	require.Error(t, s.Add(ctx, passkey.Credential{ID: []byte("id"), UID: "u-1"}))
}
