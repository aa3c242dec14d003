package main

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"
)

// assertion returns the callback parameter of the test identity provider
// for email, signed with the deployment's test_identity_key.
func (d *deployment) assertion(t testing.TB, email string, verified bool) string {
	t.Helper()
	data, err := json.Marshal(testAssertion{Subject: "sub-" + email, Email: email, EmailVerified: verified, Name: "Owner", Expires: time.Now().Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	payload := base64.RawURLEncoding.EncodeToString(data)
	return payload + "." + base64.RawURLEncoding.EncodeToString(signAssertion([]byte(d.env["APICRUD_TEST_IDENTITY_KEY"]), payload))
}

// delegatedLogin signs c in through the test identity provider with the
// assertion.
func (c *client) delegatedLogin(t testing.TB, assertion string) *response {
	t.Helper()
	return c.get(t, "/auth/oidc/test/callback?"+url.Values{"assertion": {assertion}}.Encode())
}

// The account takeover through delegated login: an attacker registers the
// victim's address with a password of their own and waits, logged in with
// the "pending" role; the victim later signs in through an identity
// provider that proves the address. The account becomes the victim's, and
// nothing the attacker set works any more.
func testDelegatedLoginTakeover(t *testing.T, in *instance) {
	attacker := in.anonymous()
	attacker.username, attacker.identity, attacker.password = "squat-"+randomText(6), "owner-"+randomText(6)+"@example.com", "Squatter-Password-91"
	attacker.post(t, "/account", map[string]string{"username": attacker.username, "identity": attacker.identity, "password": attacker.password}).
		want(t, http.StatusAccepted)
	pending := attacker.login(t)
	if !slices.Equal(pending.Roles, []string{"pending"}) {
		t.Fatalf("pending login roles = %v", pending.Roles)
	}

	owner := in.anonymous()
	owner.delegatedLogin(t, "x"+in.d.assertion(t, attacker.identity, true)).wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials")
	owner.delegatedLogin(t, in.d.assertion(t, attacker.identity, false)).wantProblem(t, http.StatusForbidden, "session.unverified_identity")
	owner.get(t, "/auth/oidc/nobody/callback?assertion=x").wantProblem(t, http.StatusNotFound, "http.404")
	tb := decode[tokenBody](t, owner.delegatedLogin(t, in.d.assertion(t, attacker.identity, true)).want(t, http.StatusOK))
	if tb.UID != pending.UID || !slices.Equal(tb.Roles, []string{"user"}) {
		t.Fatalf("delegated login: uid %s roles %v, want %s [user]", tb.UID, tb.Roles, pending.UID)
	}
	owner.withToken(tb.Token).get(t, "/contact").want(t, http.StatusOK)

	// The attacker's password and pending session are void.
	attacker.get(t, "/contact").wantProblem(t, http.StatusUnauthorized, "session.invalid_token")
	anon := attacker.fromIP(attacker.ip)
	for _, login := range []string{attacker.username, attacker.identity} {
		anon.post(t, "/auth", map[string]string{"username": login, "password": attacker.password}).
			wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials")
	}
}
