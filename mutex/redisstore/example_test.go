package redisstore_test

import (
	"context"
	"errors"
	"log"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/mutex"
	mutexredis "github.com/apicrud-go/apicrud/mutex/redisstore"
)

// Example runs a job on one instance of a service at a time. It needs a
// Redis server, so it is compiled but not run.
func Example() {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"}) // or redis.NewUniversalClient
	defer rdb.Close()

	store, err := mutexredis.New(rdb, mutexredis.WithPrefix("myservice:mutex:"))
	if err != nil {
		log.Fatal(err)
	}
	locker, err := mutex.New(
		mutex.WithStore(store),
		mutex.WithMaxWait(5*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	lock, err := locker.Acquire(ctx, "nightly-report", 30*time.Second)
	switch {
	case errors.Is(err, mutex.ErrNotObtained):
		log.Print("another instance is running the report")
		return
	case err != nil:
		log.Fatal(err) // Redis unreachable: nobody can tell who holds the lock
	}
	defer func() {
		if err := lock.Release(context.WithoutCancel(ctx)); err != nil {
			log.Printf("release: %v", err) // ErrNotHeld: the lock expired while we worked
		}
	}()

	// The report may take longer than 30 s: keep the lock while it runs.
	work, err := lock.Watchdog(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := runReport(work, lock.FencingToken()); err != nil {
		log.Printf("report: %v (lock: %v)", err, context.Cause(work))
	}
}

// runReport stands for the work: it stops when ctx ends, and sends fence
// with every write so that the storage can refuse a stale holder.
func runReport(ctx context.Context, fence int64) error {
	_ = fence
	return ctx.Err()
}
