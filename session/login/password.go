package login

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

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
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
var errHashFormat = errors.New("login: unrecognised password hash")

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
// when it contains, or is contained in, or is nearly equal to the
// username or the identity. Then its strength is estimated
// with zxcvbn (the estimator of Dropbox, in the Go port
// github.com/trustelem/zxcvbn), which finds repetitions ("aaaaaaaaaa",
// "passwordpassword"), sequences ("abcdefghij", "0123456789"), keyboard
// walks ("qazwsxedcr"), dates, common words and names, and the account's
// own username, name and address and Words, and counts the guesses an
// attacker who knows those patterns needs. A password that scores below
// MinScore is rejected with a PasswordError naming the pattern found.
//
// The estimator looks at the first 64 characters only: its cost grows
// faster than linearly with the length (seconds for 1,000 characters), and
// a password whose first 64 characters are strong is strong.
type PasswordPolicy struct {
	MinLength int
	MaxLength int
	// MinScore is the least zxcvbn score a password must reach: 0 (under
	// 10^3 guesses), 1 (under 10^6), 2 (under 10^8), 3 (under 10^10: safe
	// against an online attack and a slow-hash offline one) or 4. 0 turns
	// the estimate off.
	MinScore int
	// Words are words a password must not be built from besides the
	// account's username, name and address: the service's name, the
	// company's. At most 32 words of at most 64 characters.
	Words []string
}

// DefaultMinScore is the MinScore of DefaultPasswordPolicy: zxcvbn's
// "safely unguessable" (at least 10^10 guesses).
const DefaultMinScore = 3

// Limits of the strength estimate.
const (
	// maxEstimateRunes is how much of a password the estimator sees:
	// zxcvbn's time grows steeply with length (a 64-character password of
	// look-alike symbols took 1.8 s of CPU, 32 characters 0.1 s), and a
	// prefix this long that passes the score makes the whole password pass.
	maxEstimateRunes = 32
	maxPolicyWords   = 32
	maxWordRunes     = 64
)

// DefaultPasswordPolicy returns 10 to 128 characters and a zxcvbn score
// of at least DefaultMinScore: OWASP and NIST SP 800-63B ask for at least
// 8 characters and encourage longer passphrases (ten or more is the
// minimum here), allow any characters, which is why there are no
// composition rules, and ask to refuse repetitive, sequential and
// context-specific passwords, which is what the estimate is for.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{MinLength: 10, MaxLength: 128, MinScore: DefaultMinScore}
}

func (p PasswordPolicy) validate() error {
	if p.MinLength < 8 || p.MaxLength < p.MinLength || p.MaxLength > 1024 {
		return optionError("password lengths %d..%d: need 8 <= min <= max <= 1024", p.MinLength, p.MaxLength)
	}
	if p.MinScore < 0 || p.MinScore > 4 {
		return optionError("password MinScore %d outside [0, 4]", p.MinScore)
	}
	if len(p.Words) > maxPolicyWords {
		return optionError("%d password policy words: at most %d", len(p.Words), maxPolicyWords)
	}
	for _, w := range p.Words {
		if n := utf8.RuneCountInString(w); n == 0 || n > maxWordRunes || !utf8.ValidString(w) {
			return optionError("password policy word %q: need 1 to %d characters of UTF-8", w, maxWordRunes)
		}
	}
	return nil
}

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
// *PasswordError saying why. It is CheckAccount without a display name.
func (p PasswordPolicy) Check(password, username, identity string) error {
	return p.CheckAccount(password, username, identity, "")
}

// CheckAccount returns nil when password is acceptable for the account
// with username, identity and display name (any may be empty), and
// otherwise a *PasswordError saying why.
func (p PasswordPolicy) CheckAccount(password, username, identity, name string) error {
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
	if p.MinScore > 0 {
		inputs := append([]string{username, identity, name}, p.Words...)
		if local, _, ok := strings.Cut(identity, "@"); ok {
			inputs = append(inputs, local)
		}
		inputs = append(inputs, strings.Fields(name)...)
		return estimate(password, inputs, p.MinScore)
	}
	return nil
}

// estimate runs zxcvbn on the first maxEstimateRunes characters of
// password with the user inputs, and explains a score below minScore by the
// pattern that covers most of the password.
func estimate(password string, inputs []string, minScore int) error {
	if r := []rune(password); len(r) > maxEstimateRunes {
		password = string(r[:maxEstimateRunes])
	}
	words := make([]string, 0, len(inputs))
	for _, in := range inputs {
		if r := []rune(strings.ToLower(in)); len(r) >= 3 {
			words = append(words, string(r[:min(len(r), maxWordRunes)]))
		}
	}
	res := zxcvbn.PasswordStrength(password, words)
	if res.Score >= minScore {
		return nil
	}
	var worst *match.Match
	for _, m := range res.Sequence { // the longest pattern; a tie goes to the first
		if m.Pattern != "bruteforce" && (worst == nil || m.J-m.I > worst.J-worst.I) {
			worst = m
		}
	}
	return weakness(worst)
}

// weakness is the PasswordError for the main pattern zxcvbn found in a
// password too easy to guess (nil: no pattern, only too short to resist).
func weakness(m *match.Match) *PasswordError {
	const easy = "the password is too easy to guess: "
	switch {
	case m == nil:
		return &PasswordError{Code: CodePasswordGuessable, Reason: easy + "make it longer, for example with a few more words"}
	case m.Pattern == "repeat":
		return &PasswordError{Code: CodePasswordRepetitive, Reason: easy + "it repeats characters or a group of characters (like aaaa or abcabc)"}
	case m.Pattern == "sequence":
		return &PasswordError{Code: CodePasswordSequence, Reason: easy + "it is a sequence of letters or digits (like abcdef or 654321)"}
	case m.Pattern == "spatial":
		return &PasswordError{Code: CodePasswordKeyboard, Reason: easy + "it is a pattern of neighbouring keys on a keyboard (like qwerty or qazwsx)"}
	case m.Pattern == "dictionary" && m.DictionaryName == "user_inputs":
		return &PasswordError{Code: CodePasswordSimilar, Reason: easy + "it is built from the username, the name, the e-mail address or the name of the service"}
	case m.Pattern == "dictionary" && m.DictionaryName == "passwords":
		return &PasswordError{Code: CodePasswordGuessable, Reason: easy + "it is, or is built from, a commonly used password"}
	case m.Pattern == "dictionary":
		return &PasswordError{Code: CodePasswordGuessable, Reason: easy + "it is built from common words or names; add more words, or unusual ones"}
	case m.Pattern == "date" || m.Pattern == "regex":
		return &PasswordError{Code: CodePasswordGuessable, Reason: easy + "it is mostly a date or a year"}
	}
	return &PasswordError{Code: CodePasswordGuessable, Reason: easy + "make it longer, for example with a few more words"}
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

// similar reports whether password contains, is contained in, or is
// within two edits of one of names (or, for an e-mail address, its local
// part), compared squashed and also reversed.
func similar(password string, names ...string) bool {
	pw := squash(password)
	var all []string
	for _, n := range names {
		all = append(all, n)
		if local, _, ok := strings.Cut(n, "@"); ok {
			all = append(all, local)
		}
	}
	for _, name := range all {
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
