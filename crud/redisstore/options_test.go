package redisstore_test

import (
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"testing"
	"time"

	crudredis "github.com/apicrud-go/apicrud/crud/redisstore"
)

// TestOptionsRejectBadValues: an option value the Store cannot work with
// is an error of New, as in the core package, never silently the default.
// New does not connect, so no server is needed.
func TestOptionsRejectBadValues(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	t.Cleanup(func() { _ = rdb.Close() })
	for _, p := range []string{"", "a{b}:", "tenant}", "with space:", "tab\t", "nul\x00", string(make([]byte, 129))} {
		s, err := crudredis.New(rdb, crudredis.WithPrefix(p))
		require.ErrorIs(t, err, crudredis.ErrOption, "prefix %q", p)
		require.Nil(t, s)
	}
	s, err := crudredis.New(rdb, crudredis.WithPrefix("myapp:"), nil)
	require.NoError(t, err)
	require.NotNil(t, s)

	for _, d := range []time.Duration{0, -time.Second} {
		_, err := crudredis.New(rdb, crudredis.WithGenerationTTL(d))
		require.ErrorIs(t, err, crudredis.ErrOption, "generation TTL %v", d)
	}
	_, err = crudredis.New(rdb, crudredis.WithGenerationTTL(time.Minute))
	require.NoError(t, err)
}
