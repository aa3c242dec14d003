package accesscontrol_test

// Regression tests for the defects of the Python original (behaviour
// §20) and the quirks of §21 that touch access control and API keys. Each
// attacks the way the defect was exploited and passes because the attack
// fails.

import (
	"context"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	ac "github.com/apicrud-go/apicrud/accesscontrol"
)

// §20.3: apicrud cached API keys by prefix and, on a cache hit, accepted
// any secret. Here the secret is hashed and compared on every call.
func TestDefect3_APIKeyCacheBypass(t *testing.T) {
	keys := newKeys(t, ac.WithKeyCache(time.Hour))
	ctx := t.Context()
	k, _, err := keys.Create(ctx, "u-victim", "ci", []string{"full"}, time.Time{})
	require.NoError(t, err)
	_, err = keys.Verify(ctx, k.Reveal()) // the key is now cached
	require.NoError(t, err)
	// The attacker knows the public prefix and tries secrets.
	for _, guess := range []string{
		strings.Repeat("A", 43), strings.Repeat("_", 32), base64.RawURLEncoding.EncodeToString(make([]byte, 32)),
		strings.SplitN(k.Reveal(), ".", 2)[1][:42] + "x", // all but the last character right
	} {
		_, err := keys.Verify(ctx, k.Prefix()+"."+guess)
		require.ErrorIs(t, err, ac.ErrKeyInvalid, guess)
		_, _, _, err = keys.VerifyAPIKey(ctx, k.Prefix()+"."+guess)
		require.ErrorIs(t, err, ac.ErrKeyInvalid)
	}
	_, err = keys.Verify(ctx, k.Reveal())
	require.NoError(t, err, "the owner still gets in")
}

// §20.3 and §20.6: only a hash of the secret is stored; nothing in the
// store can be replayed as a key.
func TestDefect3_OnlyHashStored(t *testing.T) {
	store := ac.NewMemoryKeyStore()
	defer store.Close(context.Background())
	keys := newKeys(t, ac.WithKeyStore(store))
	k, _, err := keys.Create(t.Context(), "u", "ci", nil, time.Time{})
	require.NoError(t, err)
	_, secret, _ := strings.Cut(k.Reveal(), ".")
	stored, err := store.Get(t.Context(), k.Prefix())
	require.NoError(t, err)
	require.NotContains(t, fmt.Sprintf("%#v", stored), secret)
	v := reflect.ValueOf(stored)
	for i := range v.NumField() {
		require.NotContains(t, fmt.Sprint(v.Field(i).Interface()), secret, v.Type().Field(i).Name)
	}
	_, err = keys.Verify(t.Context(), k.Prefix()+"."+base64.RawURLEncoding.EncodeToString(stored.Hash[:]))
	require.ErrorIs(t, err, ac.ErrKeyInvalid, "the stored hash is not a key")
}

// §20.7: secrets came from Python's random with 192 bits at best. Here
// they are 256 bits from crypto/rand: 1,000 keys share no secret and no
// prefix, and the secret bytes look uniform.
func TestDefect7_WeakAPIKeyRandomness(t *testing.T) {
	keys := newKeys(t, ac.WithMaxScopes(0))
	seen := map[string]bool{}
	var ones, bits int
	for i := range 1000 {
		k, _, err := keys.Create(t.Context(), "u", fmt.Sprint("k", i), nil, time.Time{})
		require.NoError(t, err)
		prefix, secret, _ := strings.Cut(k.Reveal(), ".")
		require.False(t, seen[prefix] || seen[secret])
		seen[prefix], seen[secret] = true, true
		raw, err := base64.RawURLEncoding.DecodeString(secret)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(raw)*8, 192)
		for _, b := range raw {
			for ; b != 0; b &= b - 1 {
				ones++
			}
			bits += 8
		}
	}
	ratio := float64(ones) / float64(bits)
	require.InDelta(t, 0.5, ratio, 0.01, "bit balance of 256,000 secret bits")
}

// §20.13: membership policies were dead code (a list manager could not
// manage the list) ...
func TestDefect13_MembershipPoliciesDead(t *testing.T) {
	p := exampleService(t)
	mgr := principal("u-mgr", "user", "list-x-L1-invitee", "list-x-L1-member", "list-x-L1-manager")
	list := ac.Record{ID: "x-L1", Owner: "u-owner", Privacy: "secret"}
	require.Equal(t, "cdghijru", p.Actions(mgr, "list", list).String())
	msg := ac.Record{ID: "x-M1", Owner: "u-other", Privacy: "secret", Parent: "x-L1"}
	require.True(t, p.AllowedFor(mgr, 'd', "message", msg))
	// ... and they must apply to the record's own list only.
	require.False(t, p.AllowedFor(mgr, 'd', "message", ac.Record{ID: "x-M2", Owner: "u-other", Parent: "x-L2"}))
	require.False(t, p.AllowedFor(mgr, 'u', "list", ac.Record{ID: "x-L2", Owner: "u-owner"}))
}

// §20.13: privacy was checked against the caller's *first* list, so any
// member of any list could read every member-privacy contact of every user.
func TestDefect13_PrivacyUsesCallersFirstList(t *testing.T) {
	p := exampleService(t)
	attacker := principal("u-att", "user", "list-x-MINE-member") // member of a list of his own making
	victimContact := ac.Record{ID: "x-C1", Owner: "u-victim", Privacy: "member"}
	require.False(t, p.AllowedFor(attacker, 'r', "contact", victimContact))
	victimProfile := ac.Record{ID: "x-P1", Owner: "u-victim", Privacy: "member"}
	require.False(t, p.AllowedFor(attacker, 'r', "profile", victimProfile))
	// In a list the attacker does not belong to, neither.
	require.False(t, p.AllowedFor(attacker, 'r', "contact", ac.Record{ID: "x-C2", Owner: "u-victim", Privacy: "member", Parent: "x-VICTIMS"}))
	// The SQL filter agrees: no member-privacy row of the victim's list.
	clause, args, err := p.FilterFor(attacker, 'r', "contact", messageCols)
	require.NoError(t, err)
	require.NotContains(t, args, "x-VICTIMS")
	require.Contains(t, clause, "uid = ?")
}

// §20.13: find ignored membership privacy (members could not list
// member-privacy records of their lists, while GET allowed them). The
// filter selects exactly the readable rows.
func TestDefect13_FindIgnoresMembershipPrivacy(t *testing.T) {
	p := exampleService(t)
	member := principal("u-m", "user", "list-x-L1-member")
	clause, args, err := p.FilterFor(member, 'r', "contact", messageCols)
	require.NoError(t, err)
	require.Equal(t, "(uid = ? OR list_id = ? OR privacy = ?)", clause)
	require.Equal(t, []any{"u-m", "x-L1", "public"}, args)
	// TestFilterProperty proves the general case on real databases.
}

// §20.18: revocation waited up to redis_ttl per process. Without a cache a
// revocation applies to every instance at once; with one, at once on the
// revoking instance (TestAPIKeyCache covers the ttl on others).
func TestDefect18_APIKeyRevocationLatency(t *testing.T) {
	store := ac.NewMemoryKeyStore()
	defer store.Close(context.Background())
	a := newKeys(t, ac.WithKeyStore(store))
	b := newKeys(t, ac.WithKeyStore(store))
	k, rec, err := a.Create(t.Context(), "u", "k", nil, time.Time{})
	require.NoError(t, err)
	_, err = b.Verify(t.Context(), k.Reveal())
	require.NoError(t, err)
	require.NoError(t, a.Revoke(t.Context(), rec.Prefix))
	_, err = b.Verify(t.Context(), k.Reveal())
	require.ErrorIs(t, err, ac.ErrKeyRevoked)
}

// §21: API-key callers had no account id (and shared a TOTP replay key).
// A key's principal carries the owner's account id and the key id.
func TestQuirk_APIKeyPrincipalIdentity(t *testing.T) {
	keys := newKeys(t, ac.WithOwners(ac.OwnerFunc(func(context.Context, string) (ac.Owner, error) {
		return ac.Owner{Roles: []string{"user"}, AccountID: "x-acc1"}, nil
	})))
	k, rec, err := keys.Create(t.Context(), "u", "k", nil, time.Time{})
	require.NoError(t, err)
	p, err := keys.Verify(t.Context(), k.Reveal())
	require.NoError(t, err)
	require.Equal(t, "x-acc1", p.AccountID())
	require.Equal(t, rec.Prefix, p.APIKeyID())
}

// §21 and §18.1: connexion never enforced API-key scopes. RequireScopes
// does, all of them, and a declared scope needs a role that grants it.
func TestQuirk_ScopesEnforced(t *testing.T) {
	p := exampleService(t)
	readonly := ac.NewPrincipal(ac.Identity{UID: "u", Roles: []string{"user"}, Scopes: []string{"readonly"}})
	require.False(t, p.HasScopesFor(readonly, "full"))
	require.False(t, p.HasScopesFor(readonly, "readonly", "full"))
	require.True(t, p.HasScopesFor(readonly, "readonly"))
	// A scope in the credential that no role of the owner grants.
	forged := ac.NewPrincipal(ac.Identity{UID: "u", Roles: []string{"user"}, Scopes: []string{"payments.approve"}})
	require.False(t, p.HasScopesFor(forged, "payments.approve"))
	require.False(t, p.ServiceAllowed(forged, "approve_payment"))
}
