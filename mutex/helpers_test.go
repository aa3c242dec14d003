package mutex_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/mutex"
)

// errDown is what a faulty store returns, as an unreachable Redis.
var errDown = errors.New("connection refused")

// spyStore wraps a Store: it records when each Obtain and Extend was
// made and the tokens handed to Obtain, and can be switched to fail or to
// hang (as a Redis that no longer answers: it returns only when the
// context ends). It is safe for concurrent use.
type spyStore struct {
	mutex.Store

	mu          sync.Mutex // guards everything below
	obtains     []time.Time
	extends     []time.Time
	tokens      []string
	failObtain  bool
	failExtend  bool
	failRelease int  // fail the next n Releases
	loseExtend  bool // Extend answers "not held" (the lock was lost)
	hang        bool // every call blocks until its context ends
}

func (s *spyStore) wait(ctx context.Context) error {
	s.mu.Lock()
	hang := s.hang
	s.mu.Unlock()
	if !hang {
		return nil
	}
	<-ctx.Done()
	return ctx.Err()
}

func (s *spyStore) Obtain(ctx context.Context, name, token string, ttl time.Duration) (int64, bool, error) {
	s.mu.Lock()
	s.obtains = append(s.obtains, time.Now())
	s.tokens = append(s.tokens, token)
	fail := s.failObtain
	s.mu.Unlock()
	if err := s.wait(ctx); err != nil {
		return 0, false, err
	}
	if fail {
		return 0, false, errDown
	}
	return s.Store.Obtain(ctx, name, token, ttl)
}

func (s *spyStore) Extend(ctx context.Context, name, token string, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	s.extends = append(s.extends, time.Now())
	fail, lose := s.failExtend, s.loseExtend
	s.mu.Unlock()
	if err := s.wait(ctx); err != nil {
		return false, err
	}
	switch {
	case fail:
		return false, errDown
	case lose:
		return false, nil
	}
	return s.Store.Extend(ctx, name, token, ttl)
}

func (s *spyStore) Release(ctx context.Context, name, token string) (bool, error) {
	s.mu.Lock()
	fail := s.failRelease > 0
	if fail {
		s.failRelease--
	}
	s.mu.Unlock()
	if err := s.wait(ctx); err != nil {
		return false, err
	}
	if fail {
		return false, errDown
	}
	return s.Store.Release(ctx, name, token)
}

func (s *spyStore) set(fn func(s *spyStore)) {
	s.mu.Lock()
	fn(s)
	s.mu.Unlock()
}

func (s *spyStore) obtainTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.obtains...)
}

func (s *spyStore) extendTimes() []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Time(nil), s.extends...)
}

func (s *spyStore) lastToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[len(s.tokens)-1]
}

// newSpy returns a spyStore over a new MemoryStore, closed when the test
// ends.
func newSpy(t *testing.T) *spyStore {
	t.Helper()
	mem := mutex.NewMemoryStore()
	t.Cleanup(func() { require.NoError(t, mem.Close(context.Background())) })
	return &spyStore{Store: mem}
}

// newLocker returns a Locker made with opts, closed when the test ends.
func newLocker(t *testing.T, opts ...mutex.Option) *mutex.Locker {
	t.Helper()
	l, err := mutex.New(opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, l.Close(context.Background())) })
	return l
}
