package accesscontrol

import (
	"context"
	"encoding/binary"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
)

// Identity describes an authenticated caller as the authentication layer
// knows it (a session, an API key, a token). NewPrincipal copies it into
// an immutable Principal.
type Identity struct {
	// UID is the caller's user id; "" for an anonymous caller.
	UID string
	// Roles are the caller's roles: "admin", "user", "pending", … and
	// membership roles "<resource>-<id>-<level>" such as
	// "list-x-12345678-member". Membership roles are cumulative: a level
	// implies every lower one, so "list-x-1-manager" alone is enough.
	Roles []string
	// Scopes are the scopes of the credential (an API key's, an OAuth
	// token's). A scope the policy declares is held only while one of the
	// caller's roles is among the scope's roles; an undeclared scope is held
	// as given. For interactive logins, Policy.ScopesFor(roles) gives the
	// scopes the roles are entitled to.
	Scopes []string
	// AccountID is the caller's account id, when the host has one.
	AccountID string
	// AuthMethod tells how the caller authenticated ("password", "totp",
	// "apikey", "external:<provider>", …).
	AuthMethod string
	// APIKeyID is the (public) prefix of the API key used, if any.
	APIKeyID string
}

// Principal is an immutable caller: an Identity plus the index that makes
// decisions fast. Build one per request with NewPrincipal: it copies the
// roles into one string (one allocation besides the principal's own). Its
// first decision under a policy version finds the index of its roles in
// the policy's index cache, which keeps the indexes of the last role sets
// seen (1,024 of them; a set of more than 64 roles and scopes is indexed
// for its principal alone): a hash and a comparison of the roles, no
// allocation; a role set not in the cache is indexed in time proportional
// to its roles, whatever the policy's size. Every later decision under that
// version allocates nothing. The index is kept for one policy version at a
// time: use one Principal per Policy. The zero Principal is the anonymous
// caller. Principals are safe for concurrent use and cheap to copy.
type Principal struct {
	p *principal
}

type principal struct {
	id Identity // Roles nil (see roleKey); Scopes a private copy
	// roleKey holds the roles as given, each preceded by its length
	// (uvarint), in one string: one copy of the roles without a pointer
	// per role, and the key of the policy's index cache. nroles is how
	// many there are.
	roleKey string
	nroles  int
	scopes  []string // sorted, unique
	bound   atomic.Pointer[binding]
	// first is the binding of the first policy version the principal is
	// used with, allocated with it; claimed tells whether it was taken.
	first   binding
	claimed atomic.Bool
}

// NewPrincipal returns the principal of id. The roles and scopes are
// copied.
func NewPrincipal(id Identity) Principal {
	pr := &principal{id: id}
	pr.id.Roles = nil
	pr.roleKey, pr.nroles = packRoles(id.Roles)
	if len(id.Scopes) > 0 {
		pr.id.Scopes = slices.Clone(id.Scopes)
		pr.scopes = sortedUnique(id.Scopes)
	}
	return Principal{pr}
}

// packRoles returns roles as one string, each role preceded by its length
// as a uvarint, and how many there are.
func packRoles(roles []string) (string, int) {
	if len(roles) == 0 {
		return "", 0
	}
	n := 0
	for _, r := range roles {
		n += len(r) + uvarintLen(len(r))
	}
	var b strings.Builder
	b.Grow(n)
	var buf [binary.MaxVarintLen64]byte
	for _, r := range roles {
		if len(r) < 0x80 {
			b.WriteByte(byte(len(r)))
		} else {
			b.Write(buf[:binary.PutUvarint(buf[:], uint64(len(r)))])
		}
		b.WriteString(r)
	}
	return b.String(), len(roles)
}

// uvarintLen returns the length of n as a uvarint.
func uvarintLen(n int) int {
	l := 1
	for ; n >= 0x80; n >>= 7 {
		l++
	}
	return l
}

// eachRole calls yield with each role, in the order given, until it
// returns false.
func (pr *principal) eachRole(yield func(string) bool) {
	k := pr.roleKey
	for len(k) > 0 {
		n, w := uint64(k[0]), 1
		if n >= 0x80 {
			n, w = binary.Uvarint([]byte(k[:min(len(k), binary.MaxVarintLen64)]))
		}
		r := k[w : w+int(n)]
		k = k[w+int(n):]
		if !yield(r) {
			return
		}
	}
}

// roles returns a new slice of the roles, in the order given (nil for
// none).
func (pr *principal) roles() []string {
	if pr.nroles == 0 {
		return nil
	}
	out := make([]string, 0, pr.nroles)
	for r := range pr.eachRole {
		out = append(out, r)
	}
	return out
}

// hasRole reports whether pr holds role (exactly).
func (pr *principal) hasRole(role string) bool {
	for r := range pr.eachRole {
		if r == role {
			return true
		}
	}
	return false
}

// sortedUnique returns a sorted copy of s without duplicates. Input that
// is already sorted (as a session that stores sorted roles gives it) is
// only copied.
func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	if !slices.IsSorted(out) {
		slices.Sort(out)
	}
	return slices.Compact(out)
}

// Anonymous returns the anonymous principal (the zero Principal).
func Anonymous() Principal { return Principal{} }

// Authenticated reports whether the principal has a uid.
func (p Principal) Authenticated() bool { return p.p != nil && p.p.id.UID != "" }

// UID returns the caller's uid ("" when anonymous).
func (p Principal) UID() string {
	if p.p == nil {
		return ""
	}
	return p.p.id.UID
}

// Identity returns a copy of the identity the principal was built from.
func (p Principal) Identity() Identity {
	if p.p == nil {
		return Identity{}
	}
	id := p.p.id
	id.Roles = p.p.roles()
	id.Scopes = slices.Clone(id.Scopes)
	return id
}

// Roles returns a copy of the caller's roles, sorted, without duplicates.
func (p Principal) Roles() []string {
	if p.p == nil {
		return nil
	}
	return sortedUnique(p.p.roles())
}

// Scopes returns a copy of the credential's scopes, sorted. Policy.HasScopesFor
// tells which of them the policy lets the caller use.
func (p Principal) Scopes() []string {
	if p.p == nil {
		return nil
	}
	return slices.Clone(p.p.scopes)
}

// HasRole reports whether the caller holds role (exactly).
func (p Principal) HasRole(role string) bool {
	if p.p == nil {
		return false
	}
	return p.p.hasRole(role)
}

// AccountID returns the caller's account id.
func (p Principal) AccountID() string {
	if p.p == nil {
		return ""
	}
	return p.p.id.AccountID
}

// AuthMethod returns how the caller authenticated.
func (p Principal) AuthMethod() string {
	if p.p == nil {
		return ""
	}
	return p.p.id.AuthMethod
}

// APIKeyID returns the prefix of the API key the caller used, if any.
func (p Principal) APIKeyID() string {
	if p.p == nil {
		return ""
	}
	return p.p.id.APIKeyID
}

// String returns "uid" or "anonymous", for messages.
func (p Principal) String() string {
	if !p.Authenticated() {
		return "anonymous"
	}
	return p.p.id.UID
}

// LogValue logs the uid, roles, scopes, method and key id (none of them a
// secret).
func (p Principal) LogValue() slog.Value {
	if p.p == nil {
		return slog.StringValue("anonymous")
	}
	attrs := []slog.Attr{slog.String("uid", p.p.id.UID), slog.Any("roles", sortedUnique(p.p.roles()))}
	if len(p.p.scopes) > 0 {
		attrs = append(attrs, slog.Any("scopes", p.p.scopes))
	}
	if p.p.id.AuthMethod != "" {
		attrs = append(attrs, slog.String("method", p.p.id.AuthMethod))
	}
	if p.p.id.APIKeyID != "" {
		attrs = append(attrs, slog.String("apikey", p.p.id.APIKeyID))
	}
	return slog.GroupValue(attrs...)
}

func (pr *principal) holdsAny(set map[string]bool) bool {
	for r := range pr.eachRole {
		if set[r] {
			return true
		}
	}
	return false
}

// binding returns the principal indexed against c, building it at most
// once per policy version (a concurrent first use may build it twice; both
// results are equal).
func (p Principal) binding(c *compiled) *binding {
	if p.p == nil {
		return c.anon
	}
	if b := p.p.bound.Load(); b != nil && b.c == c {
		return b
	}
	var b *binding
	if p.p.claimed.CompareAndSwap(false, true) {
		b = &p.p.first
		c.bindInto(b, p.p)
	} else {
		b = c.bind(p.p)
	}
	p.p.bound.Store(b)
	return b
}

type principalKey struct{}

// WithPrincipal returns a copy of ctx carrying p. Authentication
// middleware calls it once per request (for example in session's
// WithContextFunc); the Policy's Authorizer methods and middleware read it
// back.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, and false when there is none.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}
