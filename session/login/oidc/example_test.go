package oidc_test

import (
	"context"
	"fmt"
	"net/http"

	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/oidc"
)

// A plain OAuth2 provider such as Facebook behind the same interface: the
// user-info function reads the identity with the access token. (It needs
// the provider, so it has no output.)
func ExampleNewOAuth2() {
	var sealer oidc.Sealer // the host's AES-GCM cipher, for example *crypto.Cipher
	fb, err := oidc.NewOAuth2(oidc.Config{
		Name:    "facebook",
		AuthURL: "https://www.facebook.com/v19.0/dialog/oauth", TokenURL: "https://graph.facebook.com/v19.0/oauth/access_token",
		ClientID: "app-id", ClientSecret: "app-secret", RedirectURL: "https://app.example/api/v1/auth/oidc/facebook/callback",
		Scopes: []string{"email"},
	}, sealer, func(ctx context.Context, c *http.Client) (login.Identity, error) {
		// GET https://graph.facebook.com/me?fields=id,name,email with c,
		// and set EmailVerified only when the provider vouches for it.
		return login.Identity{}, nil
	})
	fmt.Println(fb == nil, err != nil)
}

// Google's OpenID Connect provider (discovery happens in New).
func ExampleGoogle() {
	c := oidc.Google("client-id", "client-secret", "https://app.example/api/v1/auth/oidc/google/callback")
	fmt.Println(c.Name, c.Issuer, c.Scopes)
	// Output: google https://accounts.google.com [openid email profile]
}
