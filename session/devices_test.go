package session_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/apicrud-go/apicrud/session"
)

var (
	laptop = session.Client{IP: netip.MustParseAddr("192.0.2.10"), UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}
	phone  = session.Client{IP: netip.MustParseAddr("2001:db8::7"), UserAgent: "Mozilla/5.0 (iPhone) Safari/604.1"}
	tablet = session.Client{IP: netip.MustParseAddr("198.51.100.3"), UserAgent: "Mozilla/5.0 (iPad) Safari/604.1"}
)

// listed returns session id of uid as List gives it.
func listed(t *testing.T, m *session.Manager, uid, id string) *session.Session {
	t.Helper()
	list, err := m.List(t.Context(), uid)
	require.NoError(t, err)
	for _, s := range list {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("session %s not listed", id)
	return nil
}

// TestLastUse follows one session through a day of use: the client of
// the login is recorded at creation, the last use (time, address, user
// agent) at most once per minute, and only in Validate's own round trip.
func TestLastUse(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := session.NewMemoryStore()
		t.Cleanup(func() { _ = mem.Close(context.Background()) })
		cs := &countingStore{Store: mem}
		m, err := session.New(newSealer(t), testSecret, session.WithStore(cs))
		require.NoError(t, err)
		created := time.Now()
		s, tok, err := m.Create(session.NewClientContext(t.Context(), laptop), "u-1", nil, session.Extra{})
		require.NoError(t, err)
		require.Equal(t, laptop, s.Client)

		v, err := m.Validate(session.NewClientContext(t.Context(), phone), string(tok))
		require.NoError(t, err)
		require.Equal(t, laptop, v.Client, "Validate gives the client of the login")
		require.True(t, v.LastUsed.IsZero(), "only List fills the last use")
		l := listed(t, m, "u-1", s.ID)
		require.Equal(t, laptop, l.Client)
		require.Equal(t, created.UnixMilli(), l.LastUsed.UnixMilli(), "before any record the last use is the login")
		require.Equal(t, laptop, l.LastClient)

		// A minute later the phone's use is recorded, in the Get that
		// Validate makes anyway.
		time.Sleep(time.Minute)
		gets := cs.gets
		_, err = m.Validate(session.NewClientContext(t.Context(), phone), string(tok))
		require.NoError(t, err)
		require.Equal(t, gets+1, cs.gets, "one store call per Validate")
		l = listed(t, m, "u-1", s.ID)
		require.Equal(t, time.Now().UnixMilli(), l.LastUsed.UnixMilli())
		require.Equal(t, phone, l.LastClient)
		require.Equal(t, laptop, l.Client, "the login's client stays")

		// Within the minute another use is not recorded.
		time.Sleep(30 * time.Second)
		_, err = m.Validate(session.NewClientContext(t.Context(), tablet), string(tok))
		require.NoError(t, err)
		require.Equal(t, phone, listed(t, m, "u-1", s.ID).LastClient, "a use within the minute must not be written")

		// A busy client: one request per second for an hour costs one
		// write per minute.
		refreshes, gets := cs.refreshes, cs.gets
		for range 3600 {
			time.Sleep(time.Second)
			_, err := m.Validate(session.NewClientContext(t.Context(), tablet), string(tok))
			require.NoError(t, err)
		}
		require.Equal(t, gets+3600, cs.gets)
		require.Equal(t, 60, cs.refreshes-refreshes, "one write per minute")
		l = listed(t, m, "u-1", s.ID)
		require.Equal(t, tablet, l.LastClient)
		require.WithinDuration(t, time.Now(), l.LastUsed, time.Minute)
	})
}

func TestLastUseOptions(t *testing.T) {
	t.Parallel()
	for name, opt := range map[string]session.Option{
		"negative interval": session.WithLastUse(-time.Second),
		"tiny interval":     session.WithLastUse(time.Millisecond),
		"nil client ip":     session.WithClientIP(nil),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := session.New(newSealer(t), testSecret, opt)
			require.ErrorIs(t, err, session.ErrOption)
		})
	}

	t.Run("no address", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, session.WithClientRecording(false, true))
			s, tok, err := e.m.Create(session.NewClientContext(t.Context(), laptop), "u-1", nil, session.Extra{})
			require.NoError(t, err)
			require.False(t, s.Client.IP.IsValid(), "no address may be recorded")
			require.Equal(t, laptop.UserAgent, s.Client.UserAgent)
			time.Sleep(time.Minute)
			_, err = e.m.Validate(session.NewClientContext(t.Context(), phone), string(tok))
			require.NoError(t, err)
			l := listed(t, e.m, "u-1", s.ID)
			require.Equal(t, session.Client{UserAgent: phone.UserAgent}, l.LastClient)
			require.False(t, l.Client.IP.IsValid())
		})
	})
	t.Run("nothing of the client", func(t *testing.T) {
		e := newEnv(t, session.WithClientRecording(false, false))
		s, _, err := e.m.Create(session.NewClientContext(t.Context(), laptop), "u-1", nil, session.Extra{})
		require.NoError(t, err)
		require.Equal(t, session.Client{}, s.Client)
	})
	t.Run("no last use", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			mem := session.NewMemoryStore()
			t.Cleanup(func() { _ = mem.Close(context.Background()) })
			cs := &countingStore{Store: mem}
			m, err := session.New(newSealer(t), testSecret, session.WithStore(cs), session.WithLastUse(0))
			require.NoError(t, err)
			s, tok, err := m.Create(session.NewClientContext(t.Context(), laptop), "u-1", nil, session.Extra{})
			require.NoError(t, err)
			for range 3600 {
				time.Sleep(time.Second)
				_, err := m.Validate(session.NewClientContext(t.Context(), phone), string(tok))
				require.NoError(t, err)
			}
			require.Equal(t, 20, cs.refreshes, "only the idle refresh writes: one per 3 minutes")
			l := listed(t, m, "u-1", s.ID)
			require.Equal(t, laptop, l.LastClient, "no use is recorded")
			require.Equal(t, s.Created, l.LastUsed)
		})
	})
	t.Run("no idle timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			e := newEnv(t, session.WithIdleTimeout(0, 0), session.WithLastUse(5*time.Minute))
			s, tok, err := e.m.Create(t.Context(), "u-1", nil, session.Extra{})
			require.NoError(t, err)
			require.Equal(t, session.Client{}, s.Client, "no client in the context")
			time.Sleep(5 * time.Minute)
			_, err = e.m.Validate(session.NewClientContext(t.Context(), phone), string(tok))
			require.NoError(t, err)
			l := listed(t, e.m, "u-1", s.ID)
			require.Equal(t, phone, l.LastClient, "the last use is recorded without an idle timeout too")
			require.Equal(t, time.Now().UnixMilli(), l.LastUsed.UnixMilli())
		})
	})
}

// TestLastUseIsBoundToItsSession: a last use sealed for one session and
// stored under another (a tampered store) is not believed.
func TestLastUseIsBoundToItsSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		a, atok, err := e.m.Create(session.NewClientContext(t.Context(), laptop), "u-1", nil, session.Extra{})
		require.NoError(t, err)
		b, _, err := e.m.Create(session.NewClientContext(t.Context(), phone), "u-1", nil, session.Extra{})
		require.NoError(t, err)
		time.Sleep(time.Minute)
		_, err = e.m.Validate(session.NewClientContext(t.Context(), tablet), string(atok))
		require.NoError(t, err)
		var useA []byte
		entries, err := e.store.List(t.Context(), "u-1")
		require.NoError(t, err)
		for _, en := range entries {
			if en.ID == a.ID {
				useA = en.Use
			}
		}
		require.NotEmpty(t, useA)
		require.NotContains(t, string(useA), "iPad", "the last use is sealed")
		_, _, err = e.store.Get(t.Context(), "u-1", b.ID, 0, 0, func() []byte { return useA })
		require.NoError(t, err)
		l := listed(t, e.m, "u-1", b.ID)
		require.Equal(t, phone, l.LastClient, "a last use moved from another session must be ignored")
		require.Equal(t, tablet, listed(t, e.m, "u-1", a.ID).LastClient)
	})
}

func TestRevoke(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	mine, mtok, err := e.m.Create(ctx, "u-1", nil, session.Extra{})
	require.NoError(t, err)
	other, otok, err := e.m.Create(ctx, "u-1", nil, session.Extra{})
	require.NoError(t, err)
	foreign, ftok, err := e.m.Create(ctx, "u-2", nil, session.Extra{})
	require.NoError(t, err)

	// Another user's session id, unknown ids and garbage: all false,
	// nothing revoked.
	for _, id := range []string{
		foreign.ID, strings.Repeat("A", 43), "", "x", "../" + other.ID, other.ID + "x",
		other.ID[:42] + " ", other.ID[:42] + "}", "{u-2}" + other.ID[5:], strings.Repeat("A", 10000),
		other.ID[:42] + "\x00", other.ID[:41] + "é",
	} {
		found, err := e.m.Revoke(ctx, "u-1", id)
		require.NoError(t, err, "%q", id)
		require.False(t, found, "%q", id)
	}
	for _, tok := range []session.Token{mtok, otok, ftok} {
		_, err := e.m.Validate(ctx, string(tok))
		require.NoError(t, err, "nothing may be revoked by a refused id")
	}

	found, err := e.m.Revoke(ctx, "u-1", other.ID)
	require.NoError(t, err)
	require.True(t, found)
	_, err = e.m.Validate(ctx, string(otok))
	require.ErrorIs(t, err, session.ErrNoSession, "a revoked session stops working at once")
	found, err = e.m.Revoke(ctx, "u-1", other.ID)
	require.NoError(t, err)
	require.False(t, found, "revoking twice")
	_, err = e.m.Validate(ctx, string(mtok))
	require.NoError(t, err)
	_, err = e.m.Revoke(ctx, "", mine.ID)
	require.ErrorIs(t, err, session.ErrInvalidUID)

	_, err = newFailing(t).Revoke(ctx, "u-1", mine.ID)
	require.ErrorIs(t, err, session.ErrUnavailable)
}

func newFailing(t *testing.T) *session.Manager {
	m, err := session.New(newSealer(t), testSecret, session.WithStore(failingStore{}))
	require.NoError(t, err)
	return m
}

func TestDeleteOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := t.Context()
	var toks []session.Token
	var cur *session.Session
	for i := range 4 {
		s, tok, err := e.m.Create(ctx, "u-1", nil, session.Extra{})
		require.NoError(t, err)
		toks = append(toks, tok)
		if i == 2 {
			cur = s
		}
	}
	_, ftok, err := e.m.Create(ctx, "u-2", nil, session.Extra{})
	require.NoError(t, err)
	n, err := e.m.DeleteOthers(ctx, cur)
	require.NoError(t, err)
	require.Equal(t, 3, n)
	for i, tok := range toks {
		_, err := e.m.Validate(ctx, string(tok))
		if i == 2 {
			require.NoError(t, err, "the current session stays")
		} else {
			require.ErrorIs(t, err, session.ErrNoSession)
		}
	}
	_, err = e.m.Validate(ctx, string(ftok))
	require.NoError(t, err, "another user's sessions stay")
	list, err := e.m.List(ctx, "u-1")
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, cur.ID, list[0].ID)

	// An API-key request has no stored session: all of them end.
	n, err = e.m.DeleteOthers(ctx, &session.Session{UID: "u-1", Method: session.MethodAPIKey})
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = e.m.DeleteOthers(ctx, nil)
	require.ErrorIs(t, err, session.ErrNoSession)
	_, err = newFailing(t).DeleteOthers(ctx, cur)
	require.ErrorIs(t, err, session.ErrUnavailable)
}

// TestAuthenticateRecordsClient: the middleware gives every request's
// context its client, which a login under it records.
func TestAuthenticateRecordsClient(t *testing.T) {
	t.Parallel()
	proxied := func(r *http.Request) netip.Addr { return netip.MustParseAddr(r.Header.Get("X-Test-Client")) }
	for _, tc := range []struct {
		name string
		opts []session.Option
		want session.Client
	}{
		{"default", nil, session.Client{IP: netip.MustParseAddr("203.0.113.5"), UserAgent: "curl/8.14"}},
		{"client ip function", []session.Option{session.WithClientIP(proxied)}, session.Client{IP: netip.MustParseAddr("2001:db8::1"), UserAgent: "curl/8.14"}},
		{"no address", []session.Option{session.WithClientRecording(false, true)}, session.Client{UserAgent: "curl/8.14"}},
		{"nothing", []session.Option{session.WithClientRecording(false, false)}, session.Client{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts...)
			var created *session.Session
			h := e.m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				s, _, err := e.m.Create(r.Context(), "u-1", nil, session.Extra{})
				require.NoError(t, err)
				created = s
			}))
			r := httptest.NewRequest(http.MethodPost, "/login", nil)
			r.RemoteAddr = "[::ffff:203.0.113.5]:4711"
			r.Header.Set("User-Agent", "  curl/8.14\r\n")
			r.Header.Set("X-Test-Client", "2001:db8::1")
			h.ServeHTTP(httptest.NewRecorder(), r)
			require.NotNil(t, created)
			require.Equal(t, tc.want, created.Client)
			require.Equal(t, tc.want, listed(t, e.m, "u-1", created.ID).Client)
		})
	}
}

func TestRemoteAddrIP(t *testing.T) {
	t.Parallel()
	for addr, want := range map[string]string{
		"192.0.2.1:80":          "192.0.2.1",
		"[2001:db8::1]:443":     "2001:db8::1",
		"[::ffff:192.0.2.1]:80": "192.0.2.1",
		"192.0.2.1":             "192.0.2.1",
		"":                      "invalid IP",
		"garbage:1":             "invalid IP",
		"@":                     "invalid IP",
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.RemoteAddr = addr
		require.Equal(t, want, session.RemoteAddrIP(r).String(), "%q", addr)
	}
}

func TestCleanUserAgent(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 300)
	for in, want := range map[string]string{
		"":                                     "",
		"curl/8.14":                            "curl/8.14",
		"  Mozilla/5.0  (X11)\t\tFirefox  ":    "Mozilla/5.0 (X11) Firefox",
		"evil\r\nSet-Cookie: x=1":              "evil Set-Cookie: x=1",
		"nul\x00byte\x7fdel":                   "nulbytedel",
		"bad utf8 \xff\xfe end":                "bad utf8 end",
		"rtl \u202egnp.exe\u202c ok":           "rtl gnp.exe ok",
		"zero\u200bwidth\ufeff":                "zerowidth",
		"Ünïcødé ✓ 日本":                         "Ünïcødé ✓ 日本",
		long:                                   long[:session.MaxUserAgent],
		strings.Repeat("é", 200):               strings.Repeat("é", session.MaxUserAgent/2),
		"x" + strings.Repeat("日", 100):         "x" + strings.Repeat("日", (session.MaxUserAgent-1)/3),
		strings.Repeat(" ", 10) + "a":          "a",
		"<script>alert(1)</script>":            "<script>alert(1)</script>",
		"\u2028line\u2029para\u0085next":       "line para next",
		"tab\there":                            "tab here",
		strings.Repeat("\x00", 1000) + "after": "after",
	} {
		got := session.CleanUserAgent(in)
		require.Equal(t, want, got, "%q", in)
		checkCleanUserAgent(t, in, got)
	}
}

func checkCleanUserAgent(t *testing.T, in, got string) {
	t.Helper()
	require.LessOrEqual(t, len(got), session.MaxUserAgent, "%q", in)
	require.True(t, utf8.ValidString(got), "%q", in)
	for _, r := range got {
		require.False(t, unicode.IsControl(r) || unicode.Is(unicode.Cf, r), "%q keeps %U", in, r)
	}
	require.Equal(t, strings.TrimSpace(got), got, "%q", in)
	require.Equal(t, got, session.CleanUserAgent(got), "idempotent on %q", in)
}

func FuzzCleanUserAgent(f *testing.F) {
	for _, s := range []string{"", "curl/8.14", " a  b ", "\xff\x00\u202e", strings.Repeat("é", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkCleanUserAgent(t, in, session.CleanUserAgent(in))
	})
}

// TestDevicesTracing: Revoke and DeleteOthers make spans that name the
// user and the hashed session id, never the id.
func TestDevicesTracing(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	e := newEnv(t, session.WithTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))))
	ctx := t.Context()
	a, _, err := e.m.Create(ctx, "u-1", nil, session.Extra{})
	require.NoError(t, err)
	b, _, err := e.m.Create(ctx, "u-1", nil, session.Extra{})
	require.NoError(t, err)
	_, _, err = e.m.Create(ctx, "u-1", nil, session.Extra{})
	require.NoError(t, err)
	found, err := e.m.Revoke(ctx, "u-1", b.ID)
	require.NoError(t, err)
	require.True(t, found)
	n, err := e.m.DeleteOthers(ctx, a)
	require.NoError(t, err)
	require.Equal(t, 1, n)

	var names []string
	for _, sp := range rec.Ended() {
		names = append(names, sp.Name())
		set := attribute.NewSet(sp.Attributes()...)
		for _, kv := range sp.Attributes() {
			require.NotContains(t, kv.Value.String(), a.ID)
			require.NotContains(t, kv.Value.String(), b.ID)
		}
		switch sp.Name() {
		case "apicrud.session.Revoke":
			require.Equal(t, int64(1), mustValue(t, set, "apicrud.session.count").AsInt64())
			require.Len(t, mustValue(t, set, "session.id").AsString(), 16)
		case "apicrud.session.RevokeOthers":
			require.Equal(t, int64(1), mustValue(t, set, "apicrud.session.count").AsInt64())
			require.Equal(t, "u-1", mustValue(t, set, "user.id").AsString())
		}
	}
	require.Equal(t, []string{"apicrud.session.Create", "apicrud.session.Create", "apicrud.session.Create", "apicrud.session.Revoke", "apicrud.session.RevokeOthers"}, names)
}

func mustValue(t *testing.T, set attribute.Set, key attribute.Key) attribute.Value {
	t.Helper()
	v, ok := set.Value(key)
	require.True(t, ok, "attribute %s", key)
	return v
}

// BenchmarkValidateLastUse measures what recording the last use adds to
// Validate on the memory store: the last use is sealed only when due
// (once a minute here, so never within the benchmark), so "on" pays one
// closure (1 allocation, 64 B) more than "off"; sealing on every call
// cost 4 allocations, 270 B and about 2 µs.
func BenchmarkValidateLastUse(b *testing.B) {
	for _, c := range []struct {
		name string
		opts []session.Option
	}{
		{"off", []session.Option{session.WithLastUse(0)}},
		{"on", nil},
	} {
		b.Run(c.name, func(b *testing.B) {
			mem := session.NewMemoryStore()
			b.Cleanup(func() { _ = mem.Close(context.Background()) })
			m, err := session.New(newSealer(b), testSecret, append([]session.Option{session.WithStore(mem)}, c.opts...)...)
			require.NoError(b, err)
			ctx := session.NewClientContext(context.Background(), laptop)
			_, tok, err := m.Create(ctx, "u-1", []string{"user"}, session.Extra{})
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := m.Validate(ctx, string(tok)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMemoryStoreSealsOnlyWhenDue: the memory store asks for the sealed
// last use only when it stores it, so that the requests that record
// nothing pay no sealing; and it does not hold its lock meanwhile (use
// reads the store).
func TestMemoryStoreSealsOnlyWhenDue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := session.NewMemoryStore()
		t.Cleanup(func() { _ = mem.Close(context.Background()) })
		require.NoError(t, mem.Create(t.Context(), "u-1", "s", []byte("x"), time.Hour, 24*time.Hour))
		calls := 0
		use := func() []byte {
			calls++
			_, ok, err := mem.Get(t.Context(), "u-1", "s", 0, 0, nil) // would deadlock under the lock
			require.NoError(t, err)
			require.True(t, ok)
			return []byte("sealed")
		}
		for range 59 {
			time.Sleep(time.Second)
			e, ok, err := mem.Get(t.Context(), "u-1", "s", time.Hour, time.Minute, use)
			require.NoError(t, err)
			require.True(t, ok)
			require.False(t, e.Refreshed)
		}
		require.Zero(t, calls, "use must not be called before the refresh is due")
		time.Sleep(time.Second)
		e, _, err := mem.Get(t.Context(), "u-1", "s", time.Hour, time.Minute, use)
		require.NoError(t, err)
		require.True(t, e.Refreshed)
		require.Equal(t, 1, calls)
		list, err := mem.List(t.Context(), "u-1")
		require.NoError(t, err)
		require.Equal(t, []byte("sealed"), list[0].Use)
		e, _, err = mem.Get(t.Context(), "u-1", "s", time.Hour, time.Minute, use)
		require.NoError(t, err)
		require.False(t, e.Refreshed)
		require.Equal(t, 1, calls)
	})
}
