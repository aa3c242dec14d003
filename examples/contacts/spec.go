package main

import (
	"net/http"
	"time"

	"github.com/apicrud-go/apicrud/crud"
)

// The bodies of the service's own operations, as the OpenAPI document
// shows them (the handlers decode the same fields).
type (
	loginRequest struct {
		Username string `json:"username"`
		Password string `json:"password"`
		OTP      string `json:"otp,omitempty" doc:"the TOTP code, when the account has a second factor"`
	}
	// tokenForm is the token endpoint's form body.
	tokenForm struct {
		GrantType    string `json:"grant_type" doc:"password or refresh_token"`
		Username     string `json:"username,omitempty" doc:"grant_type=password: the username or identity"`
		Password     string `json:"password,omitempty" doc:"grant_type=password"`
		OTP          string `json:"otp,omitempty" doc:"grant_type=password: the TOTP code, when the account has a second factor"`
		RefreshToken string `json:"refresh_token,omitempty" doc:"grant_type=refresh_token: the refresh token of the last answer (valid once)"`
		Scope        string `json:"scope,omitempty" doc:"the scopes wanted, space-separated (default: every scope the account's roles hold; on refresh, those granted before)"`
	}
	otpRequest struct {
		OTP string `json:"otp"`
	}
	totpEnrolment struct {
		Secret string `json:"secret"`
		URI    string `json:"uri" doc:"otpauth:// URI for an authenticator app"`
	}
	confirmTOTPBody struct {
		BackupCodes []string `json:"backup_codes" doc:"shown once"`
		Token       string   `json:"token,omitempty" doc:"the token of the full session that replaces a session restricted to enrolment"`
	}
	disableTOTPRequest struct {
		Password string `json:"password"`
		OTP      string `json:"otp"`
	}
	registerRequest struct {
		Username string `json:"username"`
		Name     string `json:"name,omitempty"`
		Identity string `json:"identity" doc:"the e-mail address the confirmation link goes to"`
		Password string `json:"password"`
	}
	statusBody struct {
		Status string `json:"status"`
	}
	accountRequest struct {
		Status             string `json:"status,omitempty" doc:"active or disabled"`
		MFARequired        *bool  `json:"mfa_required,omitempty" doc:"require TOTP: until enrolled, a login may only enrol it"`
		PasswordMustChange *bool  `json:"password_must_change,omitempty" doc:"require a new password: until changed, a login may only change it"`
	}
	reauthRequest struct {
		Password string `json:"password"`
		OTP      string `json:"otp,omitempty" doc:"a TOTP or backup code: the new authentication then counts two factors"`
	}
	reauthBody struct {
		AuthTime time.Time `json:"auth_time"`
		AMR      []string  `json:"amr" doc:"RFC 8176 authentication methods: pwd, otp, mfa"`
	}
	confirmRequest struct {
		Token    string `json:"token"`
		Password string `json:"password" doc:"the password chosen at registration: a link followed by someone who did not register is refused (401)"`
		Username string `json:"username,omitempty" doc:"another username, required when the one registered was taken"`
	}
	resetRequest struct {
		Login string `json:"login" doc:"username or identity"`
	}
	passwordRequest struct {
		Token       string `json:"token,omitempty" doc:"the token of a reset link"`
		OldPassword string `json:"old_password,omitempty" doc:"the current password, without a token"`
		Password    string `json:"password"`
	}
	apiKeyRequest struct {
		Name    string    `json:"name"`
		Scopes  []string  `json:"scopes,omitempty"`
		Expires time.Time `json:"expires,omitzero"`
	}
	grantRequest struct {
		Value   string    `json:"value"`
		Expires time.Time `json:"expires,omitzero"`
	}
	memberRequest struct {
		Level string `json:"level" doc:"a privacy level of the policy"`
	}
	items struct {
		Items []map[string]any `json:"items"`
		Count int              `json:"count,omitempty"`
	}
	object map[string]any
)

// operation is one of the service's own operations: what the OpenAPI
// document says of it and the handler that serves it.
type operation struct {
	crud.Endpoint
	h http.Handler
}

// apiTags describes every tag of the document.
var apiTags = map[string]string{
	"auth":     "Logging in and out, second factors and delegated login.",
	"passkey":  "Passkeys (WebAuthn): enrol, name and remove them; log in with one instead of a password, or give one as the second factor.",
	"account":  "Registration, confirmation, passwords and account status.",
	"apikey":   "API keys for scripts: X-Api-Key: prefix.secret.",
	"grant":    "Usage limits per account: defaults and overrides.",
	"member":   "Members of a list and their levels.",
	"ops":      "Health, configuration, the service registry, metrics and this document.",
	"person":   "People: the profile of each account, readable by the lists it shares.",
	"contact":  "Ways to reach a person (e-mail, phone, ...), each with its own privacy.",
	"list":     "Lists of people, filed under a category; their members read what the list shares.",
	"message":  "Messages posted to a list.",
	"category": "The caller's categories of lists.",
	"settings": "The caller's settings: language, time zone, default category.",
	"trashcan": "Deleted records of every resource: list, restore, purge.",
}

// operations lists the operations the service adds to the crud resources,
// each with its handler: they are served and documented from here.
func (a *app) operations() []operation {
	strict := a.strict.Middleware("account") // a small budget per client address of their own
	op := func(ep crud.Endpoint, h http.HandlerFunc) operation { return operation{ep, h} }
	session := []string{"bearerAuth", "oauth2"} // a login token, not an API key
	return []operation{
		op(crud.Endpoint{Method: "GET", Path: "/health", ID: "getHealth", Tag: "ops", Summary: "State of the database and the backend (ok or unavailable)",
			Anonymous: true, Response: object{}, Errors: []int{503}}, a.health),
		op(crud.Endpoint{Method: "POST", Path: "/auth", ID: "login", Tag: "auth", Summary: "Log in", Anonymous: true,
			Request: loginRequest{}, Status: 201, Response: tokenBody{}, Errors: []int{401, 429}}, a.login),
		op(crud.Endpoint{Method: "POST", Path: "/auth/token", ID: "token", Tag: "auth",
			Summary:     "OAuth2 token endpoint: grant_type=password (username, password, otp, scope) or refresh_token (refresh_token, scope)",
			Description: "The answer carries an access token, its lifetime, a refresh token valid once and the scopes granted; errors are 400 {error, error_description}.",
			Anonymous:   true, Request: tokenForm{}, RequestType: "application/x-www-form-urlencoded", Response: tokenResponse{},
			Errors: []int{400, 429, 503}, ErrorBodies: map[int]any{400: tokenError{}}}, a.token),
		op(crud.Endpoint{Method: "DELETE", Path: "/auth", ID: "logout", Tag: "auth", Summary: "Log out: the token stops working at once",
			Schemes: session, Status: 204}, a.logout),
		op(crud.Endpoint{Method: "GET", Path: "/auth/sessions", ID: "listSessions", Tag: "auth",
			Summary:     "The caller's sessions (devices): login and last use with client address and user agent, the current one marked",
			Description: "The last use is recorded at most once a minute. Addresses are personal data: session_ips: false records none.",
			Schemes:     session, Response: sessionList{}, Errors: []int{503}}, a.listSessions),
		op(crud.Endpoint{Method: "DELETE", Path: "/auth/sessions", ID: "revokeOtherSessions", Tag: "auth", Summary: "Log out every other session of the caller's; the current one stays",
			Schemes: session, Response: revokedBody{}, Errors: []int{503}}, a.revokeOtherSessions),
		op(crud.Endpoint{Method: "DELETE", Path: "/auth/sessions/{id}", ID: "revokeSession", Tag: "auth",
			Summary: "End one of the caller's sessions at once (the current one too: a logout); another user's or an unknown id is 404",
			Schemes: session, Status: 204, Errors: []int{404, 503}}, a.revokeSession),
		op(crud.Endpoint{Method: "POST", Path: "/auth/otp", ID: "completeTOTP", Tag: "auth", Summary: "Give the second factor of a login that awaits it",
			Schemes: session, Request: otpRequest{}, Status: 201, Response: tokenBody{}, Errors: []int{429}}, a.completeTOTP),
		op(crud.Endpoint{Method: "POST", Path: "/auth/reauth", ID: "reauthenticate", Tag: "auth",
			Summary:     "Authenticate again (password, and a code for two factors): the session's auth_time becomes now",
			Description: "What a 401 session.reauthentication_required asks for; the token stays the same.",
			Schemes:     session, Request: reauthRequest{}, Response: reauthBody{}, Errors: []int{401, 409, 429}}, a.reauth),
		{crud.Endpoint{Method: "POST", Path: "/auth/totp", ID: "enrollTOTP", Tag: "auth", Summary: "Start TOTP enrolment: a secret and its otpauth URI",
			Description: "Needs a recent authentication (401 session.reauthentication_required: POST /auth/reauth).",
			Schemes:     session, Status: 201, Response: totpEnrolment{}, Errors: []int{400, 401}}, a.stepUp(http.HandlerFunc(a.enrollTOTP))},
		op(crud.Endpoint{Method: "PUT", Path: "/auth/totp", ID: "confirmTOTP", Tag: "auth", Summary: "Confirm TOTP enrolment with a code; returns the backup codes once",
			Description: "A session that could only enrol TOTP (mfa_required) gets a full session's token in the answer.",
			Schemes:     session, Request: otpRequest{}, Response: confirmTOTPBody{}}, a.confirmTOTP),
		{crud.Endpoint{Method: "DELETE", Path: "/auth/totp", ID: "disableTOTP", Tag: "auth", Summary: "Turn TOTP off (password and a code required)",
			Description: "Needs a recent authentication (401 session.reauthentication_required: POST /auth/reauth).",
			Schemes:     session, Request: disableTOTPRequest{}, Status: 204, Errors: []int{401}}, a.stepUp(http.HandlerFunc(a.disableTOTP))},
		op(crud.Endpoint{Method: "GET", Path: "/auth/oidc/{provider}", ID: "delegatedLogin", Tag: "auth",
			Summary:     "Delegated login: 302 to the login page of a provider of oidc_providers (authorization code with PKCE)",
			Description: "Sets a short-lived sealed cookie that binds the provider's answer to this browser. Open it in a browser, not from a script.",
			Anonymous:   true, Status: 302, Errors: []int{404, 503}}, a.delegatedStart),
		{crud.Endpoint{Method: "POST", Path: "/auth/passkey/challenge", ID: "beginPasskeyRegistration", Tag: "passkey",
			Summary:     "Start enrolling a passkey: the options for navigator.credentials.create",
			Description: "Needs a recent authentication (401 session.reauthentication_required: POST /auth/reauth).",
			Schemes:     session, Status: 201, Response: passkeyChallenge{}, Errors: []int{401, 404, 409}}, a.stepUp(http.HandlerFunc(a.beginPasskeyRegistration))},
		op(crud.Endpoint{Method: "POST", Path: "/auth/passkey", ID: "finishPasskeyRegistration", Tag: "passkey",
			Summary: "Enrol the passkey the browser created, under a name", Schemes: session,
			Request: passkeyFinish{}, Status: 201, Response: passkeyBody{}, Errors: []int{400, 404, 409}}, a.finishPasskeyRegistration),
		op(crud.Endpoint{Method: "GET", Path: "/auth/passkey", ID: "listPasskeys", Tag: "passkey", Summary: "The caller's passkeys",
			Schemes: session, Response: items{}, Errors: []int{404}}, a.listPasskeys),
		op(crud.Endpoint{Method: "PUT", Path: "/auth/passkey/{id}", ID: "renamePasskey", Tag: "passkey", Summary: "Rename one of the caller's passkeys",
			Schemes: session, Request: passkeyName{}, Status: 204, Errors: []int{400, 404}}, a.renamePasskey),
		{crud.Endpoint{Method: "DELETE", Path: "/auth/passkey/{id}", ID: "removePasskey", Tag: "passkey", Summary: "Remove one of the caller's passkeys: it stops working at once",
			Description: "Needs a recent authentication (401 session.reauthentication_required: POST /auth/reauth).",
			Schemes:     session, Status: 204, Errors: []int{401, 404}}, a.stepUp(http.HandlerFunc(a.removePasskey))},
		{crud.Endpoint{Method: "POST", Path: "/auth/passkey/login/challenge", ID: "beginPasskeyLogin", Tag: "passkey",
			Summary:   "Start a passwordless login: the options for navigator.credentials.get (the browser offers the passkeys it holds)",
			Anonymous: true, Status: 201, Response: passkeyChallenge{}, Errors: []int{404, 429}}, strict(http.HandlerFunc(a.beginPasskeyLogin))},
		op(crud.Endpoint{Method: "POST", Path: "/auth/passkey/login", ID: "finishPasskeyLogin", Tag: "passkey",
			Summary:   "Log in with the passkey's answer: a session, as a password and second factor give",
			Anonymous: true, Request: passkeyFinish{}, Status: 201, Response: tokenBody{}, Errors: []int{401, 404}}, a.finishPasskeyLogin),
		op(crud.Endpoint{Method: "POST", Path: "/auth/passkey/factor/challenge", ID: "beginPasskeyFactor", Tag: "passkey",
			Summary: "With the token of a login that awaits its second factor: the options asking for one of the account's passkeys",
			Schemes: session, Status: 201, Response: passkeyChallenge{}, Errors: []int{404, 409}}, a.beginPasskeyFactor),
		op(crud.Endpoint{Method: "POST", Path: "/auth/passkey/factor", ID: "finishPasskeyFactor", Tag: "passkey",
			Summary: "Give a passkey as the second factor of a login that awaits it: the full session",
			Schemes: session, Request: passkeyFinish{}, Status: 201, Response: tokenBody{}, Errors: []int{404}}, a.finishPasskeyFactor),
		{crud.Endpoint{Method: "GET", Path: "/auth/oidc/{provider}/callback", ID: "delegatedLoginCallback", Tag: "auth",
			Summary:     "Delegated login: the provider's answer exchanged for a session, as a login gives",
			Description: "Only in the browser that started the login, once. 401 for a callback this browser did not start, a spent code or an ID token that does not verify; 403 when the provider does not vouch for the e-mail address.",
			Anonymous:   true, Response: tokenBody{}, Errors: []int{401, 403, 404, 429, 503}}, strict(http.HandlerFunc(a.delegatedCallback))},
		{crud.Endpoint{Method: "POST", Path: "/account", ID: "register", Tag: "account",
			Summary:   "Register an account; a confirmation link goes to the identity. With registration closed only admins create accounts (201, active at once); others get 403",
			Anonymous: true, Request: registerRequest{}, Status: 202, Response: statusBody{}, Errors: []int{403, 429}}, strict(http.HandlerFunc(a.register))},
		op(crud.Endpoint{Method: "PUT", Path: "/account/{uid}", ID: "setAccountStatus", Tag: "account",
			Summary: "Enable or disable an account, require TOTP or a new password (admins); disabling ends its sessions and API keys, a new requirement its sessions",
			Request: accountRequest{}, Status: 204, Errors: []int{403, 404}}, a.setAccountStatus),
		{crud.Endpoint{Method: "POST", Path: "/account/confirm", ID: "confirmAccount", Tag: "account",
			Summary:   "Confirm an account with the token of its link and the password chosen at registration, optionally choosing another username (required when the one registered was taken: the link's message says so)",
			Anonymous: true, Request: confirmRequest{}, Status: 204, Errors: []int{401, 409, 429}}, strict(http.HandlerFunc(a.confirm))},
		{crud.Endpoint{Method: "POST", Path: "/account/password_reset", ID: "requestPasswordReset", Tag: "account",
			Summary:   "Send a password-reset link (the answer never tells whether the account exists)",
			Anonymous: true, Request: resetRequest{}, Status: 202, Errors: []int{429}}, strict(http.HandlerFunc(a.requestReset))},
		op(crud.Endpoint{Method: "PUT", Path: "/account/password", ID: "setPassword", Tag: "account", Summary: "Set a new password with a reset token, or with the old password",
			Description: "With the old password, needs a recent authentication (401 session.reauthentication_required: POST /auth/reauth).",
			Anonymous:   true, Request: passwordRequest{}, Status: 204, Errors: []int{401}}, a.setPassword),
		{crud.Endpoint{Method: "POST", Path: "/apikey", ID: "createAPIKey", Tag: "apikey", Summary: "Create an API key; the key is shown this once",
			Description: "Needs a recent authentication (401 session.reauthentication_required: POST /auth/reauth).",
			Schemes:     session, Request: apiKeyRequest{}, Status: 201, Response: object{}, Errors: []int{401, 403, 409}}, a.stepUp(http.HandlerFunc(a.createAPIKey))},
		op(crud.Endpoint{Method: "GET", Path: "/apikey", ID: "listAPIKeys", Tag: "apikey", Summary: "The caller's API keys", Response: items{}}, a.listAPIKeys),
		op(crud.Endpoint{Method: "DELETE", Path: "/apikey/{id}", ID: "revokeAPIKey", Tag: "apikey", Summary: "Revoke an API key", Status: 204, Errors: []int{404}}, a.revokeAPIKey),
		op(crud.Endpoint{Method: "GET", Path: "/grant", ID: "listGrants", Tag: "grant", Summary: "The caller's effective usage limits", Response: items{}, Errors: []int{403}}, a.listGrants),
		op(crud.Endpoint{Method: "GET", Path: "/grant/{id}", ID: "getGrant", Tag: "grant", Summary: "One grant by its id <uid>:<name>", Response: object{}, Errors: []int{404}}, a.getGrant),
		op(crud.Endpoint{Method: "PUT", Path: "/grant/{id}", ID: "putGrant", Tag: "grant", Summary: "Set an account's override of a grant (admins)",
			Request: grantRequest{}, Status: 204, Errors: []int{403, 404}}, a.putGrant),
		op(crud.Endpoint{Method: "DELETE", Path: "/grant/{id}", ID: "deleteGrant", Tag: "grant", Summary: "Remove an account's override of a grant (admins)",
			Status: 204, Errors: []int{403, 404}}, a.deleteGrant),
		op(crud.Endpoint{Method: "GET", Path: "/list/{id}/member", ID: "listMembers", Tag: "member", Summary: "Members of a list", Response: items{}, Errors: []int{403, 404}}, a.listMembers),
		op(crud.Endpoint{Method: "PUT", Path: "/list/{id}/member/{uid}", ID: "putMember", Tag: "member", Summary: "Add a member to a list or change its level (hosts only)",
			Request: memberRequest{}, Status: 204, Errors: []int{403, 404}}, a.putMember),
		op(crud.Endpoint{Method: "DELETE", Path: "/list/{id}/member/{uid}", ID: "deleteMember", Tag: "member", Summary: "Remove a member from a list",
			Status: 204, Errors: []int{403, 404}}, a.deleteMember),
		op(crud.Endpoint{Method: "GET", Path: "/config", ID: "getConfig", Tag: "ops", Summary: "The configuration, secrets masked (admins)", Response: object{}, Errors: []int{403}}, a.config),
		op(crud.Endpoint{Method: "GET", Path: "/registry", ID: "getRegistry", Tag: "ops", Summary: "Live instances of this service (admins)", Response: object{}, Errors: []int{403, 503}}, a.services),
		op(crud.Endpoint{Method: "GET", Path: "/metric", ID: "getMetricValues", Tag: "ops",
			Summary:  "Current metric values (admins): ?name= selects a metric, each ?label=name=value a label value; shared values from the store, instance values from the instance answering",
			Response: items{}, Errors: []int{400, 403, 404, 503}}, a.metricValues),
		{crud.Endpoint{Method: "GET", Path: "/metrics", ID: "getMetrics", Tag: "ops", Summary: "Prometheus exposition (admins, or the X-Scrape-Key header)",
			Response: "", Errors: []int{403}}, a.metricsHandler()},
		op(crud.Endpoint{Method: "GET", Path: "/docs", ID: "getDocs", Tag: "ops", Summary: "Interactive documentation of this API",
			Anonymous: true, Response: "", ContentType: "text/html"}, a.docs),
	}
}

// describeOperations adds the service's own operations to the API, which
// serves them beside the resources and documents them all.
func (a *app) describeOperations() error {
	for _, o := range a.operations() {
		if err := a.res.api.Handle(o.Endpoint, o.h); err != nil {
			return err
		}
	}
	return nil
}
