package login_test

import (
	"bytes"
	"context"
	"crypto/sha1" //nolint:gosec // the range API's hash
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/hibp"
)

// breachedPassword passes the local policy (length, common list, zxcvbn)
// and is in the test corpora.
const breachedPassword = "Quintessential-Marmalade-Voyage-77"

// corpus is a BreachChecker over a set of passwords. It records the
// passwords asked about and the deadline of each call; with hold set,
// each call signals entered and waits for release or its context.
type corpus struct {
	breached map[string]bool
	hold     bool
	entered  chan struct{}
	release  chan struct{}

	mu        sync.Mutex
	err       error // guarded by mu
	asked     []string
	deadlines []time.Duration // time left on each call's context
	ctxErrs   []error         // each call's context error when it returned
}

func newCorpus(passwords ...string) *corpus {
	c := &corpus{breached: map[string]bool{}, entered: make(chan struct{}, 16), release: make(chan struct{})}
	for _, p := range passwords {
		c.breached[p] = true
	}
	return c
}

func (c *corpus) Breached(ctx context.Context, password string) (bool, error) {
	dl, _ := ctx.Deadline()
	c.mu.Lock()
	c.asked = append(c.asked, password)
	c.deadlines = append(c.deadlines, time.Until(dl))
	c.mu.Unlock()
	if c.hold {
		c.entered <- struct{}{}
		select {
		case <-c.release:
		case <-ctx.Done():
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ctxErrs = append(c.ctxErrs, ctx.Err())
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return c.breached[password], c.err
}

func (c *corpus) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.err = err
}

func (c *corpus) calls() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.asked...)
}

// problemOf is what WriteError answers err with: status and body.
func problemOf(t *testing.T, err error) (int, map[string]any) {
	t.Helper()
	w := httptest.NewRecorder()
	login.WriteError(w, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
	return w.Code, body
}

func requireBreached(t *testing.T, err error, what string) {
	t.Helper()
	require.ErrorIs(t, err, login.ErrWeakPassword, what)
	var pe *login.PasswordError
	require.ErrorAs(t, err, &pe, what)
	require.Equal(t, login.CodePasswordBreached, pe.Code, what)
	status, body := problemOf(t, err)
	require.Equal(t, http.StatusBadRequest, status, what)
	require.Equal(t, "session.password_breached", body["code"], what)
	require.Equal(t, "password", body["field"], what)
	require.NotContains(t, fmt.Sprint(body), breachedPassword)
}

// TestBreachCheckRefuses: a breached password is refused as a weak one
// (400, session.password_breached, field password) wherever a new
// password is set, and leaves nothing changed; another one passes.
func TestBreachCheckRefuses(t *testing.T) {
	c := newCorpus(breachedPassword)
	e := newEnv(t, login.WithBreachCheck(login.BreachCheck{Checker: c}))
	alice := e.user(t, "alice", false)
	ctx := from(t.Context(), victim)

	_, err := e.m.Register(t.Context(), login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: breachedPassword})
	requireBreached(t, err, "register")
	_, found, err := e.accounts.Lookup(t.Context(), "bob@example.com")
	require.NoError(t, err)
	require.False(t, found, "a refused registration creates nothing")
	_, err = e.m.CreateAccount(t.Context(), login.NewAccount{Username: "carol", Password: breachedPassword})
	requireBreached(t, err, "create account")
	requireBreached(t, e.m.ChangePassword(ctx, alice.UID, goodPassword, breachedPassword), "change password")
	requireBreached(t, e.m.CheckPassword(t.Context(), breachedPassword, "dave", "dave@example.com"), "check password")
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "alice"))
	reset := e.notes.last(t, login.NoticeReset).Token
	requireBreached(t, e.m.ResetPassword(t.Context(), reset, breachedPassword), "reset password")

	_, _, err = e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err, "the refused changes left the password as it was")

	const fresh = "Unbreached-Lighthouse-Cobalt-58"
	require.NoError(t, e.m.ResetPassword(t.Context(), reset, fresh), "the refusal did not use up the link")
	_, err = e.m.Register(t.Context(), login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: fresh})
	require.NoError(t, err)
	require.NoError(t, e.m.CheckPassword(t.Context(), fresh, "dave", "dave@example.com"))
	require.Contains(t, c.calls(), fresh)
}

// TestBreachCheckAfterLocalPolicy: a password the local policy refuses
// never reaches the checker, and neither does a login.
func TestBreachCheckAfterLocalPolicy(t *testing.T) {
	c := newCorpus()
	e := newEnv(t, login.WithBreachCheck(login.BreachCheck{Checker: c}))
	alice := e.user(t, "alice", false)
	c.mu.Lock()
	c.asked = nil // alice's own password was checked
	c.mu.Unlock()
	ctx := from(t.Context(), victim)
	for _, pw := range []string{"short", "password123", "aaaaaaaaaaaaaaaa", "abcdefghijklmnopq", "qazwsxedcrfvtgb", strings.Repeat("x", 200)} {
		err := e.m.ChangePassword(ctx, alice.UID, goodPassword, pw)
		require.ErrorIs(t, err, login.ErrWeakPassword, pw)
		_, err = e.m.Register(t.Context(), login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: pw})
		require.ErrorIs(t, err, login.ErrWeakPassword, pw)
		require.ErrorIs(t, e.m.CheckPassword(t.Context(), pw, "alice", "alice@example.com"), login.ErrWeakPassword)
	}
	_, _, err := e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)
	_, _, err = e.m.Login(ctx, "alice", bad, "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
	require.Empty(t, c.calls(), "the checker saw passwords that were refused locally, or a login")
}

// TestBreachCheckFailure: a checker that fails lets the password through
// by default (fail open), logging a warning without the password; with
// FailClosed the operation fails with 503 session.unavailable, changing
// nothing.
func TestBreachCheckFailure(t *testing.T) {
	down := errors.New("corpus down")
	c := newCorpus(breachedPassword)
	c.fail(down)
	var logs bytes.Buffer
	var mu sync.Mutex
	open := newEnv(t, login.WithBreachCheck(login.BreachCheck{Checker: c}),
		login.WithLogger(slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, nil))))
	_, err := open.m.Register(t.Context(), login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: "Fail-Open-Passphrase-Mango-31"})
	require.NoError(t, err, "fail open")
	require.NoError(t, open.m.Confirm(t.Context(), open.notes.last(t, login.NoticeConfirm).Token, "Fail-Open-Passphrase-Mango-31"))
	_, _, err = open.m.Login(from(t.Context(), victim), "bob", "Fail-Open-Passphrase-Mango-31", "")
	require.NoError(t, err, "the password was set")
	require.NoError(t, open.m.CheckPassword(t.Context(), breachedPassword, "dave", "dave@example.com"), "fail open: not known to be breached")
	mu.Lock()
	logged := logs.String()
	mu.Unlock()
	require.Contains(t, logged, "level=WARN")
	require.Contains(t, logged, "fail open")
	require.Contains(t, logged, "corpus down")
	require.NotContains(t, logged, "Fail-Open-Passphrase")
	require.NotContains(t, logged, breachedPassword)

	c2 := newCorpus(breachedPassword)
	closed := newEnv(t, login.WithBreachCheck(login.BreachCheck{Checker: c2, FailClosed: true}))
	alice := closed.user(t, "alice", false)
	require.NoError(t, closed.m.RequestPasswordReset(t.Context(), "alice"))
	reset := closed.notes.last(t, login.NoticeReset).Token
	c2.fail(down)
	const pw = "Fail-Closed-Passphrase-Kiwi-64"
	ctx := from(t.Context(), victim)
	_, regErr := closed.m.Register(t.Context(), login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: pw})
	_, createErr := closed.m.CreateAccount(t.Context(), login.NewAccount{Username: "carol", Password: pw})
	for what, err := range map[string]error{
		"register":        regErr,
		"create account":  createErr,
		"change password": closed.m.ChangePassword(ctx, alice.UID, goodPassword, pw),
		"reset password":  closed.m.ResetPassword(t.Context(), reset, pw),
		"check password":  closed.m.CheckPassword(t.Context(), pw, "dave", "dave@example.com"),
	} {
		require.ErrorIs(t, err, login.ErrBreachCheck, what)
		require.ErrorIs(t, err, session.ErrUnavailable, what)
		require.ErrorIs(t, err, down, what)
		require.NotErrorIs(t, err, login.ErrWeakPassword, what)
		status, body := problemOf(t, err)
		require.Equal(t, http.StatusServiceUnavailable, status, what)
		require.Equal(t, "session.unavailable", body["code"], what)
		require.NotContains(t, fmt.Sprint(body), "corpus down", what)
	}
	_, found, err := closed.accounts.Lookup(t.Context(), "bob@example.com")
	require.NoError(t, err)
	require.False(t, found)
	_, _, err = closed.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err, "the password is unchanged")
	c2.fail(nil)
	require.NoError(t, closed.m.ResetPassword(t.Context(), reset, pw), "the failed check did not use up the link")
}

// TestBreachCheckTimeout: each check gets the configured time (2 s by
// default) and no more; a checker that outlives it fails the check, open
// or closed.
func TestBreachCheckTimeout(t *testing.T) {
	c := newCorpus()
	e := newEnv(t, login.WithBreachCheck(login.BreachCheck{Checker: c}))
	require.NoError(t, e.m.CheckPassword(t.Context(), "Deadline-Default-Passphrase-19", "", ""))
	c.mu.Lock()
	left := c.deadlines[0]
	c.mu.Unlock()
	require.Greater(t, left, login.DefaultBreachTimeout-time.Second)
	require.LessOrEqual(t, left, login.DefaultBreachTimeout)

	for _, failClosed := range []bool{false, true} {
		slow := newCorpus()
		slow.hold = true // until its context ends: release is never closed
		e := newEnv(t, login.WithBreachCheck(login.BreachCheck{Checker: slow, Timeout: 100 * time.Millisecond, FailClosed: failClosed}))
		start := time.Now()
		err := e.m.CheckPassword(t.Context(), "Slow-Corpus-Passphrase-Tangerine-8", "", "")
		require.Less(t, time.Since(start), 5*time.Second, "the check outlived its timeout")
		if failClosed {
			require.ErrorIs(t, err, login.ErrBreachCheck)
			require.ErrorIs(t, err, context.DeadlineExceeded)
		} else {
			require.NoError(t, err)
		}
		slow.mu.Lock()
		require.Equal(t, []error{context.DeadlineExceeded}, slow.ctxErrs)
		slow.mu.Unlock()
	}
}

// TestBreachCheckHoldsNoSlot: while a check waits on its corpus, it holds
// no hashing slot: with one slot, a login goes through during the wait,
// and the password change completes after it.
func TestBreachCheckHoldsNoSlot(t *testing.T) {
	c := newCorpus()
	e2 := newEnv(t, login.WithHashConcurrency(1, 200*time.Millisecond), login.WithBreachCheck(login.BreachCheck{Checker: c, Timeout: 30 * time.Second}))
	carol := e2.user(t, "carol", false)
	e2.user(t, "dave", false)
	c.hold = true // before the goroutine that reads it starts

	ctx := from(t.Context(), victim)
	done := make(chan error, 1)
	go func() { done <- e2.m.ChangePassword(ctx, carol.UID, goodPassword, "Slot-Free-Passphrase-Walnut-23") }()
	select {
	case <-c.entered:
	case err := <-done:
		t.Fatalf("the change returned before the check: %v", err)
	}
	require.Zero(t, login.HashSlotsInUse(e2.m.logins), "a slot is held while the corpus is asked")
	for range 3 {
		_, _, err := e2.m.Login(ctx, "dave", goodPassword, "")
		require.NoError(t, err, "a login found the only slot taken")
	}
	close(c.release)
	require.NoError(t, <-done)
	_, _, err := e2.m.Login(ctx, "carol", "Slot-Free-Passphrase-Walnut-23", "")
	require.NoError(t, err)
}

// TestBreachCheckHIBP: the hibp Client plugged into a Manager, against a
// local server that answers in the range API's format: a breached
// password is refused, another accepted, and a failing server fails open.
func TestBreachCheckHIBP(t *testing.T) {
	sum := sha1.Sum([]byte(breachedPassword)) //nolint:gosec // the range API's hash
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))
	var mu sync.Mutex
	var paths []string
	failing := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		fail := failing
		mu.Unlock()
		if fail {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		if r.URL.Path == "/range/"+hash[:5] {
			fmt.Fprintf(w, "%s:17\r\n", hash[5:])
		}
		fmt.Fprintf(w, "%035X:0\r\n%035X:4", 1, 2)
	}))
	t.Cleanup(srv.Close)
	pwned, err := hibp.New(hibp.WithURL(srv.URL + "/range/"))
	require.NoError(t, err)
	e := newEnv(t, login.WithBreachCheck(login.BreachCheck{Checker: pwned, Timeout: 5 * time.Second}))
	alice := e.user(t, "alice", false)
	ctx := from(t.Context(), victim)
	requireBreached(t, e.m.ChangePassword(ctx, alice.UID, goodPassword, breachedPassword), "change password")
	require.NoError(t, e.m.ChangePassword(ctx, alice.UID, goodPassword, "Unbreached-Lighthouse-Cobalt-58"))
	mu.Lock()
	failing = true
	mu.Unlock()
	_, err = e.m.Register(t.Context(), login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: breachedPassword})
	require.NoError(t, err, "fail open: the corpus answered 502")
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, paths, 4)
	for _, p := range paths {
		require.Regexp(t, `^/range/[0-9A-F]{5}$`, p)
	}
}

func TestWithBreachCheckValidates(t *testing.T) {
	for _, b := range []login.BreachCheck{{Checker: newCorpus(), Timeout: -time.Second}, {Checker: newCorpus(), Timeout: time.Minute}} {
		_, err := newLogin(t, login.NewMemoryAccounts(), login.WithBreachCheck(b))
		require.ErrorIs(t, err, login.ErrOption)
	}
	m, err := newLogin(t, login.NewMemoryAccounts(), login.WithBreachCheck(login.BreachCheck{}))
	require.NoError(t, err, "the zero BreachCheck checks nothing")
	require.NoError(t, m.CheckPassword(t.Context(), breachedPassword, "", ""))
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
