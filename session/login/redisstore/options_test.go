package redisstore_test

import (
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"testing"

	loginredis "github.com/apicrud-go/apicrud/session/login/redisstore"
)

// TestOptionsRejectBadValues: an option value the Store cannot work with
// is an error of New, as in the core package, never silently the default.
// New does not connect, so no server is needed.
func TestOptionsRejectBadValues(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	for _, p := range []string{"", "a{b}:", "tenant}", "with space:", "tab\t", "nul\x00", string(make([]byte, 129))} {
		s, err := loginredis.New(rdb, loginredis.WithPrefix(p))
		require.ErrorIs(t, err, loginredis.ErrOption, "prefix %q", p)
		require.Nil(t, s)
	}
	s, err := loginredis.New(rdb, loginredis.WithPrefix("myapp:"), nil)
	require.NoError(t, err)
	require.NotNil(t, s)
}
