package login_test

import (
	"bytes"
	"encoding/base64"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

func TestDefect01_ResetTokenNeverInResponse(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, session.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	e.user(t, "admin", true)
	h := e.m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		var uid string
		switch r.URL.Path {
		case "/forgot":
			err = e.m.RequestPasswordReset(r.Context(), r.FormValue("login"))
		case "/register":
			uid, err = e.m.Register(r.Context(), login.NewAccount{Username: r.FormValue("username"), Identity: r.FormValue("identity"), Password: goodPassword})
		}
		if err != nil {
			session.WriteError(w, err)
			return
		}
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(uid))
	}))
	var bodies []string
	for _, target := range []string{"/forgot?login=admin", "/forgot?login=admin@example.com", "/register?username=eve&identity=eve@example.com", "/register?username=eve2&identity=admin@example.com"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, target, nil))
		require.Equal(t, http.StatusAccepted, w.Code)
		bodies = append(bodies, w.Body.String()+strings.Join(w.Header().Values("Set-Cookie"), ""))
	}
	notes := e.notes.all()
	require.Len(t, notes, 4)
	for _, n := range notes {
		if n.Token == "" {
			continue
		}
		for _, b := range bodies {
			require.NotContains(t, b, n.Token)
		}
		require.NotContains(t, logs.String(), n.Token)
	}
}

func TestDefect02_ResetTokenBoundToAccount(t *testing.T) {
	e := newEnv(t)
	admin := e.user(t, "admin", true)
	e.user(t, "eve", false)
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "eve"))
	eves := e.notes.last(t, login.NoticeReset).Token

	// Rewrite the uid inside Eve's token: the signature no longer matches.
	payload, sig, _ := strings.Cut(eves, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	raw = bytes.Replace(raw, []byte(e.notes.last(t, login.NoticeReset).UID), []byte(admin.UID), 1)
	forged := base64.RawURLEncoding.EncodeToString(raw) + "." + sig
	require.ErrorIs(t, e.m.ResetPassword(t.Context(), forged, "attacker's passphrase!"), login.ErrInvalidLink)

	// Eve's genuine token only ever changes Eve's password.
	require.NoError(t, e.m.ResetPassword(t.Context(), eves, "attacker's passphrase!"))
	_, _, err := e.m.Login(from(t.Context(), "192.0.2.1"), "admin", "attacker's passphrase!", "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
	_, _, err = e.m.Login(from(t.Context(), "192.0.2.1"), "admin", goodPassword, "")
	require.NoError(t, err)
	// A confirmation token is no reset token.
	_, err = e.m.Register(t.Context(), login.NewAccount{Username: "mallory", Identity: "mallory@example.com", Password: goodPassword})
	require.NoError(t, err)
	require.ErrorIs(t, e.m.ResetPassword(t.Context(), e.notes.last(t, login.NoticeConfirm).Token, "attacker's passphrase!"), login.ErrInvalidLink)
}

func TestDefect10_PasswordsHashedWithArgon2id(t *testing.T) {
	e := newEnv(t)
	a := e.user(t, "alice", false)
	require.True(t, strings.HasPrefix(a.PasswordHash, "$argon2id$v=19$"))
}

func TestDefect11_BackupCodesKeepWorking(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		alice := e.user(t, "alice", false)
		_, codes := e.enrolTOTP(t, "alice")
		for _, c := range codes {
			_, _, err := e.m.Login(from(t.Context(), "192.0.2.1"), "alice", goodPassword, c)
			require.NoError(t, err)
			acc, _, _ := e.accounts.Get(t.Context(), alice.UID)
			for _, d := range acc.BackupCodes {
				require.NotContains(t, strings.Join(codes, ""), d)
			}
		}
		acc, _, _ := e.accounts.Get(t.Context(), alice.UID)
		require.Empty(t, acc.BackupCodes)
	})
}

func TestDefect12_TOTPWeaknesses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		alice := e.user(t, "alice", false)
		secret, _ := e.enrolTOTP(t, "alice")
		ctx := from(t.Context(), "192.0.2.1")

		p, ptok, err := e.m.Login(ctx, "alice", goodPassword, "")
		require.NoError(t, err)
		// A session token as bypass cookie.
		c, _ := login.ClientFromContext(ctx)
		c.Device = string(ptok)
		byp, _, err := e.m.Login(login.NewClientContext(t.Context(), c), "alice", goodPassword, "")
		require.NoError(t, err)
		require.Equal(t, []string{session.RolePendingTOTP}, byp.Roles, "a session token is not a bypass cookie")
		// An API-key principal cannot complete the login.
		apikey := &session.Session{UID: alice.UID, Roles: []string{"user"}, Method: session.MethodAPIKey}
		_, _, err = e.m.CompleteTOTP(ctx, apikey, code(t, secret, time.Now().Add(step)))
		require.ErrorIs(t, err, login.ErrNotPendingTOTP)
		forged := *p
		forged.UID = "u-other"
		_, _, err = e.m.CompleteTOTP(ctx, &forged, code(t, secret, time.Now().Add(step)))
		require.ErrorIs(t, err, session.ErrInvalidToken, "a pending session must exist as given")
		// Disabling needs the password and a code, not just a session.
		require.ErrorIs(t, e.m.DisableTOTP(ctx, alice.UID, "", ""), login.ErrInvalidCredentials)
		time.Sleep(step)
		_, _, err = e.m.CompleteTOTP(ctx, p, code(t, secret, time.Now()))
		require.NoError(t, err)
		_, err = e.m.Validate(t.Context(), string(ptok))
		require.ErrorIs(t, err, session.ErrInvalidToken, "the pendingtotp session is gone")
	})
}

func TestDefect14_LockoutGaps(t *testing.T) {
	t.Run("victim not locked out", func(t *testing.T) {
		steps := repeat(6, lockStep{ip: attacker, login: "alice", password: bad, want: login.ErrInvalidCredentials})
		steps = append(steps, repeat(10, lockStep{ip: attacker, login: "alice", password: bad, want: login.ErrLocked, retry: time.Second})...)
		runLockSteps(t, append(steps, lockStep{ip: victim, login: "alice", password: goodPassword}))
	})
	t.Run("username and e-mail share the count", TestLockoutNotDodgedByEmail)
	t.Run("per-address budget", TestLockoutPerIPBudget)
	t.Run("store errors fail closed", TestStoreDownFailsClosed)
}

func TestDefect18_StatusAndPasswordChangesRevoke(t *testing.T) {
	for name, change := range map[string]func(e *env, uid string) error{
		"disable":       func(e *env, uid string) error { return e.m.SetStatus(t.Context(), uid, login.StatusDisabled) },
		"status change": func(e *env, uid string) error { return e.m.SetStatus(t.Context(), uid, login.StatusActive) },
		"password change": func(e *env, uid string) error {
			return e.m.ChangePassword(t.Context(), uid, goodPassword, goodPassword+"!")
		},
		"delete": func(e *env, uid string) error { return e.m.DeleteAccount(t.Context(), uid) },
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			alice := e.user(t, "alice", false)
			_, tok, err := e.m.Login(from(t.Context(), "192.0.2.1"), "alice", goodPassword, "")
			require.NoError(t, err)
			require.NoError(t, change(e, alice.UID))
			_, err = e.m.Validate(t.Context(), string(tok))
			require.ErrorIs(t, err, session.ErrInvalidToken)
		})
	}
}
