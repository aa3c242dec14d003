package login_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/apicrud-go/apicrud/session/login"
)

func TestPasswordPolicy(t *testing.T) {
	p := login.DefaultPasswordPolicy()
	for _, tc := range []struct {
		name, password string
		code           string // "" = accepted
	}{
		{"passphrase", "correct horse battery staple", ""},
		{"long random", "Tr0ub4dor&3-xyzzy", ""},
		{"unicode counts runes", "ŝĝĉĥĵŭŝĝĉĥ", ""},
		{"too short", "Xq9!vL2#", login.CodePasswordTooShort},
		{"too long", strings.Repeat("Xq9!vL2#", 17), login.CodePasswordTooLong},
		{"common", "1234567890", login.CodePasswordCommon},
		{"common, case changed", "QwertyUiop", login.CodePasswordCommon},
		{"common, capitalised with digits", "Password123", login.CodePasswordCommon},
		{"common word plus symbols", "basketball!!", login.CodePasswordCommon},
		{"common word plus digits", "1basketball2", login.CodePasswordCommon},
		{"contains username", "alice-is-my-name", login.CodePasswordSimilar},
		{"username reversed", "ecila-ecila-xyz", login.CodePasswordSimilar},
		{"is the address", "alice@example.com", login.CodePasswordSimilar},
		{"near the username", "alicebrown", login.CodePasswordSimilar},
		{"invalid UTF-8", "abc\xff\xfe\xfdxyzqrs", login.CodePasswordTooShort},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := p.Check(tc.password, "alicebrwn", "alice@example.com")
			if tc.code == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, login.ErrWeakPassword)
			var pe *login.PasswordError
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
	p := login.DefaultPasswordPolicy()
	p.Words = []string{"contacts"}
	for _, tc := range []struct {
		password, code string
	}{
		{"aaaaaaaaaa", login.CodePasswordRepetitive},
		{"1111111111", login.CodePasswordRepetitive},
		{"passwordpassword", login.CodePasswordRepetitive},
		{"1234512345", login.CodePasswordRepetitive},
		{"abcdefghij", login.CodePasswordSequence},
		{"0123456789", login.CodePasswordSequence},
		{"qazwsxedcr", login.CodePasswordGuessable}, // on zxcvbn's list of leaked passwords
		{"hjkl;'nm,./", login.CodePasswordKeyboard},
		{"contacts2024", login.CodePasswordSimilar},
		{"liddell1865!", login.CodePasswordSimilar},
		{"mysecretpassword", login.CodePasswordGuessable},
		{"Summer2024!", login.CodePasswordGuessable},
	} {
		t.Run(tc.password, func(t *testing.T) {
			err := p.CheckAccount(tc.password, "alicebrwn", "alice@example.com", "Alice Liddell")
			var pe *login.PasswordError
			require.ErrorAs(t, err, &pe)
			require.ErrorIs(t, err, login.ErrWeakPassword)
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
	p := login.DefaultPasswordPolicy()
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
		require.Equal(t, want, login.IsCommonPassword(pw), pw)
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
				old := newEnv(t, login.WithArgon2(login.DefaultArgon2Params()))
				a := old.user(t, "carol", false)
				hash = a.PasswordHash
				tc.password = goodPassword
			}
			require.NoError(t, e.accounts.Create(t.Context(), login.Account{UID: "u-1", Username: "carol", Status: login.StatusActive, PasswordHash: hash}))
			_, _, err := e.m.Login(from(t.Context(), "192.0.2.1"), "carol", tc.password+"x", "")
			require.ErrorIs(t, err, login.ErrInvalidCredentials)
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
	p := login.DefaultPasswordPolicy()
	p.MaxLength = 1024
	p.Words = []string{"contacts"}
	f.Fuzz(func(t *testing.T, pw, user, name string) {
		start := time.Now()
		err := p.CheckAccount(pw, user, user+"@example.com", name)
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%d runes took %v", len([]rune(pw)), d)
		}
		var pe *login.PasswordError
		if err != nil && (!errors.As(err, &pe) || pe.Code == "" || pe.Reason == "") {
			t.Fatalf("%q: %v", pw, err)
		}
	})
}
