// Package oidc is delegated login through an OpenID Connect provider
// (Google, an enterprise identity provider) or a plain OAuth2 provider
// with a user-info endpoint (Facebook): a [Provider] starts the login and
// completes it as the login package's IdentityProvider, whose LoginWith
// maps the identity to an account.
//
// # Overview
//
// A host serves two routes per provider:
//
//	p, err := oidc.New(ctx, oidc.Google(clientID, secret, "https://app.example/api/v1/auth/oidc/google/callback"), cipher)
//
//	mux.HandleFunc("GET /auth/oidc/google", p.Start) // 302 to Google
//	mux.HandleFunc("GET /auth/oidc/google/callback", func(w http.ResponseWriter, r *http.Request) {
//		params := p.CallbackParams(r)
//		p.ClearCookie(w)
//		s, tok, err := logins.LoginWith(r.Context(), p, params) // a session, as a login gives
//		…
//	})
//
// [New] reads the issuer's discovery document; [Google] is the preset
// for Google. [NewOAuth2] takes the endpoints of a provider without
// OpenID Connect and a function that reads the user's identity with the
// access token (see its example for Facebook).
//
// # Security
//
//   - The authorization code flow with PKCE (S256): a stolen code is
//     useless without the verifier, which never leaves the server.
//   - State, nonce and PKCE verifier are random (256 bits), kept in a
//     short-lived cookie (WithStateTTL, 10 min) sealed with the host's
//     AES-GCM key and bound to the provider's name, HttpOnly, Secure,
//     SameSite=Lax: a callback is accepted only in the browser that
//     started the login, once (the host drops the cookie), and an
//     attacker cannot plant a code of their own login in a victim's
//     browser.
//   - The ID token is verified with the issuer's published keys: issuer,
//     audience (the client id), expiry and the nonce of the cookie. The
//     e-mail address comes from the ID token, or from the user-info
//     endpoint when the subject there is the ID token's.
//   - An address the provider does not vouch for (email_verified not true)
//     is refused (ErrUnverifiedEmail); the login package also never lets
//     a provider-proven address activate credentials someone else set.
//
// # Concurrency
//
// A Provider is safe for concurrent use; its configuration cannot change
// after New.
package oidc
