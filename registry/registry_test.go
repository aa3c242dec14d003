package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/registry"
)

var (
	_ registry.Sealer = (*apicrypto.Cipher)(nil)
	_ registry.Sealer = (*apicrypto.Keyring)(nil)
)

func newCipher(t testing.TB, seed byte) *apicrypto.Cipher {
	t.Helper()
	key := bytes.Repeat([]byte{seed}, apicrypto.KeySize)
	key[0] ^= 0x5a
	c, err := apicrypto.NewFromKey(key, apicrypto.WithPurpose("registry"))
	require.NoError(t, err)
	return c
}

func instance(service, id string, endpoints ...string) registry.Instance {
	return registry.Instance{
		Service:   service,
		ID:        id,
		Endpoints: endpoints,
		PublicURL: "https://" + service + ".example.com/api/v1",
		IPv4:      "10.0.0.1",
		Port:      8080,
	}
}

// rejects collects what the reject function receives.
type rejects struct {
	mu   sync.Mutex
	errs []*registry.EntryError
}

func (r *rejects) fn(_ context.Context, err *registry.EntryError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, err)
}

func (r *rejects) byKey() map[string]error {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]error{}
	for _, e := range r.errs {
		out[e.Key] = e
	}
	return out
}

// crashStore forwards to a Store until crash is called; then every write
// fails, as if the process were gone.
type crashStore struct {
	registry.Store
	mu      sync.Mutex
	crashed bool
}

var errCrashed = errors.New("crashed")

func (s *crashStore) crash() { s.mu.Lock(); s.crashed = true; s.mu.Unlock() }

func (s *crashStore) down() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.crashed }

func (s *crashStore) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if s.down() {
		return errCrashed
	}
	return s.Store.Put(ctx, key, value, ttl)
}

func (s *crashStore) Delete(ctx context.Context, key string, value []byte) (bool, error) {
	if s.down() {
		return false, errCrashed
	}
	return s.Store.Delete(ctx, key, value)
}

func ids(res registry.Result) []string {
	var out []string
	for _, inst := range res.Instances {
		out = append(out, inst.Service+":"+inst.ID)
	}
	return out
}

func TestRegisterFind(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		c, err := registry.New(newCipher(t, 1))
		require.NoError(t, err)
		defer func() { require.NoError(t, c.Close(context.Background())) }()

		a, err := c.Register(ctx, instance("main", "host-a", "person", "contact"))
		require.NoError(t, err)
		b, err := c.Register(ctx, instance("main", "host-b", "person", "contact"))
		require.NoError(t, err)
		m, err := c.Register(ctx, instance("media", "host-c", "album", "picture"))
		require.NoError(t, err)

		res, err := c.Find(ctx, "main")
		require.NoError(t, err)
		require.Equal(t, []string{"main:host-a", "main:host-b"}, ids(res), "two instances of one service are both found")
		require.Equal(t, map[string]string{
			"person":  "https://main.example.com/api/v1",
			"contact": "https://main.example.com/api/v1",
		}, res.URLMap)
		got := res.Instances[0]
		require.Equal(t, "10.0.0.1", got.IPv4)
		require.Equal(t, 8080, got.Port)
		require.Equal(t, time.Now().UTC().Truncate(time.Second), got.Created)
		require.Equal(t, a.Instance(), got)

		all, err := c.Find(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []string{"main:host-a", "main:host-b", "media:host-c"}, ids(all))
		require.Equal(t, "https://media.example.com/api/v1", all.URLMap["album"])
		require.Len(t, all.URLMap, 4)

		none, err := c.Find(ctx, "billing")
		require.NoError(t, err)
		require.Empty(t, none.Instances)
		require.Empty(t, none.URLMap)

		for _, r := range []*registry.Registration{a, b, m} {
			require.NoError(t, r.Close(ctx))
		}
		all, err = c.Find(ctx, "")
		require.NoError(t, err)
		require.Empty(t, all.Instances, "Close deregisters")
	})
}

// TestHeartbeatKeepsAlive: a registration outlives its TTL many times over
// while its heartbeat runs.
func TestHeartbeatKeepsAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		c, err := registry.New(newCipher(t, 1), registry.WithHeartbeat(30*time.Second, time.Minute))
		require.NoError(t, err)
		reg, err := c.Register(ctx, instance("main", "a", "person"))
		require.NoError(t, err)
		for range 20 {
			time.Sleep(time.Minute)
			res, err := c.Find(ctx, "main")
			require.NoError(t, err)
			require.Len(t, res.Instances, 1)
			require.NoError(t, reg.Err())
		}
		require.NoError(t, reg.Close(ctx))
		require.NoError(t, c.Close(ctx))
	})
}

// TestStoppedHeartbeatExpires: an instance whose heartbeat stops (the
// process died: nothing deregisters it) disappears one TTL after its last
// heartbeat.
func TestStoppedHeartbeatExpires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		mem := registry.NewMemoryStore()
		defer func() { require.NoError(t, mem.Close(context.Background())) }()
		crashing := &crashStore{Store: mem}
		sealer := newCipher(t, 1)
		dying, err := registry.New(sealer, registry.WithStore(crashing), registry.WithHeartbeat(30*time.Second, time.Minute))
		require.NoError(t, err)
		observer, err := registry.New(sealer, registry.WithStore(mem))
		require.NoError(t, err)

		start := time.Now()
		reg, err := dying.Register(ctx, instance("main", "a", "person"))
		require.NoError(t, err)
		time.Sleep(45 * time.Second) // the heartbeat at +30s happened
		crashing.crash()

		time.Sleep(time.Until(start.Add(89 * time.Second)))
		res, err := observer.Find(ctx, "main")
		require.NoError(t, err)
		require.Len(t, res.Instances, 1, "alive until one TTL after the last heartbeat (+30s)")
		require.ErrorIs(t, reg.Err(), errCrashed, "the failed heartbeat is reported")

		time.Sleep(time.Second) // +90s: TTL after the last heartbeat
		res, err = observer.Find(ctx, "main")
		require.NoError(t, err)
		require.Empty(t, res.Instances)
		require.Empty(t, res.URLMap)

		require.NoError(t, reg.Close(ctx)) // stops the goroutine; its Delete fails
	})
}

func TestContextEndDeregisters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := registry.New(newCipher(t, 1))
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		reg, err := c.Register(ctx, instance("main", "a", "person"))
		require.NoError(t, err)
		cancel()
		<-reg.Done()
		res, err := c.Find(t.Context(), "")
		require.NoError(t, err)
		require.Empty(t, res.Instances)
		require.NoError(t, reg.Close(t.Context()), "Close after the context ended")
		require.NoError(t, reg.Close(t.Context()), "and again")
		require.NoError(t, c.Close(t.Context()))
	})
}

// TestLateDeregisterKeepsReplacement: an old registration that closes
// after a new instance with the same id registered does not remove it.
func TestLateDeregisterKeepsReplacement(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		c, err := registry.New(newCipher(t, 1))
		require.NoError(t, err)
		old, err := c.Register(ctx, instance("main", "a", "person"))
		require.NoError(t, err)
		replacement, err := c.Register(ctx, instance("main", "a", "person", "contact"))
		require.NoError(t, err)
		require.NoError(t, old.Close(ctx))
		res, err := c.Find(ctx, "main")
		require.NoError(t, err)
		require.Len(t, res.Instances, 1)
		require.Equal(t, []string{"person", "contact"}, res.Instances[0].Endpoints)
		require.NoError(t, replacement.Close(ctx))
		require.NoError(t, c.Close(ctx))
	})
}

// TestDefect20_6ForgedEntriesRejected is defect §20.6 against the registry: a writer
// with access to the store but without the key cannot inject or redirect
// an entry. Every forgery is skipped, reported, and never returned.
func TestDefect20_6ForgedEntriesRejected(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		mem := registry.NewMemoryStore()
		defer func() { require.NoError(t, mem.Close(context.Background())) }()
		sealer := newCipher(t, 1)
		var rej rejects
		var logs bytes.Buffer
		c, err := registry.New(sealer, registry.WithStore(mem), registry.WithRejectFunc(rej.fn),
			registry.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		reg, err := c.Register(ctx, instance("main", "good", "person"))
		require.NoError(t, err)
		recs, err := mem.List(ctx, "main:good")
		require.NoError(t, err)
		legit := recs[0].Value

		// A writer that has the key of another cluster.
		foreign, err := registry.New(newCipher(t, 2), registry.WithStore(mem))
		require.NoError(t, err)
		fr, err := foreign.Register(ctx, instance("main", "foreign", "person"))
		require.NoError(t, err)

		sealRaw := func(key, json string) []byte {
			b, err := sealer.Seal([]byte(json), []byte("apicrud-go/registry/v1\x00"+key))
			require.NoError(t, err)
			return b
		}
		now := time.Now().UTC().Format(time.RFC3339Nano)
		future := time.Now().Add(10 * time.Minute).UTC().Format(time.RFC3339Nano)
		wire := func(service, id, hb string) string {
			return fmt.Sprintf(`{"v":1,"instance":{"service":%q,"id":%q,"endpoints":["person"],"public_url":"https://evil.example.com"},"heartbeat":%q,"ttl":60000000000}`, service, id, hb)
		}
		forged := map[string]struct {
			value []byte
			want  error
		}{
			"main:garbage":      {[]byte("not sealed at all"), registry.ErrInvalidEntry},
			"main:empty":        {nil, registry.ErrInvalidEntry},
			"main:plain-json":   {[]byte(wire("main", "plain-json", now)), registry.ErrInvalidEntry},
			"main:copied":       {legit, registry.ErrInvalidEntry}, // moved to another key
			"billing:good":      {legit, registry.ErrInvalidEntry}, // moved to another service
			"main:flipped":      {flip(legit), registry.ErrInvalidEntry},
			"main:liar":         {sealRaw("main:liar", wire("main", "good", now)), registry.ErrInvalidEntry},
			"main:not-json":     {sealRaw("main:not-json", "{"), registry.ErrInvalidEntry},
			"main:version":      {sealRaw("main:version", strings.Replace(wire("main", "version", now), `"v":1`, `"v":2`, 1)), registry.ErrInvalidEntry},
			"main:bad-instance": {sealRaw("main:bad-instance", strings.Replace(wire("main", "bad-instance", now), "https://evil.example.com", "javascript://sealed-with-the-key", 1)), registry.ErrInvalidEntry},
			"main:no-ttl":       {sealRaw("main:no-ttl", strings.Replace(wire("main", "no-ttl", now), `"ttl":60000000000`, `"ttl":0`, 1)), registry.ErrInvalidEntry},
			"main:future":       {sealRaw("main:future", wire("main", "future", future)), registry.ErrStaleEntry},
		}
		for key, f := range forged {
			require.NoError(t, mem.Put(ctx, key, f.value, time.Minute))
		}

		for _, service := range []string{"", "main", "billing"} {
			res, err := c.Find(ctx, service)
			require.NoError(t, err)
			for _, inst := range res.Instances {
				require.Equal(t, "main:good", inst.Service+":"+inst.ID, "only the genuine entry is returned")
			}
			for _, u := range res.URLMap {
				require.NotContains(t, u, "evil")
			}
		}
		got := rej.byKey()
		for key, f := range forged {
			require.ErrorIs(t, got[key], f.want, key)
		}
		require.ErrorIs(t, got["main:foreign"], registry.ErrInvalidEntry, "an entry sealed under another key")
		require.Contains(t, logs.String(), "registry: rejected entry")
		require.NotContains(t, logs.String(), "evil.example.com", "the log never echoes forged content")

		// Replay: the genuine sealed value, written back after the
		// instance is gone, is rejected once its heartbeat is old.
		require.NoError(t, reg.Close(ctx))
		time.Sleep(3 * time.Minute)
		require.NoError(t, mem.Put(ctx, "main:good", legit, time.Minute))
		res, err := c.Find(ctx, "main")
		require.NoError(t, err)
		require.Empty(t, ids(res))
		require.ErrorIs(t, rej.byKey()["main:good"], registry.ErrStaleEntry)

		require.NoError(t, fr.Close(ctx))
		require.NoError(t, c.Close(ctx))
		require.NoError(t, foreign.Close(ctx))
	})
}

func flip(b []byte) []byte {
	out := bytes.Clone(b)
	out[len(out)/2] ^= 1
	return out
}

func TestURLMapConflict(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		var logs bytes.Buffer
		c, err := registry.New(newCipher(t, 1), registry.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		require.NoError(t, err)
		a := instance("main", "a", "person")
		b := instance("main", "b", "person")
		b.PublicURL = "https://other.example.com/api/v1"
		worker := instance("worker", "w")
		worker.Endpoints, worker.PublicURL = nil, ""
		var regs []*registry.Registration
		for _, inst := range []registry.Instance{b, a, worker} {
			r, err := c.Register(ctx, inst)
			require.NoError(t, err)
			regs = append(regs, r)
		}
		res, err := c.Find(ctx, "")
		require.NoError(t, err)
		require.Equal(t, []string{"main:a", "main:b", "worker:w"}, ids(res), "instances without endpoints are listed too")
		require.Equal(t, map[string]string{"person": "https://main.example.com/api/v1"}, res.URLMap, "the first instance in order wins")
		require.Contains(t, logs.String(), "serves one resource at two URLs")
		for _, r := range regs {
			require.NoError(t, r.Close(ctx))
		}
		require.NoError(t, c.Close(ctx))
	})
}

func TestRegisterValidates(t *testing.T) {
	ctx := t.Context()
	c, err := registry.New(newCipher(t, 1))
	require.NoError(t, err)
	defer func() { require.NoError(t, c.Close(ctx)) }()
	mod := func(f func(*registry.Instance)) registry.Instance {
		inst := instance("main", "a", "person")
		f(&inst)
		return inst
	}
	tests := map[string]registry.Instance{
		"empty service":       mod(func(i *registry.Instance) { i.Service = "" }),
		"colon in service":    mod(func(i *registry.Instance) { i.Service = "ma:in" }),
		"glob in service":     mod(func(i *registry.Instance) { i.Service = "main*" }),
		"brace in id":         mod(func(i *registry.Instance) { i.ID = "{a}" }),
		"IPv6 id":             mod(func(i *registry.Instance) { i.ID = "::1" }),
		"long id":             mod(func(i *registry.Instance) { i.ID = strings.Repeat("a", 65) }),
		"unicode id":          mod(func(i *registry.Instance) { i.ID = "hôte" }),
		"empty endpoint":      mod(func(i *registry.Instance) { i.Endpoints = []string{""} }),
		"slash endpoint":      mod(func(i *registry.Instance) { i.Endpoints = []string{"a/b"} }),
		"no public URL":       mod(func(i *registry.Instance) { i.PublicURL = "" }),
		"relative public URL": mod(func(i *registry.Instance) { i.PublicURL = "/api/v1" }),
		"javascript URL":      mod(func(i *registry.Instance) { i.PublicURL = "javascript:alert(1)" }),
		"credentials in URL":  mod(func(i *registry.Instance) { i.PublicURL = "https://u:p@example.com" }),
		"IPv6 as IPv4":        mod(func(i *registry.Instance) { i.IPv4 = "::1" }),
		"bad IPv4":            mod(func(i *registry.Instance) { i.IPv4 = "300.1.1.1" }),
		"negative port":       mod(func(i *registry.Instance) { i.Port = -1 }),
		"port too large":      mod(func(i *registry.Instance) { i.Port = 70000 }),
		"invalid UTF-8 in id": mod(func(i *registry.Instance) { i.ID = "\xff" }),
		"too many endpoints":  mod(func(i *registry.Instance) { i.Endpoints = make([]string, 1025) }),
	}
	for name, inst := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := c.Register(ctx, inst)
			require.ErrorIs(t, err, registry.ErrInvalidInstance)
		})
	}
	_, err = c.Find(ctx, "bad:service")
	require.ErrorIs(t, err, registry.ErrInvalidInstance)
	res, err := c.Find(ctx, "")
	require.NoError(t, err)
	require.Empty(t, res.Instances, "nothing was stored")
}

func TestNewValidates(t *testing.T) {
	_, err := registry.New(nil)
	require.ErrorIs(t, err, registry.ErrOption)
	_, err = registry.New(newCipher(t, 1), registry.WithStore(nil))
	require.ErrorIs(t, err, registry.ErrOption)
	for _, hb := range [][2]time.Duration{{0, time.Second}, {time.Second, time.Second}, {time.Minute, time.Second}} {
		_, err = registry.New(newCipher(t, 1), registry.WithHeartbeat(hb[0], hb[1]))
		require.ErrorIs(t, err, registry.ErrOption)
	}
}

func TestClosedClient(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, err := registry.New(newCipher(t, 1))
		require.NoError(t, err)
		require.NoError(t, c.Close(t.Context()))
		require.NoError(t, c.Close(t.Context()), "idempotent")
		_, err = c.Register(t.Context(), instance("main", "a", "person"))
		require.ErrorIs(t, err, registry.ErrClosed)
		_, err = c.Find(t.Context(), "")
		require.ErrorIs(t, err, registry.ErrClosed)
	})
}

func TestHeartbeatFailureRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		mem := registry.NewMemoryStore()
		defer func() { require.NoError(t, mem.Close(context.Background())) }()
		flaky := &crashStore{Store: mem}
		c, err := registry.New(newCipher(t, 1), registry.WithStore(flaky), registry.WithHeartbeat(time.Second, 3*time.Second))
		require.NoError(t, err)

		flaky.crash()
		_, err = c.Register(ctx, instance("main", "a", "person"))
		require.ErrorIs(t, err, errCrashed, "the first write's error is returned")

		flaky.mu.Lock()
		flaky.crashed = false
		flaky.mu.Unlock()
		reg, err := c.Register(ctx, instance("main", "a", "person"))
		require.NoError(t, err)
		flaky.crash()
		time.Sleep(1500 * time.Millisecond)
		require.ErrorIs(t, reg.Err(), errCrashed)
		flaky.mu.Lock()
		flaky.crashed = false
		flaky.mu.Unlock()
		time.Sleep(time.Second)
		require.NoError(t, reg.Err(), "the next heartbeat succeeds")
		require.NoError(t, reg.Close(ctx))
		require.NoError(t, c.Close(ctx))
	})
}

func TestKeyringRotation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		mem := registry.NewMemoryStore()
		defer func() { require.NoError(t, mem.Close(context.Background())) }()
		oldKey := newCipher(t, 1)
		ring, err := apicrypto.NewKeyring(newCipher(t, 2), oldKey)
		require.NoError(t, err)
		oldWriter, err := registry.New(oldKey, registry.WithStore(mem))
		require.NoError(t, err)
		reader, err := registry.New(ring, registry.WithStore(mem))
		require.NoError(t, err)
		reg, err := oldWriter.Register(ctx, instance("main", "old", "person"))
		require.NoError(t, err)
		res, err := reader.Find(ctx, "main")
		require.NoError(t, err)
		require.Equal(t, []string{"main:old"}, ids(res), "entries sealed under the previous key still count")
		require.NoError(t, reg.Close(ctx))
	})
}
