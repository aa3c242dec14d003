package session_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/apicrud-go/apicrud/session"
)

func TestPasswordPolicy(t *testing.T) {
	p := session.DefaultPasswordPolicy()
	for _, tc := range []struct {
		name, password string
		code           string // "" = accepted
	}{
		{"passphrase", "correct horse battery staple", ""},
		{"long random", "Tr0ub4dor&3-xyzzy", ""},
		{"unicode counts runes", "ŝĝĉĥĵŭŝĝĉĥ", ""},
		{"too short", "Xq9!vL2#", session.CodePasswordTooShort},
		{"too long", strings.Repeat("Xq9!vL2#", 17), session.CodePasswordTooLong},
		{"common", "1234567890", session.CodePasswordCommon},
		{"common, case changed", "QwertyUiop", session.CodePasswordCommon},
		{"common, capitalised with digits", "Password123", session.CodePasswordCommon},
		{"common word plus symbols", "basketball!!", session.CodePasswordCommon},
		{"common word plus digits", "1basketball2", session.CodePasswordCommon},
		{"contains username", "alice-is-my-name", session.CodePasswordSimilar},
		{"username reversed", "ecila-ecila-xyz", session.CodePasswordSimilar},
		{"is the address", "alice@example.com", session.CodePasswordSimilar},
		{"near the username", "alicebrown", session.CodePasswordSimilar},
		{"invalid UTF-8", "abc\xff\xfe\xfdxyzqrs", session.CodePasswordTooShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Check(tc.password, "alicebrwn", "alice@example.com")
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, session.ErrWeakPassword)
			var pe *session.PasswordError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tc.code, pe.Code)
			require.NotEmpty(t, pe.Reason)
			require.NotContains(t, err.Error(), tc.password, "the error must not echo the password")
		})
	}
}

// TestTrivialPasswordsRefused: repetitive, sequential and keyboard-walk
// passwords, and passwords built from the account's own words or the
// service's name, pass the length and common-list checks but are refused
// by the strength estimate, each with a reason and a code of its own.
func TestTrivialPasswordsRefused(t *testing.T) {
	p := session.DefaultPasswordPolicy()
	p.Words = []string{"contacts"}
	for _, tc := range []struct {
		password, code string
	}{
		{"aaaaaaaaaa", session.CodePasswordRepetitive},
		{"1111111111", session.CodePasswordRepetitive},
		{"passwordpassword", session.CodePasswordRepetitive},
		{"1234512345", session.CodePasswordRepetitive},
		{"abcdefghij", session.CodePasswordSequence},
		{"0123456789", session.CodePasswordSequence},
		{"qazwsxedcr", session.CodePasswordGuessable}, // on zxcvbn's list of leaked passwords
		{"hjkl;'nm,./", session.CodePasswordKeyboard},
		{"contacts2024", session.CodePasswordSimilar},
		{"liddell1865!", session.CodePasswordSimilar},
		{"mysecretpassword", session.CodePasswordGuessable},
		{"Summer2024!", session.CodePasswordGuessable},
	} {
		t.Run(tc.password, func(t *testing.T) {
			err := p.CheckAccount(tc.password, "alicebrwn", "alice@example.com", "Alice Liddell")
			var pe *session.PasswordError
			require.ErrorAs(t, err, &pe)
			require.ErrorIs(t, err, session.ErrWeakPassword)
			require.Equal(t, tc.code, pe.Code, pe.Reason)
			require.NotEmpty(t, pe.Reason)
			t.Logf("%-20s %s: %s", tc.password, pe.Code, pe.Reason)
		})
	}
	for _, ok := range []string{"correct horse battery staple", "xkq7-fjr2-pbz9", "zebra-lamp-quiet-ocean", "Maple-ZQ4T7BXW3KJ2NP"} {
		require.NoError(t, p.CheckAccount(ok, "alicebrwn", "alice@example.com", "Alice Liddell"), ok)
	}
	p.MinScore = 0 // the estimate off: only length, list and similarity
	require.NoError(t, p.Check("abcdefghij", "alicebrwn", "alice@example.com"))
}

// TestPasswordEstimateBounded: the estimator's cost grows steeply with the
// length (seconds for 1,000 characters), so it sees only the first 64
// characters: the longest password the policy allows is judged quickly,
// and a strong start is enough.
func TestPasswordEstimateBounded(t *testing.T) {
	p := session.DefaultPasswordPolicy()
	p.MaxLength = 1024
	long := strings.Repeat("aB3$xYz9", 128)
	start := time.Now()
	require.NoError(t, p.Check(long, "alice", "alice@example.com"))
	require.Less(t, time.Since(start), time.Second)
	require.NoError(t, p.Check("correct horse battery staple "+strings.Repeat("a", 900), "alice", "alice@example.com"))
}

func TestIsCommonPassword(t *testing.T) {
	for pw, want := range map[string]bool{
		"123456": true, "password": true, "PASSWORD": true, "iloveyou": true, "dragon": true,
		"correct horse battery staple": false, "x7#Lq9!pVv": false, "": false,
		"dragon2024!": false, // too much added (5 characters)
	} {
		require.Equal(t, want, session.IsCommonPassword(pw), pw)
	}
}

func TestPasswordMigration(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("legacy password"), bcrypt.MinCost)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, hash, password string
	}{
		{"bcrypt", string(bc), "legacy password"},
		// Vectors from glibc crypt(3), as written by the Python apicrud (passlib sha256_crypt).
		{"sha256_crypt default rounds", "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!"},
		{"sha256_crypt rounds=10000", "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "Hello world!"},
		{"sha256_crypt passlib rounds", "$5$rounds=535000$Gk1Hc4tVdGmCQb7F$YtuGPUAWIYevl3SXq8HYlf2EjVsFgnf45HpLbHBz7vC", "correct horse battery"},
		{"argon2id of other parameters", "", "argon password!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			hash := tc.hash
			if hash == "" { // made with DefaultArgon2Params, while the env uses fastArgon
				old := newEnv(t, session.WithArgon2(session.DefaultArgon2Params()))
				a := old.user(t, "carol", false)
				hash = a.PasswordHash
				tc.password = goodPassword
			}
			require.NoError(t, e.accounts.Create(t.Context(), session.Account{UID: "u-1", Username: "carol", Status: session.StatusActive, PasswordHash: hash}))
			_, _, err := e.m.Login(from(t.Context(), "192.0.2.1"), "carol", tc.password+"x", "")
			require.ErrorIs(t, err, session.ErrInvalidCredentials)
			a, _, _ := e.accounts.Get(t.Context(), "u-1")
			require.Equal(t, hash, a.PasswordHash, "a failed login must not rehash")

			_, _, err = e.m.Login(from(t.Context(), "192.0.2.1"), "carol", tc.password, "")
			require.NoError(t, err)
			a, _, _ = e.accounts.Get(t.Context(), "u-1")
			require.True(t, strings.HasPrefix(a.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$"), "re-hashed: %s", a.PasswordHash)
			_, _, err = e.m.Login(from(t.Context(), "192.0.2.1"), "carol", tc.password, "")
			require.NoError(t, err, "the new hash verifies")
		})
	}
}

func TestHashesAreSalted(t *testing.T) {
	e := newEnv(t)
	a := e.user(t, "alice", false)
	b := e.user(t, "bobby", false)
	require.NotEqual(t, a.PasswordHash, b.PasswordHash)
	require.NotContains(t, a.PasswordHash, goodPassword)
}

// FuzzPasswordCheck: any string, up to the longest password a policy may
// allow, is judged without a panic and quickly: the estimator never sees
// more than 64 characters, whatever their patterns.
func FuzzPasswordCheck(f *testing.F) {
	for _, s := range []string{"aaaaaaaaaa", "qazwsxedcr", "correct horse battery staple", "1234512345", strings.Repeat("ab", 300), strings.Repeat("1a!", 200), "ŝĝĉĥĵŭŝĝĉĥ", "\xff\xfe"} {
		f.Add(s, "alice", "Alice Liddell")
	}
	p := session.DefaultPasswordPolicy()
	p.MaxLength = 1024
	p.Words = []string{"contacts"}
	f.Fuzz(func(t *testing.T, pw, user, name string) {
		start := time.Now()
		err := p.CheckAccount(pw, user, user+"@example.com", name)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%d runes took %v", len([]rune(pw)), d)
		}
		var pe *session.PasswordError
		if err != nil && (!errors.As(err, &pe) || pe.Code == "" || pe.Reason == "") {
			t.Fatalf("%q: %v", pw, err)
		}
	})
}
