package login_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
	"github.com/apicrud-go/apicrud/session/login"
)

func TestRegisterConfirm(t *testing.T) {
	e := newEnv(t)
	ctx := from(t.Context(), "192.0.2.1")
	uid, err := e.m.Register(t.Context(), login.NewAccount{Username: "Alice", Identity: " Alice@Example.com", Name: "Alice", Password: goodPassword})
	require.NoError(t, err)
	acc, found, err := e.accounts.Get(t.Context(), uid)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, login.StatusPending, acc.Status)
	require.Equal(t, "alice", acc.Username)
	require.Equal(t, "alice@example.com", acc.Identity)

	n := e.notes.last(t, login.NoticeConfirm)
	require.Equal(t, uid, n.UID)
	require.Equal(t, "alice@example.com", n.Identity)
	require.NotEmpty(t, n.Token)

	p, ptok, err := e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)
	require.Equal(t, []string{login.RolePending}, p.Roles, "unconfirmed accounts hold only 'pending'")

	require.NoError(t, e.m.Confirm(t.Context(), n.Token, goodPassword))
	acc, _, _ = e.accounts.Get(t.Context(), uid)
	require.Equal(t, login.StatusActive, acc.Status)
	_, err = e.m.Validate(t.Context(), string(ptok))
	require.ErrorIs(t, err, session.ErrInvalidToken, "confirming ends the pending sessions")
	require.ErrorIs(t, e.m.Confirm(t.Context(), n.Token, goodPassword), login.ErrInvalidLink, "single use")

	s, _, err := e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)
	require.Equal(t, []string{"user"}, s.Roles)
}

func TestRegisterRejects(t *testing.T) {
	e := newEnv(t)
	e.user(t, "taken", false)
	for _, tc := range []struct {
		name string
		a    login.NewAccount
		want error
	}{
		{"bad username", login.NewAccount{Username: "no spaces", Identity: "a@example.com", Password: goodPassword}, login.ErrInvalidUsername},
		{"bad identity", login.NewAccount{Username: "ok", Identity: "not-an-address", Password: goodPassword}, login.ErrInvalidIdentity},
		{"no identity", login.NewAccount{Username: "ok", Password: goodPassword}, login.ErrInvalidIdentity},
		{"weak password", login.NewAccount{Username: "ok", Identity: "ok@example.com", Password: "password123"}, login.ErrWeakPassword},
		{"no password", login.NewAccount{Username: "ok", Identity: "ok@example.com"}, login.ErrWeakPassword},
		{"password is the username", login.NewAccount{Username: "jonathan.q", Identity: "jq@example.com", Password: "jonathan.q.2024"}, login.ErrWeakPassword},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.m.Register(t.Context(), tc.a)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

// TestRegisterDoesNotRevealUsernames: a taken username gets the answer a
// free one gets; only the owner of the address learns that the name is
// taken (in the confirmation notice), and picks another at confirmation.
func TestRegisterDoesNotRevealUsernames(t *testing.T) {
	e := newEnv(t)
	ctx := from(t.Context(), "192.0.2.7")
	owner := e.user(t, "taken", false)

	uid, err := e.m.Register(t.Context(), login.NewAccount{Username: "TAKEN", Identity: "new@example.com", Name: "New", Password: goodPassword})
	require.NoError(t, err, "a taken username is not reported to the registrant")
	freeUID, err := e.m.Register(t.Context(), login.NewAccount{Username: "free", Identity: "free@example.com", Name: "Free", Password: goodPassword})
	require.NoError(t, err)
	require.Len(t, uid, len(freeUID))

	all := e.notes.all()
	require.Len(t, all, 2)
	n, free := all[0], all[1]
	require.Equal(t, login.NoticeConfirm, n.Purpose)
	require.Equal(t, "new@example.com", n.Identity)
	require.Equal(t, uid, n.UID)
	require.Equal(t, "taken", n.TakenUsername, "the address owner is told the name is taken")
	require.NotEqual(t, "taken", n.Username)
	require.Empty(t, free.TakenUsername, "a free name's notice says nothing")

	again, _, _ := e.accounts.Lookup(t.Context(), "taken")
	require.Equal(t, owner.UID, again.UID, "the existing account keeps its name")

	require.ErrorIs(t, e.m.Confirm(t.Context(), n.Token, goodPassword), login.ErrUsernameRequired)
	require.ErrorIs(t, e.m.ConfirmUsername(t.Context(), n.Token, "taken", goodPassword), login.ErrUsernameTaken)
	require.ErrorIs(t, e.m.ConfirmUsername(t.Context(), n.Token, "pending-x", goodPassword), login.ErrUsernameTaken, "placeholder names are reserved")
	require.ErrorIs(t, e.m.ConfirmUsername(t.Context(), n.Token, "No Spaces", goodPassword), login.ErrInvalidUsername)
	require.NoError(t, e.m.ConfirmUsername(t.Context(), n.Token, "newcomer", goodPassword), "the link survived the refusals")
	acc, _, _ := e.accounts.Get(t.Context(), uid)
	require.Equal(t, "newcomer", acc.Username)
	require.Equal(t, login.StatusActive, acc.Status)
	require.ErrorIs(t, e.m.ConfirmUsername(t.Context(), n.Token, "other", goodPassword), login.ErrInvalidLink, "single use")
	s, _, err := e.m.Login(ctx, "newcomer", goodPassword, "")
	require.NoError(t, err)
	require.Equal(t, uid, s.UID)

	// A free name may be changed at confirmation too.
	require.NoError(t, e.m.ConfirmUsername(t.Context(), free.Token, "freer", goodPassword))
	_, found, _ := e.accounts.Lookup(t.Context(), "freer")
	require.True(t, found)
}

func TestRegisterDoesNotRevealIdentities(t *testing.T) {
	e := newEnv(t)
	owner := e.user(t, "owner", false)
	before := len(e.notes.all())
	uid, err := e.m.Register(t.Context(), login.NewAccount{Username: "intruder", Identity: "OWNER@example.com", Password: goodPassword})
	require.NoError(t, err, "a taken address answers like a new one")
	require.NotEmpty(t, uid)
	_, found, _ := e.accounts.Get(t.Context(), uid)
	require.False(t, found, "no account was created")
	_, found, _ = e.accounts.Lookup(t.Context(), "intruder")
	require.False(t, found)
	notes := e.notes.all()[before:]
	require.Len(t, notes, 1)
	require.Equal(t, login.NoticeAlreadyRegistered, notes[0].Purpose)
	require.Equal(t, owner.UID, notes[0].UID)
	require.Empty(t, notes[0].Token)
}

func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice", false)
	ctx := from(t.Context(), "192.0.2.1")
	_, live, err := e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)

	before := len(e.notes.all())
	for _, login := range []string{"nobody", "nobody@example.com", "bad login{}", ""} {
		require.NoError(t, e.m.RequestPasswordReset(t.Context(), login), "never reveals whether an account exists")
	}
	require.Len(t, e.notes.all(), before, "no notice for unknown accounts")

	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "ALICE@example.com"))
	tok := e.notes.last(t, login.NoticeReset).Token
	require.NotEmpty(t, tok)

	err = e.m.ResetPassword(t.Context(), tok, "password123")
	require.ErrorIs(t, err, login.ErrWeakPassword)
	require.NoError(t, e.m.ResetPassword(t.Context(), tok, "a brand new passphrase"), "a rejected password does not use up the link")
	require.ErrorIs(t, e.m.ResetPassword(t.Context(), tok, "yet another passphrase"), login.ErrInvalidLink, "single use")

	_, err = e.m.Validate(t.Context(), string(live))
	require.ErrorIs(t, err, session.ErrInvalidToken, "a password reset ends live sessions")
	_, _, err = e.m.Login(ctx, "alice", goodPassword, "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials)
	s, _, err := e.m.Login(ctx, "alice", "a brand new passphrase", "")
	require.NoError(t, err)
	require.Equal(t, alice.UID, s.UID)
}

func TestLinkTokens(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice", false)
	bob := e.user(t, "bob", false)
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "alice"))
	first := e.notes.last(t, login.NoticeReset).Token
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "alice"))
	second := e.notes.last(t, login.NoticeReset).Token
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "bob"))
	bobs := e.notes.last(t, login.NoticeReset).Token

	// Re-sign nothing: edit the payload (uid) and keep the signature.
	payload, sig, _ := strings.Cut(second, ".")
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	m["u"] = bob.UID
	raw, _ = json.Marshal(m)
	forged := base64.RawURLEncoding.EncodeToString(raw) + "." + sig
	m["u"], m["p"] = alice.UID, "confirm"
	raw, _ = json.Marshal(m)
	repurposed := base64.RawURLEncoding.EncodeToString(raw) + "." + sig

	for name, tok := range map[string]string{
		"superseded by a newer link": first,
		"uid swapped":                forged,
		"purpose swapped":            repurposed,
		"garbage":                    "abc.def",
		"empty":                      "",
		"no signature":               payload,
	} {
		t.Run(name, func(t *testing.T) {
			require.ErrorIs(t, e.m.ResetPassword(t.Context(), tok, "a brand new passphrase"), login.ErrInvalidLink)
			require.ErrorIs(t, e.m.Confirm(t.Context(), tok, goodPassword), login.ErrInvalidLink)
		})
	}
	require.ErrorIs(t, e.m.Confirm(t.Context(), second, goodPassword), login.ErrInvalidLink, "a reset link is not a confirmation link")
	require.NoError(t, e.m.ResetPassword(t.Context(), second, "a brand new passphrase"))
	require.NoError(t, e.m.ResetPassword(t.Context(), bobs, "a fresh passphrase here"))
}

func TestLinkExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t, login.WithLinkTTL(time.Hour, 10*time.Minute))
		e.user(t, "alice", false)
		require.NoError(t, e.m.RequestPasswordReset(t.Context(), "alice"))
		tok := e.notes.last(t, login.NoticeReset).Token
		time.Sleep(10 * time.Minute)
		require.ErrorIs(t, e.m.ResetPassword(t.Context(), tok, "a brand new passphrase"), login.ErrInvalidLink)

		_, err := e.m.Register(t.Context(), login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: goodPassword})
		require.NoError(t, err)
		ctok := e.notes.last(t, login.NoticeConfirm).Token
		time.Sleep(time.Hour)
		require.ErrorIs(t, e.m.Confirm(t.Context(), ctok, goodPassword), login.ErrInvalidLink)
	})
}

func TestResetActivatesPendingAccount(t *testing.T) {
	e := newEnv(t)
	uid, err := e.m.Register(t.Context(), login.NewAccount{Username: "carol", Identity: "carol@example.com", Password: goodPassword})
	require.NoError(t, err)
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "carol@example.com"))
	require.NoError(t, e.m.ResetPassword(t.Context(), e.notes.last(t, login.NoticeReset).Token, "a brand new passphrase"))
	acc, _, _ := e.accounts.Get(t.Context(), uid)
	require.Equal(t, login.StatusActive, acc.Status, "the reset link proved the address")
}

func TestResetOfDisabledAccountIsSilent(t *testing.T) {
	e := newEnv(t)
	a := e.user(t, "dora", false)
	require.NoError(t, e.m.SetStatus(t.Context(), a.UID, login.StatusDisabled))
	before := len(e.notes.all())
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "dora"))
	require.Len(t, e.notes.all(), before)
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	alice := e.user(t, "alice", false)
	ctx := from(t.Context(), "192.0.2.1")
	_, tok, err := e.m.Login(ctx, "alice", goodPassword, "")
	require.NoError(t, err)
	require.ErrorIs(t, e.m.ChangePassword(ctx, alice.UID, "wrong password!", "a brand new passphrase"), login.ErrInvalidCredentials)
	require.ErrorIs(t, e.m.ChangePassword(ctx, alice.UID, goodPassword, "qwertyuiop"), login.ErrWeakPassword)
	require.ErrorIs(t, e.m.ChangePassword(ctx, "u-none", goodPassword, "a brand new passphrase"), login.ErrInvalidCredentials)
	require.NoError(t, e.m.ChangePassword(ctx, alice.UID, goodPassword, "a brand new passphrase"))
	_, err = e.m.Validate(t.Context(), string(tok))
	require.ErrorIs(t, err, session.ErrInvalidToken, "a password change ends live sessions")
	_, _, err = e.m.Login(ctx, "alice", "a brand new passphrase", "")
	require.NoError(t, err)
}

func TestNotifierFailure(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice", false)
	e.notes.err = errors.New("smtp down")
	require.Error(t, e.m.RequestPasswordReset(t.Context(), "alice"))
	_, err := e.m.Register(t.Context(), login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: goodPassword})
	require.Error(t, err)
}

func TestNoticeRedactsToken(t *testing.T) {
	e := newEnv(t)
	e.user(t, "alice", false)
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "alice"))
	n := e.notes.last(t, login.NoticeReset)
	require.NotContains(t, logged(n), n.Token)
}

func TestPasswordResetFloodIsCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := newEnv(t)
		e.user(t, "alice", false)
		for range 10 {
			require.NoError(t, e.m.RequestPasswordReset(t.Context(), "alice"))
		}
		require.Len(t, e.notes.all(), 3, "at most 3 links at once")
		time.Sleep(20 * time.Minute)
		require.NoError(t, e.m.RequestPasswordReset(t.Context(), "alice"))
		require.Len(t, e.notes.all(), 4)
	})
}

// TestCredentialsChanged: every change that ends an account's sessions
// calls the WithCredentialsChanged function with its reason, after the
// sessions ended; its error is returned.
func TestCredentialsChanged(t *testing.T) {
	type call struct{ uid, reason string }
	var calls []call
	var fail error
	e := newEnv(t, login.WithCredentialsChanged(func(ctx context.Context, uid, reason string) error {
		calls = append(calls, call{uid, reason})
		return fail
	}))
	ctx := t.Context()
	alice := e.user(t, "alice", false)
	_, tok, err := e.m.Login(from(ctx, "192.0.2.1"), "alice", goodPassword, "")
	require.NoError(t, err)

	require.NoError(t, e.m.RequestPasswordReset(ctx, "alice"))
	require.NoError(t, e.m.ResetPassword(ctx, e.notes.last(t, login.NoticeReset).Token, goodPassword+" 2"))
	_, err = e.m.Validate(ctx, string(tok))
	require.ErrorIs(t, err, session.ErrInvalidToken, "sessions end before the hook runs")
	require.NoError(t, e.m.ChangePassword(from(ctx, "192.0.2.1"), alice.UID, goodPassword+" 2", goodPassword+" 3"))
	require.NoError(t, e.m.SetStatus(ctx, alice.UID, login.StatusDisabled))
	fail = errors.New("key store down")
	err = e.m.DeleteAccount(ctx, alice.UID)
	require.ErrorIs(t, err, fail)

	uid, err := e.m.Register(ctx, login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: goodPassword})
	require.NoError(t, err)
	fail = nil
	require.NoError(t, e.m.Confirm(ctx, e.notes.last(t, login.NoticeConfirm).Token, goodPassword))
	require.Equal(t, []call{
		{alice.UID, login.ReasonPasswordReset}, {alice.UID, login.ReasonPasswordChange},
		{alice.UID, login.ReasonStatus}, {alice.UID, login.ReasonDeleted}, {uid, login.ReasonConfirmed},
	}, calls)
}

// A registration whose confirmation cannot be sent leaves no pending
// account behind: the retry registers afresh and gets the confirmation,
// not an "already registered" notice.
func TestRegisterNotifierFailureLeavesNoAccount(t *testing.T) {
	e := newEnv(t)
	e.notes.err = fmt.Errorf("%w: queue full", login.ErrQueueFull)
	reg := login.NewAccount{Username: "bob", Identity: "bob@example.com", Password: goodPassword}
	_, err := e.m.Register(t.Context(), reg)
	require.ErrorIs(t, err, login.ErrQueueFull)
	_, found, err := e.accounts.Lookup(t.Context(), "bob@example.com")
	require.NoError(t, err)
	require.False(t, found, "no stranded pending account")
	_, found, err = e.accounts.Lookup(t.Context(), "bob")
	require.NoError(t, err)
	require.False(t, found)

	e.notes.err = nil
	uid, err := e.m.Register(t.Context(), reg)
	require.NoError(t, err)
	n := e.notes.last(t, login.NoticeConfirm)
	require.Equal(t, uid, n.UID)
	require.NotEmpty(t, n.Token)
	require.NoError(t, e.m.Confirm(t.Context(), n.Token, goodPassword))
}

// Pre-hijacking: someone registers another person's address with a
// password of their choosing. The address's owner, who gets the
// confirmation link, cannot activate that password without knowing it:
// the link alone, or with a wrong password, confirms nothing (and stays
// usable); wrong passwords count toward the account's lock. The owner
// takes the address over with a password reset instead, which voids the
// stranger's password.
func TestConfirmNeedsTheRegistrationPassword(t *testing.T) {
	e := newEnv(t)
	const strangers = "the strangers own passphrase"
	uid, err := e.m.Register(t.Context(), login.NewAccount{Username: "victim", Identity: "victim@example.com", Password: strangers})
	require.NoError(t, err)
	link := e.notes.last(t, login.NoticeConfirm).Token

	owner := from(t.Context(), "198.51.100.7")
	require.ErrorIs(t, e.m.Confirm(owner, link, ""), login.ErrInvalidCredentials)
	require.ErrorIs(t, e.m.Confirm(owner, link, "what the owner might try"), login.ErrInvalidCredentials)
	require.ErrorIs(t, e.m.ConfirmUsername(owner, link, "owner-picks", "another guess at it"), login.ErrInvalidCredentials,
		"no username is taken or checked before the password")
	acc, _, err := e.accounts.Get(t.Context(), uid)
	require.NoError(t, err)
	require.Equal(t, login.StatusPending, acc.Status, "the stranger's password is not activated")
	require.Equal(t, "victim", acc.Username)

	var locked *login.LockedError
	for range 10 {
		if err = e.m.Confirm(owner, link, "yet another guess"); errors.As(err, &locked) {
			break
		}
		require.ErrorIs(t, err, login.ErrInvalidCredentials)
	}
	require.ErrorAs(t, err, &locked, "wrong passwords at confirmation are throttled as logins are")
	require.Positive(t, locked.RetryAfter)

	// The owner resets the password: the link of the reset proves the
	// address, sets the owner's password and activates the account.
	require.NoError(t, e.m.RequestPasswordReset(t.Context(), "victim@example.com"))
	require.NoError(t, e.m.ResetPassword(t.Context(), e.notes.last(t, login.NoticeReset).Token, "the owners new passphrase"))
	_, _, err = e.m.Login(from(t.Context(), "203.0.113.9"), "victim", strangers, "")
	require.ErrorIs(t, err, login.ErrInvalidCredentials, "the stranger's password is void")
	// (From another address: the guesses above locked this account for the
	// owner's address for a while.)
	s, _, err := e.m.Login(from(t.Context(), "192.0.2.55"), "victim@example.com", "the owners new passphrase", "")
	require.NoError(t, err)
	require.Equal(t, uid, s.UID)
	require.Equal(t, []string{"user"}, s.Roles)
}
