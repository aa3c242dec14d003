package session

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed" // the common-password list
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Argon2Params is the cost of argon2id password hashes.
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8  // lanes
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultArgon2Params returns the OWASP Password Storage Cheat Sheet
// minimum for argon2id: 19 MiB of memory, 2 passes, 1 lane, a 16-byte salt
// and a 32-byte hash. On one core of a 2020s server a hash takes about
// 20–40 ms (see BenchmarkHashPassword); raise Memory first to make it
// costlier.
func DefaultArgon2Params() Argon2Params {
	return Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// Limits on hashes read back from an AccountStore, so that a forged or
// corrupt hash cannot make a login run for minutes or allocate gigabytes.
const (
	maxArgonMemory  = 1 << 20 // 1 GiB in KiB
	maxArgonTime    = 64
	maxSHACryptRnds = 1_000_000
)

func (p Argon2Params) validate() error {
	if p.Time < 1 || p.Time > maxArgonTime || p.Threads < 1 || p.Memory < 8*uint32(p.Threads) || p.Memory > maxArgonMemory ||
		p.SaltLen < 16 || p.SaltLen > 64 || p.KeyLen < 16 || p.KeyLen > 128 {
		return optionError("argon2id parameters %+v: need 1 <= Time <= %d, 1 <= Threads, 8*Threads <= Memory <= %d KiB, 16 <= SaltLen <= 64, 16 <= KeyLen <= 128",
			p, maxArgonTime, maxArgonMemory)
	}
	return nil
}

var b64 = base64.RawStdEncoding

// hashPassword returns the PHC string of an argon2id hash of password:
// $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>.
func hashPassword(password string, p Argon2Params) string {
	salt := make([]byte, p.SaltLen)
	_, _ = rand.Read(salt) // never fails (Go 1.24+)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// errHashFormat reports a stored hash of no known or a malformed format.
var errHashFormat = errors.New("session: unrecognised password hash")

type argonHash struct {
	p         Argon2Params
	salt, key []byte
}

// parseArgon2 parses a PHC argon2id string, within the limits above.
func parseArgon2(s string) (argonHash, error) {
	var h argonHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return h, errHashFormat
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return h, errHashFormat
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return h, errHashFormat
		}
		switch k {
		case "m":
			h.p.Memory = uint32(n)
		case "t":
			h.p.Time = uint32(n)
		case "p":
			if n > 255 {
				return h, errHashFormat
			}
			h.p.Threads = uint8(n)
		default:
			return h, errHashFormat
		}
	}
	var err error
	if h.salt, err = b64.DecodeString(parts[4]); err != nil {
		return h, errHashFormat
	}
	if h.key, err = b64.DecodeString(parts[5]); err != nil {
		return h, errHashFormat
	}
	h.p.SaltLen, h.p.KeyLen = uint32(len(h.salt)), uint32(len(h.key))
	if h.p.Time < 1 || h.p.Time > maxArgonTime || h.p.Threads < 1 || h.p.Memory < 8*uint32(h.p.Threads) || h.p.Memory > maxArgonMemory ||
		len(h.salt) < 8 || len(h.salt) > 64 || len(h.key) < 16 || len(h.key) > 128 {
		return h, errHashFormat
	}
	return h, nil
}

// verifyPassword checks password against a stored hash: argon2id (PHC),
// bcrypt ($2a$, $2b$, $2y$) or sha256_crypt ($5$, the hash of the Python
// apicrud). rehash reports a match under another scheme or other argon2id
// parameters than p, which the caller should replace. A malformed hash is
// an error wrapping errHashFormat, and never a match.
func verifyPassword(encoded, password string, p Argon2Params) (ok, rehash bool, err error) {
	switch {
	case strings.HasPrefix(encoded, "$argon2id$"):
		h, err := parseArgon2(encoded)
		if err != nil {
			return false, false, err
		}
		key := argon2.IDKey([]byte(password), h.salt, h.p.Time, h.p.Memory, h.p.Threads, h.p.KeyLen)
		ok := subtle.ConstantTimeCompare(key, h.key) == 1
		return ok, ok && h.p != p, nil
	case strings.HasPrefix(encoded, "$2a$"), strings.HasPrefix(encoded, "$2b$"), strings.HasPrefix(encoded, "$2y$"):
		err := bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password))
		switch {
		case err == nil:
			return true, true, nil
		case errors.Is(err, bcrypt.ErrMismatchedHashAndPassword), errors.Is(err, bcrypt.ErrPasswordTooLong):
			return false, false, nil
		default:
			return false, false, fmt.Errorf("%w: %w", errHashFormat, err)
		}
	case strings.HasPrefix(encoded, "$5$"):
		ok, err := verifySHA256Crypt(encoded, password)
		return ok, ok, err
	}
	return false, false, errHashFormat
}

// sha256_crypt (Ulrich Drepper's SHA-crypt, "$5$"), verification only: it
// is the password hash of the Python apicrud (passlib sha256_crypt), kept
// so that migrated accounts can log in once and be re-hashed with argon2id.

const cryptAlphabet = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func verifySHA256Crypt(encoded, password string) (bool, error) {
	rest := strings.TrimPrefix(encoded, "$5$")
	rounds := 5000
	if strings.HasPrefix(rest, "rounds=") {
		r, after, ok := strings.Cut(strings.TrimPrefix(rest, "rounds="), "$")
		n, err := strconv.Atoi(r)
		if !ok || err != nil || n < 1 {
			return false, errHashFormat
		}
		rounds, rest = min(max(n, 1000), 999_999_999), after
	}
	if rounds > maxSHACryptRnds {
		return false, errHashFormat
	}
	salt, sum, ok := strings.Cut(rest, "$")
	if !ok || len(salt) > 16 || len(sum) != 43 || strings.Contains(salt, "\n") {
		return false, errHashFormat
	}
	got := sha256Crypt([]byte(password), []byte(salt), rounds)
	return subtle.ConstantTimeCompare([]byte(got), []byte(sum)) == 1, nil
}

// sha256Crypt returns the 43-character encoded digest of SHA-crypt.
func sha256Crypt(pw, salt []byte, rounds int) string {
	b := sha256.New()
	b.Write(pw)
	b.Write(salt)
	b.Write(pw)
	sumB := b.Sum(nil)

	a := sha256.New()
	a.Write(pw)
	a.Write(salt)
	i := len(pw)
	for ; i > 32; i -= 32 {
		a.Write(sumB)
	}
	a.Write(sumB[:i])
	for i = len(pw); i > 0; i >>= 1 {
		if i&1 != 0 {
			a.Write(sumB)
		} else {
			a.Write(pw)
		}
	}
	sumA := a.Sum(nil)

	dp := sha256.New()
	for range len(pw) {
		dp.Write(pw)
	}
	sumDP := dp.Sum(nil)
	p := make([]byte, 0, len(pw))
	for i = len(pw); i > 32; i -= 32 {
		p = append(p, sumDP...)
	}
	p = append(p, sumDP[:i]...)

	ds := sha256.New()
	for range 16 + int(sumA[0]) {
		ds.Write(salt)
	}
	sumDS := ds.Sum(nil)
	s := make([]byte, 0, len(salt))
	for i = len(salt); i > 32; i -= 32 {
		s = append(s, sumDS...)
	}
	s = append(s, sumDS[:i]...)

	c := sumA
	h := sha256.New()
	for r := range rounds {
		h.Reset()
		if r&1 != 0 {
			h.Write(p)
		} else {
			h.Write(c)
		}
		if r%3 != 0 {
			h.Write(s)
		}
		if r%7 != 0 {
			h.Write(p)
		}
		if r&1 != 0 {
			h.Write(c)
		} else {
			h.Write(p)
		}
		c = h.Sum(c[:0])
	}

	var out strings.Builder
	enc := func(b2, b1, b0 byte, n int) {
		w := uint(b2)<<16 | uint(b1)<<8 | uint(b0)
		for range n {
			out.WriteByte(cryptAlphabet[w&0x3f])
			w >>= 6
		}
	}
	order := [10][3]int{{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14}, {15, 25, 5}, {6, 16, 26}, {27, 7, 17}, {18, 28, 8}, {9, 19, 29}}
	for _, o := range order {
		enc(c[o[0]], c[o[1]], c[o[2]], 4)
	}
	enc(0, c[31], c[30], 3)
	return out.String()
}

// PasswordPolicy is the rule set for new passwords (registration, reset,
// change). Besides the lengths, which count characters (runes), a
// password is always rejected when it is one of the 10,000 most common
// leaked passwords (data/common-passwords.txt, compared case-insensitively,
// also with up to four leading or trailing digits and symbols removed), or
// when it contains, or is contained in, or is nearly equal to the username
// or the identity.
type PasswordPolicy struct {
	MinLength int
	MaxLength int
}

// DefaultPasswordPolicy returns 10 to 128 characters: OWASP and NIST SP
// 800-63B ask for at least 8 and encourage longer passphrases (the FastAPI
// chapter's guidance: ten or more), and allow any characters, which is why
// there are no composition rules.
func DefaultPasswordPolicy() PasswordPolicy { return PasswordPolicy{MinLength: 10, MaxLength: 128} }

//go:embed data/common-passwords.txt
var commonPasswordList string

// commonPasswords is the parsed list, built once on first use and never
// modified afterwards.
var commonPasswords = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 10000)
	sc := bufio.NewScanner(strings.NewReader(commonPasswordList))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" {
			set[strings.ToLower(w)] = struct{}{}
		}
	}
	return set
})

// IsCommonPassword reports whether password is on the embedded list of
// the 10,000 most common leaked passwords (case-insensitively, also with
// up to four leading or trailing digits and symbols removed).
func IsCommonPassword(password string) bool {
	set := commonPasswords()
	lower := strings.ToLower(password)
	if _, ok := set[lower]; ok {
		return true
	}
	notLetter := func(r rune) bool { return !unicode.IsLetter(r) }
	core := strings.TrimFunc(lower, notLetter)
	if core == lower || len(lower)-len(core) > 4 || utf8.RuneCountInString(core) < 4 {
		return false
	}
	_, ok := set[core]
	return ok
}

// Check returns nil when password is acceptable for the account with
// username and identity (either may be empty), and otherwise a
// *PasswordError saying why.
func (p PasswordPolicy) Check(password, username, identity string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return &PasswordError{Code: CodePasswordTooShort, Reason: "the password is not valid UTF-8 text"}
	case n < p.MinLength:
		return &PasswordError{Code: CodePasswordTooShort, Reason: fmt.Sprintf("the password must have at least %d characters", p.MinLength)}
	case n > p.MaxLength:
		return &PasswordError{Code: CodePasswordTooLong, Reason: fmt.Sprintf("the password must have at most %d characters", p.MaxLength)}
	case IsCommonPassword(password):
		return &PasswordError{Code: CodePasswordCommon, Reason: "the password is one of the most commonly used passwords; choose another"}
	case similar(password, username, identity):
		return &PasswordError{Code: CodePasswordSimilar, Reason: "the password is too similar to the username or e-mail address"}
	}
	return nil
}

// squash lower-cases s and keeps only its letters and digits.
func squash(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func similar(password, username, identity string) bool {
	pw := squash(password)
	local, _, _ := strings.Cut(identity, "@")
	for _, name := range []string{username, local, identity} {
		t := squash(name)
		if utf8.RuneCountInString(t) < 3 {
			continue
		}
		for _, cand := range []string{t, reverse(t)} {
			if strings.Contains(pw, cand) || (utf8.RuneCountInString(pw) >= 3 && strings.Contains(cand, pw)) {
				return true
			}
		}
		if levenshtein(pw, t) <= 2 {
			return true
		}
	}
	return false
}

// levenshtein is the edit distance of two short strings (runes).
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
