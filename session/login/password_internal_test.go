package login

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/apicrud-go/apicrud/session"
)

func TestSHA256CryptVectors(t *testing.T) {
	for _, v := range []struct{ hash, password string }{
		{"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", "Hello world!"},
		{"$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "Hello world!"},
		{"$5$rounds=1000$abc$sP9FmVrTEqPcRDE7OxGDY0efugGF1dtCtqYcUsX9wmD", ""},
		{"$5$rounds=5000$toolongsaltstrin$1vV.6YwgA9FiCmMWsLnAP9x34eTK9TV5x6lLcEhxyU3", strings.Repeat("x", 80)},
	} {
		ok, rehash, err := verifyPassword(v.hash, v.password, DefaultArgon2Params())
		require.NoError(t, err)
		require.True(t, ok, v.hash)
		require.True(t, rehash)
		ok, _, err = verifyPassword(v.hash, v.password+"!", DefaultArgon2Params())
		require.NoError(t, err)
		require.False(t, ok)
	}
}

func TestDummyHashHasCurrentCost(t *testing.T) {
	sessions, err := session.New(testSealer{}, []byte(strings.Repeat("k", 32)))
	require.NoError(t, err)
	defer sessions.Close(t.Context())
	m, err := New(sessions, NewMemoryAccounts())
	require.NoError(t, err)
	defer m.Close(t.Context())
	h, err := parseArgon2(m.dummyHash)
	require.NoError(t, err)
	require.Equal(t, DefaultArgon2Params(), h.p, "unknown accounts must cost what real ones cost")
}

type testSealer struct{}

func (testSealer) Seal(p, _ []byte) ([]byte, error) { return p, nil }
func (testSealer) Open(c, _ []byte) ([]byte, error) { return c, nil }

func TestMalformedHashes(t *testing.T) {
	for _, h := range []string{
		"", "plain", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
		"$argon2id$v=18$m=65536,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=4294967295,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA", // 4 TiB
		"$argon2id$v=19$m=65536,t=100000,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=1,p=0$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=1,p=1,x=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=65536,t=1,p=1$!!!$aGFzaGhhc2hoYXNoaGFzaA",
		"$2a$04$short", "$5$rounds=999999999$salt$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
		"$5$rounds=x$salt$hash", "$5$salt", "$6$salt$hash",
	} {
		ok, _, err := verifyPassword(h, "password", DefaultArgon2Params())
		require.False(t, ok, h)
		require.Error(t, err, h)
	}
}

// FuzzVerifyPassword: stored hashes come from a database; a corrupt or
// forged one must give an error or a mismatch quickly, never a panic.
func FuzzVerifyPassword(f *testing.F) {
	cheap := Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
	for _, s := range []string{
		hashPassword("pw", cheap),
		"$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
		"$5$rounds=1000$abc$sP9FmVrTEqPcRDE7OxGDY0efugGF1dtCtqYcUsX9wmD",
		"$2a$04$abcdefghijklmnopqrstuuJ7kbnrsYeR6CeT0nOSc1j4NXZsRtW2",
		"$argon2id$v=19$m=64,t=1,p=1$$", "",
	} {
		f.Add(s, "pw")
	}
	f.Fuzz(func(t *testing.T, hash, pw string) {
		// Keep the fuzzer's inputs cheap: the limits are tested above.
		if strings.Contains(hash, "rounds=") || strings.HasPrefix(hash, "$2") || len(pw) > 64 {
			return
		}
		if h, err := parseArgon2(hash); err == nil && (h.p.Memory > 1024 || h.p.Time > 2) {
			return
		}
		ok, _, err := verifyPassword(hash, pw, cheap)
		if err != nil && ok {
			t.Fatal("match with an error")
		}
	})
}

// BenchmarkHashPassword measures one argon2id hash at the default cost
// (DefaultArgon2Params: 19 MiB, t=2, p=1): the cost of a login, of a
// failed login and of a dummy verification alike.
func BenchmarkHashPassword(b *testing.B) {
	p := DefaultArgon2Params()
	b.ReportAllocs()
	for b.Loop() {
		_ = hashPassword("correct horse battery staple", p)
	}
}
