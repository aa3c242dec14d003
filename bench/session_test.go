package bench

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"

	"github.com/apicrud-go/apicrud/internal/testenv"
	"github.com/apicrud-go/apicrud/session"
	sessionredis "github.com/apicrud-go/apicrud/session/redisstore"
)

// gcm is an AES-256-GCM session.Sealer (what apicrud's crypto.Cipher does).
type gcm struct{ aead cipher.AEAD }

func newGCM(b *testing.B) gcm {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	blk, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	a, err := cipher.NewGCM(blk)
	if err != nil {
		b.Fatal(err)
	}
	return gcm{a}
}

func (g gcm) Seal(p, ad []byte) ([]byte, error) {
	n := make([]byte, 12)
	_, _ = rand.Read(n)
	return g.aead.Seal(n, n, p, ad), nil
}

func (g gcm) Open(c, ad []byte) ([]byte, error) {
	if len(c) < 28 {
		return nil, errors.New("short")
	}
	return g.aead.Open(nil, c[:12], c[12:], ad)
}

const sessionUsers = 64

// sessionValues is what both libraries store per session: a uid, roles
// and a username, about what a login puts there.
var sessionValues = map[string]string{"username": "someone", "method": "password"}

type backend struct {
	name  string
	store func(b *testing.B) (session.Store, scs.Store)
}

func sessionBackends() []backend {
	return []backend{
		{"memory", func(b *testing.B) (session.Store, scs.Store) {
			s := session.NewMemoryStore()
			b.Cleanup(func() { _ = s.Close(context.Background()) })
			return s, memstore.New()
		}},
		{"redis", func(b *testing.B) (session.Store, scs.Store) {
			rdb, prefix := redisForBench(b)
			return testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix+"apicrud:"))),
				goredisstore.NewWithPrefix(rdb, prefix+"scs:")
		}},
		{"redis-cached", func(b *testing.B) (session.Store, scs.Store) {
			rdb, prefix := redisForBench(b)
			st := testenv.Must(sessionredis.New(rdb, sessionredis.WithPrefix(prefix+"apicrud:"), sessionredis.WithCache(rdb, 0, 0)))
			b.Cleanup(func() { _ = st.Close(context.Background()) })
			return st, goredisstore.NewWithPrefix(rdb, prefix+"scs:")
		}},
	}
}

func apicrudManager(b *testing.B, store session.Store) (*session.Manager, []string) {
	m, err := session.New(newGCM(b), []byte("0123456789abcdef0123456789abcdef"), session.WithStore(store))
	if err != nil {
		b.Fatal(err)
	}
	toks := make([]string, sessionUsers)
	for i := range toks {
		_, tok, err := m.Create(context.Background(), fmt.Sprintf("u-%d", i), []string{"user"}, session.Extra{Values: sessionValues})
		if err != nil {
			b.Fatal(err)
		}
		toks[i] = string(tok)
	}
	return m, toks
}

func scsManager(b *testing.B, store scs.Store) (*scs.SessionManager, []string) {
	sm := scs.New()
	sm.Store = store
	sm.Lifetime = 12 * time.Hour
	sm.IdleTimeout = 30 * time.Minute
	toks := make([]string, sessionUsers)
	for i := range toks {
		ctx, err := sm.Load(context.Background(), "")
		if err != nil {
			b.Fatal(err)
		}
		sm.Put(ctx, "uid", fmt.Sprintf("u-%d", i))
		sm.Put(ctx, "roles", "user")
		for k, v := range sessionValues {
			sm.Put(ctx, k, v)
		}
		if toks[i], _, err = sm.Commit(ctx); err != nil {
			b.Fatal(err)
		}
	}
	return sm, toks
}

// BenchmarkSession compares apicrud's session package with
// alexedwards/scs (memstore, and goredisstore on the same Redis), 64 users'
// sessions used from parallel goroutines:
//
//   - load: what authenticating a request costs. apicrud: Validate (HS256
//     JWT verification, one EVALSHA, AES-GCM open, binary decoding; on
//     redis-cached no round trip while the session is cached). scs: Load
//     (one GET, gob decoding), which checks nothing but the token's
//     presence.
//   - request-idle: a request under a 30-minute idle timeout. apicrud:
//     Validate, which refreshes the idle deadline only every 3 minutes.
//     scs: Load and Commit, as LoadAndSave does, because scs marks every
//     loaded session modified when IdleTimeout is set (a write per request).
//   - create: starting a session. apicrud: Create. scs: Load(""), Put and
//     Commit.
//
// Each case runs apicrud and scs in alternating rounds (compare) from
// GOMAXPROCS goroutines.
func BenchmarkSession(b *testing.B) {
	for _, be := range sessionBackends() {
		b.Run(be.name, func(b *testing.B) {
			st, scsStore := be.store(b)
			m, toks := apicrudManager(b, st)
			sm, scsToks := scsManager(b, scsStore)
			var n atomic.Int64
			g := runtime.GOMAXPROCS(0)
			b.Run("load", func(b *testing.B) {
				compare(b, g,
					serialSide("apicrud", func() error {
						_, err := m.Validate(context.Background(), toks[n.Add(1)%sessionUsers])
						return err
					}),
					serialSide("scs", func() error {
						ctx, err := sm.Load(context.Background(), scsToks[n.Add(1)%sessionUsers])
						if err == nil && sm.GetString(ctx, "uid") == "" {
							err = errors.New("session not found")
						}
						return err
					}))
			})
			b.Run("request-idle", func(b *testing.B) {
				compare(b, g,
					serialSide("apicrud", func() error {
						_, err := m.Validate(context.Background(), toks[n.Add(1)%sessionUsers])
						return err
					}),
					serialSide("scs", func() error {
						ctx, err := sm.Load(context.Background(), scsToks[n.Add(1)%sessionUsers])
						if err != nil {
							return err
						}
						if sm.Status(ctx) == scs.Modified {
							_, _, err = sm.Commit(ctx)
						}
						return err
					}))
			})
			b.Run("create", func(b *testing.B) {
				compare(b, g,
					serialSide("apicrud", func() error {
						_, _, err := m.Create(context.Background(), fmt.Sprintf("u-%d", n.Add(1)%sessionUsers), []string{"user"}, session.Extra{Values: sessionValues})
						return err
					}),
					serialSide("scs", func() error {
						ctx, err := sm.Load(context.Background(), "")
						if err != nil {
							return err
						}
						sm.Put(ctx, "uid", fmt.Sprintf("u-%d", n.Add(1)%sessionUsers))
						sm.Put(ctx, "roles", "user")
						for k, v := range sessionValues {
							sm.Put(ctx, k, v)
						}
						_, _, err = sm.Commit(ctx)
						return err
					}))
			})
		})
	}
}
