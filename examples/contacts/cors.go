package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/rs/cors"
)

// CORS: which pages on other origins may call the API from a browser.
//
// Two configuration keys decide, each for one thing:
//
//   - cors_origins: pages on these origins may read the API's answers
//     (Access-Control-Allow-Origin). They authenticate with a Bearer token,
//     which a browser never adds on its own, so allowing an origin lets its
//     pages use a token they hold, nothing more. "*" allows every origin,
//     and is then sent as "*": no origin is ever reflected.
//   - trusted_origins (and public_url's origin): pages on these origins may
//     send unsafe requests authenticated by the session cookie, which the
//     browser does add on its own (the session's CrossOriginProtection
//     refuses them from any other origin with 403).
//
// An origin in both lists gets credentialed CORS
// (Access-Control-Allow-Credentials: true): its pages may send the cookie
// with fetch(..., {credentials: "include"}) and read the answer. An origin
// only in cors_origins never does, since its unsafe cookie requests would
// be refused anyway; "*" never comes with credentials.
//
// Origins are compared exactly (scheme, host and port as the browser
// serialises them), never by prefix, suffix or pattern.

// corsMethods are the methods the API serves.
var corsMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// corsRequestHeaders are the request headers a page may send: credentials,
// conditional writes, JSON bodies, retries of a POST, the count mode of a
// list, the language of errors, and the Range that react-admin's
// ra-data-simple-rest sends with every list (the API reads the range from
// the query; the header is accepted so that the preflight passes).
var corsRequestHeaders = []string{"Authorization", "Content-Type", "If-Match", "Idempotency-Key", "Prefer", "Accept-Language", "Range"}

// corsExposedHeaders are the response headers a page may read: react-admin's
// list range and total, the record version and the created record's
// address, the rate-limit state and the applied count mode.
var corsExposedHeaders = []string{"Content-Range", "X-Total-Count", "ETag", "Location",
	"RateLimit", "RateLimit-Policy", "Retry-After", "Preference-Applied"}

// corsMaxAge is how long (seconds) a browser may keep a preflight's answer.
const corsMaxAge = 600

// normalizeOrigin returns o as a browser serialises an origin (lower-case
// scheme and host, no default port, no trailing slash), or an error when o
// is not scheme://host[:port] or holds a wildcard.
func normalizeOrigin(o string) (string, error) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || strings.Contains(u.Host, "*") {
		return "", fmt.Errorf("%q is not an origin such as https://app.example.com", o)
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host, nil
}

// newCORS returns the CORS middleware for the origins of cors_origins,
// giving credentials to those also among trusted; nil when origins is
// empty (no cross-origin page may read an answer).
func newCORS(origins, trusted []string) (func(http.Handler) http.Handler, error) {
	if len(origins) == 0 {
		return nil, nil
	}
	anyOrigin := false
	allowed := map[string]bool{}
	for _, o := range origins {
		if o == "*" {
			anyOrigin = true
			continue
		}
		n, err := normalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("cors_origins: %w", err)
		}
		allowed[n] = true
	}
	withCookie := map[string]bool{}
	for _, o := range trusted {
		n, err := normalizeOrigin(o)
		if err != nil {
			return nil, fmt.Errorf("trusted_origins: %w", err)
		}
		if anyOrigin || allowed[n] {
			withCookie[n] = true
		}
	}
	opts := func(credentials bool, allow func(string) bool) cors.Options {
		return cors.Options{
			AllowOriginFunc:  allow,
			AllowedMethods:   corsMethods,
			AllowedHeaders:   corsRequestHeaders,
			ExposedHeaders:   corsExposedHeaders,
			AllowCredentials: credentials,
			MaxAge:           corsMaxAge,
		}
	}
	credentialed := cors.New(opts(true, func(o string) bool { return withCookie[o] }))
	var plain *cors.Cors
	if anyOrigin {
		// AllowedOrigins "*" answers "*", never the request's origin.
		o := opts(false, nil)
		o.AllowedOrigins = []string{"*"}
		plain = cors.New(o)
	} else {
		plain = cors.New(opts(false, func(o string) bool { return allowed[o] }))
	}
	return func(next http.Handler) http.Handler {
		withCreds, without := credentialed.Handler(next), plain.Handler(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if withCookie[r.Header.Get("Origin")] {
				withCreds.ServeHTTP(w, r)
				return
			}
			without.ServeHTTP(w, r)
		})
	}, nil
}
