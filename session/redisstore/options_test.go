package redisstore_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

// TestOptionsRejectBadValues: an option value the Store cannot work with
// is an error of New, as in the core package, never silently the default.
// New does not connect, so no server is needed.
func TestOptionsRejectBadValues(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	for _, p := range []string{"", "a{b}:", "tenant}", "with space:", "tab\t", "nul\x00", string(make([]byte, 129))} {
		s, err := sessionredis.New(rdb, sessionredis.WithPrefix(p))
		require.ErrorIs(t, err, sessionredis.ErrOption, "prefix %q", p)
		require.Nil(t, s)
	}
	for _, o := range []sessionredis.Option{
		sessionredis.WithCache(nil, 0, 0),
		sessionredis.WithCache(rdb, time.Millisecond, 0),
		sessionredis.WithCache(rdb, time.Minute, 0),
		sessionredis.WithCache(rdb, 0, -1),
	} {
		s, err := sessionredis.New(rdb, o)
		require.ErrorIs(t, err, sessionredis.ErrOption)
		require.Nil(t, s)
	}
	s, err := sessionredis.New(rdb, sessionredis.WithPrefix("myapp:"), nil)
	require.NoError(t, err)
	require.NotNil(t, s)
}
