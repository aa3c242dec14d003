package mutex_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/apicrud-go/apicrud/mutex"
)

// ExampleLocker_Acquire: a second caller waits for the lock and gets it
// once the first one releases it; TryAcquire does not wait.
func ExampleLocker_Acquire() {
	ctx := context.Background()
	locker, err := mutex.New(mutex.WithMaxWait(5 * time.Second)) // in-memory: the goroutines of this process
	if err != nil {
		panic(err)
	}
	defer locker.Close(ctx)

	first, err := locker.Acquire(ctx, "nightly-report", 30*time.Second)
	if err != nil {
		panic(err)
	}
	fmt.Println("first holds", first.Name(), "with fencing token", first.FencingToken())

	_, err = locker.TryAcquire(ctx, "nightly-report", 30*time.Second)
	fmt.Println("TryAcquire:", err, errors.Is(err, mutex.ErrNotObtained))

	go func() {
		time.Sleep(50 * time.Millisecond) // the first caller's work
		_ = first.Release(ctx)
	}()
	second, err := locker.Acquire(ctx, "nightly-report", 30*time.Second) // waits for the release
	if err != nil {
		panic(err)
	}
	fmt.Println("second holds it with fencing token", second.FencingToken())
	fmt.Println("second release:", second.Release(ctx))
	fmt.Println("release again:", second.Release(ctx))
	// Output:
	// first holds nightly-report with fencing token 1
	// TryAcquire: mutex: not obtained true
	// second holds it with fencing token 2
	// second release: <nil>
	// release again: mutex: not held
}

// account is a resource that fences off stale lock holders: it remembers
// the highest fencing token it has accepted and refuses lower ones, in the
// same critical section as the write (in a database: one conditional
// UPDATE … WHERE fence <= $token).
type account struct {
	mu      sync.Mutex // guards highest and balance
	highest int64
	balance int
}

var errStale = errors.New("stale fencing token")

func (a *account) Deposit(fence int64, amount int) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if fence < a.highest {
		return fmt.Errorf("%w %d (highest seen %d)", errStale, fence, a.highest)
	}
	a.highest = fence
	a.balance += amount
	return nil
}

// ExampleLock_FencingToken: a holder stalls past its TTL, another takes
// the lock and writes; the stalled holder's late write is refused.
func ExampleLock_FencingToken() {
	ctx := context.Background()
	locker, err := mutex.New()
	if err != nil {
		panic(err)
	}
	defer locker.Close(ctx)
	acct := &account{}

	a, err := locker.Acquire(ctx, "account:42", 20*time.Millisecond)
	if err != nil {
		panic(err)
	}
	fmt.Println("A holds fencing token", a.FencingToken())
	// A stalls (a GC pause, a slow network) for longer than its TTL, so B,
	// waiting in Acquire, gets the lock.
	b, err := locker.Acquire(ctx, "account:42", time.Minute)
	if err != nil {
		panic(err)
	}
	fmt.Println("B holds fencing token", b.FencingToken())
	fmt.Println("B deposits:", acct.Deposit(b.FencingToken(), 100))

	// A wakes up and, unaware, writes: fenced off.
	fmt.Println("A deposits:", acct.Deposit(a.FencingToken(), 100))
	fmt.Println("A releases:", a.Release(ctx))
	fmt.Println("B releases:", b.Release(ctx))
	fmt.Println("balance:", acct.balance)
	// Output:
	// A holds fencing token 1
	// B holds fencing token 2
	// B deposits: <nil>
	// A deposits: stale fencing token 1 (highest seen 2)
	// A releases: mutex: not held
	// B releases: <nil>
	// balance: 100
}

// ExampleLock_Watchdog keeps a lock with a short TTL for work that takes
// longer, and runs the work under the watchdog's context, which ends if the
// lock is lost.
func ExampleLock_Watchdog() {
	ctx := context.Background()
	locker, err := mutex.New()
	if err != nil {
		panic(err)
	}
	defer locker.Close(ctx)

	lock, err := locker.TryAcquire(ctx, "migration", 300*time.Millisecond)
	if err != nil {
		panic(err)
	}
	work, err := lock.Watchdog(ctx) // extends the lock every 100 ms
	if err != nil {
		panic(err)
	}
	select {
	case <-time.After(500 * time.Millisecond): // the migration, longer than the TTL
		fmt.Println("migration done")
	case <-work.Done():
		fmt.Println("lock lost, stopping:", context.Cause(work))
	}
	_, err = locker.TryAcquire(ctx, "migration", time.Minute)
	fmt.Println("still held past its TTL:", errors.Is(err, mutex.ErrNotObtained))

	fmt.Println("release:", lock.Release(ctx)) // stops the watchdog
	fmt.Println("work context:", context.Cause(work))
	// Output:
	// migration done
	// still held past its TTL: true
	// release: <nil>
	// work context: context canceled
}
