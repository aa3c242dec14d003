package main

import (
	"encoding/json"
	"strings"

	"github.com/apicrud-go/apicrud/crud/openapi"
)

// route describes one non-crud endpoint for the OpenAPI document.
type route struct {
	method, path, id, summary string
	auth                      int               // authNone, authAny, authSession
	body                      map[string]string // field → JSON type ("string", "array", …); nil: no body
	required                  []string
	status                    string // success status
	result                    *openapi.Schema
	errors                    []string // error responses besides the defaults
}

const (
	authNone    = iota // anonymous callers succeed
	authAny            // a token or an API key
	authSession        // a login token (not an API key)
)

func obj(props map[string]string) *openapi.Schema {
	s := &openapi.Schema{Type: "object", Properties: map[string]*openapi.Schema{}}
	for name, typ := range props {
		p := &openapi.Schema{Type: typ}
		if typ == "array" {
			p.Items = &openapi.Schema{Type: "string"}
		}
		if typ == "date-time" {
			p.Type, p.Format = "string", "date-time"
		}
		s.Properties[name] = p
	}
	return s
}

var (
	tokenSchema = obj(map[string]string{"token": "string", "uid": "string", "roles": "array", "expires": "date-time"})
	listSchema  = &openapi.Schema{Type: "object", Properties: map[string]*openapi.Schema{
		"items": {Type: "array", Items: &openapi.Schema{Type: "object"}}, "count": {Type: "integer"}}}
	anyObject = &openapi.Schema{Type: "object"}
)

// routes lists the endpoints the service adds to the crud resources.
func (a *app) routes() []route {
	return []route{
		{method: "get", path: "/health", id: "getHealth", summary: "State of the database and the backend (ok or unavailable)", auth: authNone, status: "200", result: anyObject, errors: []string{"503"}},
		{method: "post", path: "/auth", id: "login", summary: "Log in", auth: authNone,
			body: map[string]string{"username": "string", "password": "string", "otp": "string"}, required: []string{"username", "password"},
			status: "201", result: tokenSchema, errors: []string{"400", "401", "429"}},
		{method: "delete", path: "/auth", id: "logout", summary: "Log out: the token stops working at once", auth: authSession, status: "204"},
		{method: "post", path: "/auth/otp", id: "completeTOTP", summary: "Give the second factor of a login that awaits it", auth: authSession,
			body: map[string]string{"otp": "string"}, required: []string{"otp"}, status: "201", result: tokenSchema, errors: []string{"400", "429"}},
		{method: "post", path: "/auth/totp", id: "enrollTOTP", summary: "Start TOTP enrolment: a secret and its otpauth URI", auth: authSession,
			status: "201", result: obj(map[string]string{"secret": "string", "uri": "string"}), errors: []string{"400"}},
		{method: "put", path: "/auth/totp", id: "confirmTOTP", summary: "Confirm TOTP enrolment with a code; returns the backup codes once", auth: authSession,
			body: map[string]string{"otp": "string"}, required: []string{"otp"}, status: "200", result: obj(map[string]string{"backup_codes": "array"}), errors: []string{"400"}},
		{method: "delete", path: "/auth/totp", id: "disableTOTP", summary: "Turn TOTP off (password and a code required)", auth: authSession,
			body: map[string]string{"password": "string", "otp": "string"}, required: []string{"password", "otp"}, status: "204", errors: []string{"400"}},
		{method: "get", path: "/auth/oidc/{provider}/callback", id: "delegatedLoginCallback", summary: "Delegated login: exchange the identity provider's answer for a session, as a login gives (today only the test provider of test_identity_key)", auth: authNone,
			status: "200", result: tokenSchema, errors: []string{"401", "404", "429"}},
		{method: "post", path: "/account", id: "register", summary: "Register an account; a confirmation link goes to the identity. With registration closed only admins create accounts (201, active at once); others get 403", auth: authNone,
			body: map[string]string{"username": "string", "name": "string", "identity": "string", "password": "string"}, required: []string{"username", "identity", "password"},
			status: "202", result: obj(map[string]string{"status": "string"}), errors: []string{"400", "403", "429"}},
		{method: "put", path: "/account/{uid}", id: "setAccountStatus", summary: "Enable or disable an account (admins); disabling ends its sessions and API keys", auth: authAny,
			body: map[string]string{"status": "string"}, required: []string{"status"}, status: "204", errors: []string{"400", "403", "404"}},
		{method: "post", path: "/account/confirm", id: "confirmAccount", summary: "Confirm an account with the token of its link, optionally choosing another username (required when the one registered was taken: the link's message says so)", auth: authNone,
			body: map[string]string{"token": "string", "username": "string"}, required: []string{"token"}, status: "204", errors: []string{"400", "401", "409"}},
		{method: "post", path: "/account/password_reset", id: "requestPasswordReset", summary: "Send a password-reset link (the answer never tells whether the account exists)", auth: authNone,
			body: map[string]string{"login": "string"}, required: []string{"login"}, status: "202"},
		{method: "put", path: "/account/password", id: "setPassword", summary: "Set a new password with a reset token, or with the old password", auth: authNone,
			body: map[string]string{"token": "string", "old_password": "string", "password": "string"}, required: []string{"password"}, status: "204", errors: []string{"400", "401"}},
		{method: "post", path: "/apikey", id: "createAPIKey", summary: "Create an API key; the key is shown this once", auth: authSession,
			body: map[string]string{"name": "string", "scopes": "array", "expires": "date-time"}, required: []string{"name"},
			status: "201", result: anyObject, errors: []string{"400", "403", "409"}},
		{method: "get", path: "/apikey", id: "listAPIKeys", summary: "The caller's API keys", auth: authAny, status: "200", result: listSchema},
		{method: "delete", path: "/apikey/{id}", id: "revokeAPIKey", summary: "Revoke an API key", auth: authAny, status: "204", errors: []string{"404"}},
		{method: "get", path: "/grant", id: "listGrants", summary: "The caller's effective usage limits", auth: authAny, status: "200", result: listSchema, errors: []string{"403"}},
		{method: "get", path: "/grant/{id}", id: "getGrant", summary: "One grant by its id <uid>:<name>", auth: authAny, status: "200", result: anyObject, errors: []string{"404"}},
		{method: "put", path: "/grant/{id}", id: "putGrant", summary: "Set an account's override of a grant (admins)", auth: authAny,
			body: map[string]string{"value": "string", "expires": "date-time"}, required: []string{"value"}, status: "204", errors: []string{"400", "403", "404"}},
		{method: "delete", path: "/grant/{id}", id: "deleteGrant", summary: "Remove an account's override of a grant (admins)", auth: authAny, status: "204", errors: []string{"403", "404"}},
		{method: "get", path: "/list/{id}/member", id: "listMembers", summary: "Members of a list", auth: authAny, status: "200", result: listSchema, errors: []string{"403", "404"}},
		{method: "put", path: "/list/{id}/member/{uid}", id: "putMember", summary: "Add a member to a list or change its level (hosts only)", auth: authAny,
			body: map[string]string{"level": "string"}, required: []string{"level"}, status: "204", errors: []string{"400", "403", "404"}},
		{method: "delete", path: "/list/{id}/member/{uid}", id: "deleteMember", summary: "Remove a member from a list", auth: authAny, status: "204", errors: []string{"403", "404"}},
		{method: "get", path: "/config", id: "getConfig", summary: "The configuration, secrets masked (admins)", auth: authAny, status: "200", result: anyObject, errors: []string{"403"}},
		{method: "get", path: "/registry", id: "getRegistry", summary: "Live instances of this service (admins)", auth: authAny, status: "200", result: anyObject, errors: []string{"403", "503"}},
		{method: "get", path: "/metrics", id: "getMetrics", summary: "Prometheus exposition (admins, or the X-Scrape-Key header)", auth: authAny, status: "200", errors: []string{"403"}},
		{method: "get", path: "/openapi.json", id: "getOpenAPI", summary: "This document", auth: authNone, status: "200", result: anyObject},
	}
}

var errorResponse = map[string]string{
	"400": "BadRequest", "401": "Unauthorized", "403": "Forbidden", "404": "NotFound", "409": "Conflict",
	"413": "ContentTooLarge", "415": "UnsupportedMediaType", "429": "TooManyRequests", "500": "InternalError", "503": "Unavailable",
}

// specJSON is the OpenAPI document as served, built once.
func (a *app) specJSON() ([]byte, error) {
	a.specOnce.Do(func() { a.specBody, a.specErr = json.Marshal(a.spec()) })
	return a.specBody, a.specErr
}

// spec returns the OpenAPI 3.1 document of every route: crud's document of
// the resources and the trashcan, plus the routes above.
func (a *app) spec() *openapi.Document {
	doc := a.res.api.Spec()
	c := doc.Components
	c.Responses["TooManyRequests"] = &openapi.Response{Description: "Rate limited or throttled; see Retry-After.",
		Headers: map[string]*openapi.Header{"Retry-After": {Schema: &openapi.Schema{Type: "integer"}}},
		Content: map[string]openapi.MediaType{"application/problem+json": {Schema: openapi.Ref("Problem")}}}
	c.Responses["Unavailable"] = &openapi.Response{Description: "A backend is unavailable.",
		Content: map[string]openapi.MediaType{"application/problem+json": {Schema: openapi.Ref("Problem")}}}
	base := a.cfg.BaseURL()
	for _, rt := range a.routes() {
		op := &openapi.Operation{OperationID: rt.id, Summary: rt.summary, Responses: map[string]*openapi.Response{}}
		switch rt.auth {
		case authNone:
			op.Security = []openapi.SecurityRequirement{{}, {"bearerAuth": {}}}
		case authAny:
			op.Security = []openapi.SecurityRequirement{{"bearerAuth": {}}, {"apiKey": {}}}
			op.Responses["401"] = &openapi.Response{Ref: "#/components/responses/Unauthorized"}
		case authSession:
			op.Security = []openapi.SecurityRequirement{{"bearerAuth": {}}}
			op.Responses["401"] = &openapi.Response{Ref: "#/components/responses/Unauthorized"}
		}
		for _, seg := range strings.Split(rt.path, "/") {
			if strings.HasPrefix(seg, "{") {
				op.Parameters = append(op.Parameters, &openapi.Parameter{Name: strings.Trim(seg, "{}"), In: "path", Required: true, Schema: &openapi.Schema{Type: "string"}})
			}
		}
		if rt.body != nil {
			s := obj(rt.body)
			s.Required = rt.required
			s.AdditionalProperties = false
			op.RequestBody = &openapi.RequestBody{Required: true, Content: map[string]openapi.MediaType{"application/json": {Schema: s}}}
			rt.errors = append(rt.errors, "415")
		}
		ok := &openapi.Response{Description: rt.summary}
		if rt.result != nil {
			ok.Content = map[string]openapi.MediaType{"application/json": {Schema: rt.result}}
		}
		if rt.path == "/metrics" {
			ok.Content = map[string]openapi.MediaType{"text/plain": {Schema: &openapi.Schema{Type: "string"}}}
		}
		op.Responses[rt.status] = ok
		for _, code := range append(rt.errors, "500") {
			if name, found := errorResponse[code]; found {
				op.Responses[code] = &openapi.Response{Ref: "#/components/responses/" + name}
			} else {
				op.Responses[code] = &openapi.Response{Description: code, Content: map[string]openapi.MediaType{"application/problem+json": {Schema: openapi.Ref("Problem")}}}
			}
		}
		p := doc.Paths[base+rt.path]
		if p == nil {
			p = &openapi.PathItem{}
			doc.Paths[base+rt.path] = p
		}
		switch rt.method {
		case "get":
			p.Get = op
		case "post":
			p.Post = op
		case "put":
			p.Put = op
		case "delete":
			p.Delete = op
		}
	}
	return doc
}
