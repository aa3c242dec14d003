package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func assuranceScenarios() []scenario {
	return []scenario{
		{"issue 17: mfa_required: every login (POST /auth, token endpoint, refresh) may only enrol TOTP, then gets a full session", testMFARequired},
		{"issue 17: password_must_change: the session may only change the password; the next login is full", testPasswordMustChange},
		{"issue 24: POST /auth/reauth renews the authentication of the same token", testReauth},
	}
}

// setRequirements sets the requirements of account uid as the admin.
func setRequirements(t *testing.T, in *instance, uid string, body map[string]any) {
	t.Helper()
	in.admin(t).put(t, "/account/"+uid, body).want(t, http.StatusNoContent)
}

func testMFARequired(t *testing.T, in *instance) {
	u := in.newUser(t, "mfa")
	setRequirements(t, in, u.uid, map[string]any{"mfa_required": true})
	u.get(t, "/contact").wantProblem(t, http.StatusUnauthorized, "session.invalid_token")

	// POST /auth: a session that may only enrol TOTP.
	tb := u.login(t)
	if !slices.Equal(tb.Roles, []string{"mfaenrolment"}) {
		t.Fatalf("roles = %v, want [mfaenrolment]", tb.Roles)
	}
	for _, r := range []struct{ method, path string }{{"GET", "/contact"}, {"POST", "/apikey"}, {"GET", "/settings"}, {"PUT", "/account/password"}} {
		res := u.do(t, r.method, r.path, map[string]any{})
		res.wantProblem(t, http.StatusForbidden, "session.mfa_enrolment_required")
	}
	fr := u.withToken(u.token)
	fr.lang = "fr"
	if p := fr.get(t, "/contact").wantProblem(t, http.StatusForbidden, "session.mfa_enrolment_required"); !strings.Contains(p.Detail, "deux facteurs") {
		t.Errorf("French detail = %q", p.Detail)
	}

	// The token endpoint and its refresh: as restricted, no scope.
	conf, ctx := u.oauthConfig(t)
	tok, err := conf.PasswordCredentialsToken(ctx, u.username, u.password)
	if err != nil {
		t.Fatalf("PasswordCredentialsToken: %v", err)
	}
	if got := scopeClaim(t, tok.AccessToken); got != "" {
		t.Errorf("scope claim of a restricted session = %q, want none", got)
	}
	u.withToken(tok.AccessToken).get(t, "/contact").wantProblem(t, http.StatusForbidden, "session.mfa_enrolment_required")
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	u.withToken(fresh.AccessToken).get(t, "/contact").wantProblem(t, http.StatusForbidden, "session.mfa_enrolment_required")
	confFull, _ := u.oauthConfig(t, "full")
	if _, err := confFull.PasswordCredentialsToken(ctx, u.username, u.password); err == nil {
		t.Error("a restricted login was granted the scope full")
	}

	// Enrolment: the confirmation answers a full session's token.
	enr := decode[map[string]string](t, u.post(t, "/auth/totp", nil).want(t, http.StatusCreated))
	out := decode[struct {
		BackupCodes []string `json:"backup_codes"`
		Token       string   `json:"token"`
	}](t, u.put(t, "/auth/totp", map[string]string{"otp": totpCode(t, enr["secret"], time.Now())}).want(t, http.StatusOK))
	if len(out.BackupCodes) == 0 || out.Token == "" {
		t.Fatalf("confirmation = %+v, want backup codes and a token", out)
	}
	u.get(t, "/contact").wantProblem(t, http.StatusUnauthorized, "session.invalid_token") // the restricted token ended
	u.withToken(out.Token).get(t, "/contact").want(t, http.StatusOK)
	// Another restricted session (the OAuth2 client's) stays restricted
	// until it logs in again.
	u.withToken(fresh.AccessToken).get(t, "/contact").wantProblem(t, http.StatusForbidden, "session.mfa_enrolment_required")
}

func testPasswordMustChange(t *testing.T, in *instance) {
	u := in.newUser(t, "pwchange")
	setRequirements(t, in, u.uid, map[string]any{"password_must_change": true})
	tb := u.login(t)
	if !slices.Equal(tb.Roles, []string{"passwordchange"}) {
		t.Fatalf("roles = %v, want [passwordchange]", tb.Roles)
	}
	u.get(t, "/contact").wantProblem(t, http.StatusForbidden, "session.password_change_required")
	u.post(t, "/auth/totp", nil).wantProblem(t, http.StatusForbidden, "session.password_change_required")
	conf, ctx := u.oauthConfig(t)
	tok, err := conf.PasswordCredentialsToken(ctx, u.username, u.password)
	if err != nil {
		t.Fatalf("PasswordCredentialsToken: %v", err)
	}
	u.withToken(tok.AccessToken).get(t, "/contact").wantProblem(t, http.StatusForbidden, "session.password_change_required")

	next := "Juniper-" + randomText(14)
	u.put(t, "/account/password", map[string]string{"old_password": u.password, "password": next}).want(t, http.StatusNoContent)
	u.password = next
	tb = u.login(t)
	if !slices.Equal(tb.Roles, []string{"user"}) {
		t.Fatalf("roles after the change = %v, want [user]", tb.Roles)
	}
	u.get(t, "/contact").want(t, http.StatusOK)
	// The admin's bad input.
	in.admin(t).put(t, "/account/"+u.uid, map[string]any{}).wantProblem(t, http.StatusBadRequest, "contacts.bad_status")
	u.put(t, "/account/"+u.uid, map[string]any{"password_must_change": false}).wantProblem(t, http.StatusForbidden, "accesscontrol.forbidden")
}

func testReauth(t *testing.T, in *instance) {
	u := in.newUser(t, "reauth")
	u.post(t, "/auth/reauth", map[string]string{"password": "wrong-" + randomText(8)}).wantProblem(t, http.StatusUnauthorized, "session.invalid_credentials")
	u.post(t, "/auth/reauth", map[string]string{"password": u.password, "otp": "123456"}).wantProblem(t, http.StatusConflict, "session.totp_not_enrolled")
	got := decode[struct {
		AuthTime time.Time `json:"auth_time"`
		AMR      []string  `json:"amr"`
	}](t, u.post(t, "/auth/reauth", map[string]string{"password": u.password}).want(t, http.StatusOK))
	if !slices.Equal(got.AMR, []string{"pwd"}) || time.Since(got.AuthTime) > time.Minute {
		t.Errorf("reauth = %+v", got)
	}
	in.anonymous().post(t, "/auth/reauth", map[string]string{"password": u.password}).want(t, http.StatusUnauthorized)
}

// TestStepUp: with stepup_max_age short, the sensitive operations refuse a
// session authenticated longer ago (401 with an RFC 9470 challenge, in the
// caller's language) until POST /auth/reauth renews it.
func TestStepUp(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	in := sqliteDeployment(t).start(t, "contacts", "APICRUD_STEPUP_MAX_AGE=4s")
	u := in.newUser(t, "stepup")
	time.Sleep(5 * time.Second)
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/apikey", map[string]any{"name": "ci"}},
		{"POST", "/auth/totp", nil},
		{"DELETE", "/auth/totp", map[string]string{"password": u.password, "otp": "123456"}},
		{"PUT", "/account/password", map[string]string{"old_password": u.password, "password": "Juniper-" + randomText(14)}},
	} {
		res := u.do(t, r.method, r.path, r.body)
		res.wantProblem(t, http.StatusUnauthorized, "session.reauthentication_required")
		want := `Bearer error="insufficient_user_authentication", error_description="A more recent or stronger authentication is required", max_age="4"`
		if got := res.header.Get("WWW-Authenticate"); got != want {
			t.Errorf("%s %s: WWW-Authenticate = %q", r.method, r.path, got)
		}
	}
	u.get(t, "/apikey").want(t, http.StatusOK) // other routes do not ask
	de := u.withToken(u.token)
	de.lang = "de"
	if p := de.post(t, "/apikey", map[string]any{"name": "ci"}).wantProblem(t, http.StatusUnauthorized, "session.reauthentication_required"); !strings.Contains(p.Detail, "erneut") {
		t.Errorf("German detail = %q", p.Detail)
	}
	u.post(t, "/auth/reauth", map[string]string{"password": u.password}).want(t, http.StatusOK)
	u.post(t, "/apikey", map[string]any{"name": "ci"}).want(t, http.StatusCreated)
}
