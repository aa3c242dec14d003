package oidc

import "errors"

// Errors of a delegated login. Exchange wraps them (and the cause); their
// text never reaches an HTTP client.
var (
	// ErrState reports a callback whose state cookie is missing, expired,
	// forged or sealed for another provider, or whose state parameter is
	// not the cookie's: the callback was not started by this browser.
	ErrState = errors.New("oidc: state mismatch")
	// ErrProvider reports an error answer of the provider (the user
	// refused, the code was already used or has expired) or a failed code
	// exchange.
	ErrProvider = errors.New("oidc: provider refused")
	// ErrIDToken reports an ID token that does not verify: signature,
	// issuer, audience, expiry or nonce.
	ErrIDToken = errors.New("oidc: invalid ID token")
	// ErrUnverifiedEmail reports an identity whose provider does not vouch
	// for the e-mail address (email_verified is not true).
	ErrUnverifiedEmail = errors.New("oidc: e-mail address not verified by the provider")
	// ErrConfig reports an invalid Config or option given to New or
	// NewOAuth2.
	ErrConfig = errors.New("oidc: invalid configuration")
)
