package session_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session"
)

// newSealer is the tests' AES-256-GCM Sealer.
func newSealer(t testing.TB) *testenv.Sealer { return testenv.NewSealer(t) }

var testSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// env is a Manager with an in-memory store.
type env struct {
	m      *session.Manager
	sealer *testenv.Sealer
	store  *session.MemoryStore
}

// newEnv builds an env. Inside a synctest bubble it must be built inside
// the bubble (its store's sweepers belong to the bubble).
func newEnv(t testing.TB, opts ...session.Option) *env {
	t.Helper()
	e := &env{store: session.NewMemoryStore(), sealer: newSealer(t)}
	t.Cleanup(func() { require.NoError(t, e.store.Close(context.Background())) })
	m, err := session.New(e.sealer, testSecret, append([]session.Option{session.WithStore(e.store)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close(context.Background())) })
	e.m = m
	return e
}

// failingStore is a Store whose every method fails, as Redis does when it
// is down.
type failingStore struct{}

var errDown = errors.New("dial tcp 127.0.0.1:6379: connect: connection refused")

func (failingStore) Create(context.Context, string, string, []byte, time.Duration, time.Duration) error {
	return errDown
}

func (failingStore) Get(context.Context, string, string, time.Duration, time.Duration, func() []byte) (session.Entry, bool, error) {
	return session.Entry{}, false, errDown
}

func (failingStore) Replace(context.Context, string, string, []byte, []byte) (bool, error) {
	return false, errDown
}
func (failingStore) Delete(context.Context, string, string) (bool, error)   { return false, errDown }
func (failingStore) DeleteAll(context.Context, string, string) (int, error) { return 0, errDown }
func (failingStore) List(context.Context, string) ([]session.Entry, error) {
	return nil, errDown
}

// countingStore counts the refreshes (store writes) of Get.
type countingStore struct {
	session.Store
	mu              sync.Mutex
	gets, refreshes int
}

func (c *countingStore) Get(ctx context.Context, uid, id string, idle, after time.Duration, use func() []byte) (session.Entry, bool, error) {
	e, ok, err := c.Store.Get(ctx, uid, id, idle, after, use)
	c.mu.Lock()
	c.gets++
	if e.Refreshed {
		c.refreshes++
	}
	c.mu.Unlock()
	return e, ok, err
}

func http0(name string) http.Cookie { return http.Cookie{Name: name} }
