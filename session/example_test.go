package session_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
	"github.com/apicrud-go/apicrud/session"
)

// newCipher returns the Sealer of the examples. A real service loads its
// key (and the secret) from its configuration, the same on every instance.
func newCipher() *apicrypto.Cipher {
	key := make([]byte, apicrypto.KeySize)
	_, _ = rand.Read(key)
	c, err := apicrypto.NewFromKey(key)
	if err != nil {
		panic(err)
	}
	return c
}

func exampleSecret() []byte {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b
}

// A session for a user the host has authenticated (package login does
// that with passwords and second factors), an authenticated request, and
// a logout.
func Example() {
	ctx := context.Background()
	m, err := session.New(newCipher(), exampleSecret()) // in-memory store
	if err != nil {
		panic(err)
	}
	defer m.Close(ctx)

	s, tok, err := m.Create(ctx, "u-alice", []string{"user"}, session.Extra{Method: "password", Values: map[string]string{"username": "alice"}})
	if err != nil {
		panic(err)
	}
	fmt.Println(s.Roles, s.Method)

	got, err := m.Validate(ctx, string(tok))
	fmt.Println(got.Values["username"], err)

	_ = m.Delete(ctx, s) // logout
	_, err = m.Validate(ctx, string(tok))
	fmt.Println(errors.Is(err, session.ErrInvalidToken))
	// Output:
	// [user] password
	// alice <nil>
	// true
}

// The middleware authenticates Bearer tokens, session cookies and API keys,
// and lets the host put its own principal into the context.
func ExampleManager_Authenticate() {
	type principalKey struct{}
	m, err := session.New(newCipher(), exampleSecret(),
		session.WithContextFunc(func(ctx context.Context, s *session.Session) context.Context {
			return context.WithValue(ctx, principalKey{}, s.UID) // e.g. an accesscontrol.Principal
		}))
	if err != nil {
		panic(err)
	}
	defer m.Close(context.Background())
	api := m.Authenticate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := session.FromContext(r.Context()); ok {
			fmt.Fprintf(w, "hello %s (%v)", r.Context().Value(principalKey{}), s.Roles)
			return
		}
		fmt.Fprint(w, "hello stranger")
	}))

	_, tok, _ := m.Create(context.Background(), "u-42", []string{"user"}, session.Extra{})
	for _, auth := range []string{"", "Bearer " + string(tok), "Bearer forged"} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		api.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Body.String())
	}
	// Output:
	// 200 hello stranger
	// 200 hello u-42 ([user])
	// 401 {"title":"Unauthorized","status":401,"detail":"invalid or expired credentials","code":"session.invalid_token"}
}

// A sensitive route asks for two factors: a password-only session is
// refused with an RFC 9470 challenge until it authenticates again.
func ExampleManager_RequireStepUp() {
	ctx := context.Background()
	m, err := session.New(newCipher(), exampleSecret())
	if err != nil {
		panic(err)
	}
	defer m.Close(ctx)
	stepUp, err := m.RequireStepUp(session.StepUp{MFA: true})
	if err != nil {
		panic(err)
	}
	h := m.Authenticate(stepUp(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	s, tok, err := m.Create(ctx, "u-1", []string{"user"}, session.Extra{AMR: []string{"pwd"}})
	if err != nil {
		panic(err)
	}
	call := func() {
		r := httptest.NewRequest(http.MethodPost, "/apikey", nil)
		r.Header.Set("Authorization", "Bearer "+string(tok))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("WWW-Authenticate"))
	}
	call()
	// The host checked a password and a one-time code again.
	if err := m.Reauthenticate(ctx, s, []string{"pwd", "otp", "mfa"}); err != nil {
		panic(err)
	}
	call()
	// Output:
	// 401 Bearer error="insufficient_user_authentication", error_description="A more recent or stronger authentication is required", acr_values="mfa"
	// 201
}
