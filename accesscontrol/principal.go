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

// Principal is an immutable caller: an Identity in a form that makes
// decisions fast. Build one per request with NewPrincipal: a principal of a
// uid and at most eight roles (up to 256 bytes in all) and nothing else is
// built without allocating (its single role is kept as given; several are
// copied into one string, one allocation); scopes, an account id, an
// authentication method, an API key id, or more roles add one allocation.
//
// A decision finds the index of the principal's roles in the policy's
// index cache, which keeps the indexes of the role sets seen last (up to
// 2,048 of them; a set of more than 64 roles and scopes is indexed for its
// principal alone): a hash and a comparison of the roles, no allocation. A
// role set not in the cache is indexed in time proportional to its roles,
// whatever the policy's size. A principal with the extra allocation keeps
// the index it found for the policy version, so its later decisions under
// that version skip the hash. The zero Principal is the anonymous caller.
// Principals are safe for concurrent use and cheap to copy (a few words).
type Principal struct {
	p principal
}

type principal struct {
	uid string
	// roleKey holds the roles as given: the role itself when there is
	// one, else each role preceded by its length (uvarint), in one string:
	// one copy of the roles without a pointer per role, and the key of the
	// policy's index cache. nroles is how many there are.
	roleKey string
	nroles  int
	x       *principalExt // nil: nothing but the uid and a few roles
}

// principalExt is the rest of a principal, allocated only when it has
// some of it.
type principalExt struct {
	scopesGiven []string // as given
	scopes      []string // sorted, unique
	accountID   string
	authMethod  string
	apiKeyID    string
	// own is set when the index cache does not keep this principal's role
	// set (see indexable): its index is built for it alone.
	own bool
	// bound is the index found for the last policy version used; first
	// is the first one, allocated with the principal, and claimed tells
	// whether it was taken.
	bound   atomic.Pointer[boundIndex]
	first   boundIndex
	claimed atomic.Bool
}

// boundIndex is the index of a principal's roles under one compiled
// policy.
type boundIndex struct {
	c  *compiled
	ix *roleIndex
}

// Limits of a principal without its extra allocation.
const (
	inlineRoles = 8
	inlineBytes = 256
)

// NewPrincipal returns the principal of id. The roles and scopes are
// copied (a single role, a string, is kept as given).
func NewPrincipal(id Identity) Principal {
	pr := principal{uid: id.UID}
	pr.roleKey, pr.nroles = packRoles(id.Roles)
	if len(id.Scopes) > 0 || id.AccountID != "" || id.AuthMethod != "" || id.APIKeyID != "" ||
		pr.nroles > inlineRoles || len(pr.roleKey) > inlineBytes {
		x := &principalExt{accountID: id.AccountID, authMethod: id.AuthMethod, apiKeyID: id.APIKeyID}
		if len(id.Scopes) > 0 {
			x.scopesGiven = slices.Clone(id.Scopes)
			x.scopes = sortedUnique(id.Scopes)
		}
		pr.x = x
		x.own = !indexable(&pr)
	}
	return Principal{pr}
}

// packRoles returns roles as one string and how many there are: the role
// itself for one role, else each role preceded by its length as a uvarint.
func packRoles(roles []string) (string, int) {
	switch len(roles) {
	case 0:
		return "", 0
	case 1:
		return roles[0], 1
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
	if pr.nroles <= 1 {
		if pr.nroles == 1 {
			yield(pr.roleKey)
		}
		return
	}
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

// scopes returns the credential's scopes, sorted (nil for none); not to
// be modified.
func (pr *principal) scopes() []string {
	if pr.x == nil {
		return nil
	}
	return pr.x.scopes
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
func (p Principal) Authenticated() bool { return p.p.uid != "" }

// UID returns the caller's uid ("" when anonymous).
func (p Principal) UID() string { return p.p.uid }

// Identity returns a copy of the identity the principal was built from.
func (p Principal) Identity() Identity {
	id := Identity{UID: p.p.uid, Roles: p.p.roles()}
	if x := p.p.x; x != nil {
		id.Scopes = slices.Clone(x.scopesGiven)
		id.AccountID, id.AuthMethod, id.APIKeyID = x.accountID, x.authMethod, x.apiKeyID
	}
	return id
}

// Roles returns a copy of the caller's roles, sorted, without duplicates.
func (p Principal) Roles() []string {
	if p.p.nroles == 0 {
		return nil
	}
	return sortedUnique(p.p.roles())
}

// Scopes returns a copy of the credential's scopes, sorted. Policy.HasScopesFor
// tells which of them the policy lets the caller use.
func (p Principal) Scopes() []string { return slices.Clone(p.p.scopes()) }

// HasRole reports whether the caller holds role (exactly).
func (p Principal) HasRole(role string) bool { return p.p.hasRole(role) }

// AccountID returns the caller's account id.
func (p Principal) AccountID() string {
	if p.p.x == nil {
		return ""
	}
	return p.p.x.accountID
}

// AuthMethod returns how the caller authenticated.
func (p Principal) AuthMethod() string {
	if p.p.x == nil {
		return ""
	}
	return p.p.x.authMethod
}

// APIKeyID returns the prefix of the API key the caller used, if any.
func (p Principal) APIKeyID() string {
	if p.p.x == nil {
		return ""
	}
	return p.p.x.apiKeyID
}

// String returns "uid" or "anonymous", for messages.
func (p Principal) String() string {
	if !p.Authenticated() {
		return "anonymous"
	}
	return p.p.uid
}

// LogValue logs the uid, roles, scopes, method and key id (none of them a
// secret).
func (p Principal) LogValue() slog.Value {
	if p.p == (principal{}) {
		return slog.StringValue("anonymous")
	}
	attrs := []slog.Attr{slog.String("uid", p.p.uid), slog.Any("roles", p.Roles())}
	if sc := p.p.scopes(); len(sc) > 0 {
		attrs = append(attrs, slog.Any("scopes", sc))
	}
	if m := p.AuthMethod(); m != "" {
		attrs = append(attrs, slog.String("method", m))
	}
	if k := p.APIKeyID(); k != "" {
		attrs = append(attrs, slog.String("apikey", k))
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

// bind returns pr indexed against c.
func (c *compiled) bind(pr principal) binding {
	return binding{c: c, pr: pr, roleIndex: c.indexOf(&pr)}
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
