package grants_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/grants"
	"github.com/apicrud-go/apicrud/grants/storetest"
)

// The consumer interfaces grants implements (declared here as ratelimit,
// crud and metrics declare them).
type limitSource interface {
	RateLimit(ctx context.Context, uid, service string) (requests int, ok bool, err error)
}

type limits interface {
	Limit(ctx context.Context, name, uid string) (int64, error)
}

var (
	_ limitSource = (*grants.Grants)(nil)
	_ limits      = (*grants.Grants)(nil)
)

const defaultsYAML = `
lists: 12
list_size: 250
ratelimit: 500
ratelimit_login_attempt: 5
media_size_max: 0x1000000
photo_res_max: 0o2070
theme: dark
`

func newGrants(t *testing.T, opts ...grants.Option) *grants.Grants {
	t.Helper()
	d, err := grants.ParseDefaults([]byte(defaultsYAML))
	require.NoError(t, err)
	g, err := grants.New(d, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, g.Close(context.Background())) })
	return g
}

func TestMemoryStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) grants.Store {
		s := grants.NewMemoryStore()
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return s
	})
}

func TestMemoryCache(t *testing.T) {
	storetest.RunCache(t, func(t *testing.T) grants.Cache {
		c := grants.NewMemoryCache()
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	})
}

func TestGet(t *testing.T) {
	ctx := t.Context()
	g := newGrants(t)
	require.NoError(t, g.Set(ctx, "u-1", "lists", "0x20", time.Time{}))
	require.NoError(t, g.Set(ctx, "u-1", "theme", "light", time.Time{}))

	for _, tc := range []struct {
		name, uid string
		want      string
		wantInt   int64
		isInt     bool
	}{
		{"lists", "u-1", "0x20", 32, true},
		{"lists", "u-2", "12", 12, true},
		{"lists", "", "12", 12, true},
		{"media_size_max", "u-1", "0x1000000", 16777216, true},
		{"photo_res_max", "u-1", "0o2070", 1080, true},
		{"theme", "u-1", "light", 0, false},
		{"theme", "u-2", "dark", 0, false},
	} {
		t.Run(tc.name+"/"+tc.uid, func(t *testing.T) {
			v, err := g.Get(ctx, tc.name, tc.uid)
			require.NoError(t, err)
			require.Equal(t, tc.want, v.String())
			n, ok := v.Int64()
			require.Equal(t, tc.isInt, ok)
			require.Equal(t, tc.wantInt, n)
		})
	}
}

func TestUnknownGrantIsAnError(t *testing.T) {
	ctx := t.Context()
	g := newGrants(t)
	store := grants.NewMemoryStore()
	t.Cleanup(func() { _ = store.Close(ctx) })
	// Even an override row for the name does not make it a grant.
	g2, err := grants.New(g.Defaults(), grants.WithStore(store))
	require.NoError(t, err)
	t.Cleanup(func() { _ = g2.Close(ctx) })
	require.NoError(t, store.Put(ctx, grants.Override{UID: "u-1", Name: "photos", Value: "5"}))

	for _, gr := range []*grants.Grants{g, g2} {
		_, err := gr.Get(ctx, "photos", "u-1")
		require.ErrorIs(t, err, grants.ErrUnknownGrant)
		var ue *grants.UnknownGrantError
		require.ErrorAs(t, err, &ue)
		require.Equal(t, "photos", ue.Name)
		_, err = gr.Limit(ctx, "photos", "u-1")
		require.ErrorIs(t, err, grants.ErrUnknownGrant)
		_, err = gr.Lookup(ctx, "u-1:photos")
		require.ErrorIs(t, err, grants.ErrUnknownGrant)
		require.ErrorIs(t, gr.Set(ctx, "u-1", "photos", "3", time.Time{}), grants.ErrUnknownGrant)
	}
}

func TestLimit(t *testing.T) {
	ctx := t.Context()
	g := newGrants(t)
	n, err := g.Limit(ctx, "list_size", "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(250), n)
	_, err = g.Limit(ctx, "theme", "u-1")
	require.ErrorIs(t, err, grants.ErrNotInteger)
	require.NoError(t, g.Set(ctx, "u-1", "lists", "-1", time.Time{}))
	n, err = g.Limit(ctx, "lists", "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(-1), n, "negative: no limit, by the consumers' convention")
}

func TestRateLimit(t *testing.T) {
	ctx := t.Context()
	g := newGrants(t)
	require.NoError(t, g.Set(ctx, "u-vip", "ratelimit", "2000", time.Time{}))
	for _, tc := range []struct {
		uid, service string
		want         int
	}{
		{"u-1", "*", 500},
		{"u-1", "", 500},
		{"u-1", "api", 500},                          // no ratelimit_api grant: the general one
		{"u-1", "login.attempt", 5},                  // ratelimit_login_attempt
		{"u-1", "LOGIN-attempt", 5},                  // case and punctuation folded
		{"u-vip", "*", 2000},                         // override
		{"u-vip", "login.attempt", 5},                // the service grant has no override
		{"", "*", 500},                               // anonymous: the default
		{"u-1", "x" + string(make([]byte, 80)), 500}, // overlong service name: the general grant
	} {
		t.Run(tc.uid+"/"+tc.service, func(t *testing.T) {
			n, ok, err := g.RateLimit(ctx, tc.uid, tc.service)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, tc.want, n)
		})
	}

	t.Run("undefined", func(t *testing.T) {
		d, err := grants.NewDefaults(map[string]string{"lists": "1"})
		require.NoError(t, err)
		g, err := grants.New(d)
		require.NoError(t, err)
		t.Cleanup(func() { _ = g.Close(ctx) })
		n, ok, err := g.RateLimit(ctx, "u-1", "*")
		require.NoError(t, err)
		require.False(t, ok, "no ratelimit grant: the limiter's default applies")
		require.Zero(t, n)
	})
	t.Run("bad values fail closed", func(t *testing.T) {
		for _, v := range []string{"lots", "-5"} {
			require.NoError(t, g.Set(ctx, "u-bad", "ratelimit", v, time.Time{}))
			_, _, err := g.RateLimit(ctx, "u-bad", "*")
			require.ErrorIs(t, err, grants.ErrNotInteger, v)
		}
	})
}

func TestListAndLookup(t *testing.T) {
	ctx := t.Context()
	g := newGrants(t)
	exp := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
	require.NoError(t, g.Set(ctx, "u-1", "list_size", "1000", exp))

	list, err := g.List(ctx, "u-1")
	require.NoError(t, err)
	var names []string
	for _, gr := range list {
		names = append(names, gr.Name)
	}
	require.Equal(t, []string{"lists", "list_size", "ratelimit", "ratelimit_login_attempt", "media_size_max", "photo_res_max", "theme"}, names, "config order")
	require.Equal(t, grants.Grant{ID: "u-1:lists", UID: "u-1", Name: "lists", Value: grants.IntValue(12), Default: true}, list[0])
	require.Equal(t, "u-1:list_size", list[1].ID)
	require.Equal(t, "1000", list[1].Value.String())
	require.False(t, list[1].Default)
	require.True(t, exp.Equal(list[1].Expires))

	gr, err := g.Lookup(ctx, "u-1:list_size")
	require.NoError(t, err)
	require.Equal(t, list[1], gr)
	gr, err = g.Lookup(ctx, "x:y:lists") // the uid may hold a colon; the name cannot
	require.NoError(t, err)
	require.Equal(t, "x:y", gr.UID)

	require.NoError(t, g.Delete(ctx, "u-1", "list_size"))
	gr, err = g.Lookup(ctx, "u-1:list_size")
	require.NoError(t, err)
	require.True(t, gr.Default)
	require.Equal(t, "250", gr.Value.String())
}

func TestSetValidates(t *testing.T) {
	ctx := t.Context()
	g := newGrants(t)
	for _, tc := range []struct {
		uid, name, value string
		want             error
	}{
		{"u-1", "lists", "", grants.ErrBadValue},
		{"u-1", "lists", "1 0", grants.ErrBadValue},
		{"u-1", "lists", "1;DROP TABLE grants", grants.ErrBadValue},
		{"u-1", "lists", string(make([]byte, 65)), grants.ErrBadValue},
		{"", "lists", "1", grants.ErrBadUID},
		{"u 1", "lists", "1", grants.ErrBadUID},
		{"u-1\n", "lists", "1", grants.ErrBadUID},
		{"u-1", "Lists", "1", grants.ErrUnknownGrant},
	} {
		t.Run(tc.uid+tc.name+tc.value, func(t *testing.T) {
			require.ErrorIs(t, g.Set(ctx, tc.uid, tc.name, tc.value, time.Time{}), tc.want)
		})
	}
	_, err := g.List(ctx, "")
	require.ErrorIs(t, err, grants.ErrBadUID)
}

func TestNewRejectsNil(t *testing.T) {
	for name, o := range map[string]grants.Option{
		"store":  grants.WithStore(nil),
		"cache":  grants.WithCache(nil),
		"ttl":    grants.WithCacheTTL(-time.Second),
		"logger": grants.WithLogger(nil),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := grants.New(grants.Defaults{}, o)
			require.ErrorIs(t, err, grants.ErrConfig)
		})
	}
}

// countingStore counts the reads that reach the store.
type countingStore struct {
	grants.Store
	reads atomic.Int64
	hook  func()
}

func (c *countingStore) Overrides(ctx context.Context, uid string) ([]grants.Override, error) {
	c.reads.Add(1)
	list, err := c.Store.Overrides(ctx, uid)
	if c.hook != nil {
		c.hook() // runs after the read, before the cache write
	}
	return list, err
}

func TestReadThroughCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		mem := grants.NewMemoryStore()
		defer mem.Close(ctx)
		store := &countingStore{Store: mem}
		g := newGrants(t, grants.WithStore(store), grants.WithCacheTTL(time.Minute))
		defer g.Close(ctx)

		for range 3 {
			_, err := g.Get(ctx, "lists", "u-1")
			require.NoError(t, err)
		}
		require.Equal(t, int64(1), store.reads.Load(), "an account without overrides is cached too")

		// A write outside Grants is not seen until Uncache or the TTL.
		require.NoError(t, mem.Put(ctx, grants.Override{UID: "u-1", Name: "lists", Value: "30"}))
		n, _ := g.Limit(ctx, "lists", "u-1")
		require.Equal(t, int64(12), n)
		require.NoError(t, g.Uncache(ctx, "u-1"))
		n, _ = g.Limit(ctx, "lists", "u-1")
		require.Equal(t, int64(30), n)
		require.Equal(t, int64(2), store.reads.Load())

		require.NoError(t, mem.Put(ctx, grants.Override{UID: "u-1", Name: "lists", Value: "40"}))
		time.Sleep(time.Minute + time.Second)
		n, _ = g.Limit(ctx, "lists", "u-1")
		require.Equal(t, int64(40), n, "the entry expired with the cache TTL")
	})
}

func TestCacheEntryEndsWithTheOverride(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		g := newGrants(t, grants.WithCacheTTL(time.Hour))
		defer g.Close(ctx)
		require.NoError(t, g.Set(ctx, "u-1", "lists", "99", time.Now().Add(10*time.Second)))
		n, _ := g.Limit(ctx, "lists", "u-1")
		require.Equal(t, int64(99), n)
		time.Sleep(11 * time.Second)
		n, _ = g.Limit(ctx, "lists", "u-1")
		require.Equal(t, int64(12), n, "the cached override expired on time, not after the cache TTL")
	})
}

// An Uncache that happens while a read-through load is in flight wins: the
// load does not put what it read before into the cache.
func TestUncacheDuringLoad(t *testing.T) {
	ctx := t.Context()
	mem := grants.NewMemoryStore()
	t.Cleanup(func() { _ = mem.Close(ctx) })
	store := &countingStore{Store: mem}
	g := newGrants(t, grants.WithStore(store))
	store.hook = func() {
		store.hook = nil
		// Another request changes the account and uncaches it while this
		// load is between its store read and its cache write.
		_ = mem.Put(ctx, grants.Override{UID: "u-1", Name: "lists", Value: "77"})
		_ = g.Uncache(ctx, "u-1")
	}
	v, err := g.Get(ctx, "lists", "u-1")
	require.NoError(t, err)
	require.Equal(t, "12", v.String(), "this load read before the change")
	n, err := g.Limit(ctx, "lists", "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(77), n)
}

func TestWithoutCache(t *testing.T) {
	ctx := t.Context()
	mem := grants.NewMemoryStore()
	t.Cleanup(func() { _ = mem.Close(ctx) })
	store := &countingStore{Store: mem}
	g := newGrants(t, grants.WithStore(store), grants.WithCacheTTL(0))
	for range 3 {
		_, err := g.Get(ctx, "lists", "u-1")
		require.NoError(t, err)
	}
	require.Equal(t, int64(3), store.reads.Load())
	require.NoError(t, g.Uncache(ctx, "u-1"))
}

type failingStore struct{ grants.Store }

var errDown = errors.New("database down")

func (failingStore) Overrides(context.Context, string) ([]grants.Override, error) {
	return nil, errDown
}

func TestStoreErrorsFailClosed(t *testing.T) {
	g := newGrants(t, grants.WithStore(failingStore{}))
	_, err := g.Limit(t.Context(), "lists", "u-1")
	require.ErrorIs(t, err, errDown)
	_, _, err = g.RateLimit(t.Context(), "u-1", "*")
	require.ErrorIs(t, err, errDown)
}

func BenchmarkLimit(b *testing.B) {
	// Measures a cached lookup on the memory cache (the common path of every
	// quota check): no I/O.
	d, _ := grants.ParseDefaults([]byte(defaultsYAML))
	g, _ := grants.New(d)
	defer g.Close(context.Background())
	ctx := context.Background()
	_ = g.Set(ctx, "u-1", "lists", "20", time.Time{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := g.Limit(ctx, "lists", "u-1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestSetDefaults changes the defaults at run time, while other goroutines
// read them (run with -race): calls that start afterwards see the new
// values, overrides keep theirs, and a grant no longer defined is unknown.
func TestSetDefaults(t *testing.T) {
	ctx := t.Context()
	d1, err := grants.NewDefaults(map[string]string{"contacts": "8", "lists": "2"})
	require.NoError(t, err)
	g, err := grants.New(d1)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, g.Close(context.Background())) })
	require.NoError(t, g.Set(ctx, "u-1", "lists", "5", time.Time{}))

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n, err := g.Limit(ctx, "contacts", "u-2")
				if err == nil && n != 8 && n != 20 {
					t.Errorf("contacts = %d, want 8 or 20", n)
				}
				_, _ = g.List(ctx, "u-1")
			}
		})
	}
	d2, err := grants.NewDefaults(map[string]string{"contacts": "20", "messages": "3"})
	require.NoError(t, err)
	g.SetDefaults(d2)
	close(stop)
	wg.Wait()

	n, err := g.Limit(ctx, "contacts", "u-2")
	require.NoError(t, err)
	require.Equal(t, int64(20), n)
	n, err = g.Limit(ctx, "messages", "u-2")
	require.NoError(t, err)
	require.Equal(t, int64(3), n)
	_, err = g.Limit(ctx, "lists", "u-1")
	require.ErrorIs(t, err, grants.ErrUnknownGrant)
	require.Equal(t, []string{"contacts", "messages"}, g.Defaults().Names())

	g.SetDefaults(d1) // back: the override is there again
	n, err = g.Limit(ctx, "lists", "u-1")
	require.NoError(t, err)
	require.Equal(t, int64(5), n)
}
