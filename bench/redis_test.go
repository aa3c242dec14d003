package bench

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/testenv"
)

// redisForBench returns the test Redis (internal/testenv: skipped when it
// does not answer, failed under CI=true) and a key prefix of the
// benchmark's own; when the benchmark ends, the keys under it, and
// redis_rate's under "rate:"+prefix, are deleted (never FLUSHDB).
func redisForBench(b *testing.B) (*redis.Client, string) {
	b.Helper()
	rdb := testenv.Redis(b)
	prefix := testenv.Prefix(b, rdb)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := testenv.DeleteKeys(ctx, rdb, "rate:"+prefix); err != nil {
			b.Errorf("deleting redis_rate's keys: %v", err)
		}
	})
	return rdb, prefix
}
