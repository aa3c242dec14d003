package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Errors of the OAuth2 token flow (Issue and Refresh).
var (
	// ErrInvalidGrant reports a refresh token that is malformed, unknown,
	// expired, already rotated, or whose session has ended. An OAuth2
	// token endpoint answers it 400 invalid_grant.
	ErrInvalidGrant = errors.New("session: invalid grant")
	// ErrRefreshReused reports a refresh token presented again after it
	// was rotated: a sign that it leaked. Refresh has ended the session it
	// belonged to (every access and refresh token of it). It is returned
	// joined with ErrInvalidGrant.
	ErrRefreshReused = errors.New("session: rotated refresh token reused")
	// ErrInvalidScope reports a scope asked for that the session does not
	// hold. An OAuth2 token endpoint answers it 400 invalid_scope.
	ErrInvalidScope = errors.New("session: invalid scope")
)

// Bounds of the token flow.
const (
	// defaultRefreshTTL is the default lifetime of a refresh token
	// (WithRefreshTTL).
	defaultRefreshTTL = 24 * time.Hour
	// defaultRefreshGrace is how long the refresh token rotated last is
	// taken for a concurrent request rather than a reuse
	// (WithRefreshGrace).
	defaultRefreshGrace = 5 * time.Second
	// maxRotated is how many rotated refresh tokens a session remembers
	// for reuse detection; an older one is refused without revoking.
	maxRotated = 32
	// refreshSecretLen is the length of a refresh token's random part
	// (256 bits, base64url).
	refreshSecretLen = 43
	maxRefreshLen    = 512
)

// Tokens is what an OAuth2 token endpoint answers: an access token, its
// lifetime, a refresh token and the scopes the access token carries.
type Tokens struct {
	// Session is the refreshable session the tokens belong to.
	Session *Session
	// AccessToken is a session token (a JWT) whose exp is the access-token
	// lifetime (WithAccessTTL) from now, never past the session's absolute
	// deadline, and whose scope claim lists Scopes.
	AccessToken Token
	// ExpiresIn is the access token's lifetime.
	ExpiresIn time.Duration
	// RefreshToken is an opaque OAuth2 refresh token (a Token, which
	// redacts itself in logs), valid once, until RefreshExpires.
	RefreshToken Token
	// RefreshExpires is when the refresh token stops working.
	RefreshExpires time.Time
	// Scopes are the scopes granted to the access token.
	Scopes []string
}

// refreshState is the refresh part of a sealed session record: the session
// is the refresh-token family, rotated in place. A new field needs a line
// in refreshFields (record.go) too.
type refreshState struct {
	// JTI is the session secret, so that a refresh can sign new access
	// tokens for the same session. It is sealed with the record and is no
	// credential without the signing key.
	JTI string
	// Hash is the SHA-256 of the current refresh token's secret.
	Hash []byte
	// Rotated are the hashes of earlier secrets, oldest first, at most
	// maxRotated: presenting one of them revokes the session.
	Rotated [][]byte
	// Expires is the current refresh token's deadline (unix ms).
	Expires int64
	// RotatedAt is the time of the last rotation (unix ms).
	RotatedAt int64
}

// oauthConfig holds the options of the token flow.
type oauthConfig struct {
	accessTTL  time.Duration // 0: the session's absolute deadline
	refreshTTL time.Duration
	roleLife   map[string]time.Duration
	scopesFor  func(roles []string) []string
	grace      time.Duration
}

// WithAccessTTL sets the lifetime of the access tokens that Issue and
// Refresh sign. Default: 0, which makes them expire with their session, as
// the tokens of Create and Login do (those are not affected by this
// option). A refreshable session outlives its access tokens: the client
// gets a new one with Refresh.
func WithAccessTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > maxLifetime {
			return optionError("access-token lifetime %v outside [0, %v]", d, maxLifetime)
		}
		c.oauth.accessTTL = d
		return nil
	}
}

// WithRefreshTTL sets the lifetime of a refresh token: each one expires
// this long after it was issued (and with its session at the latest), and
// each Refresh issues a new one. Default: 24 h. The
// session's idle and absolute timeouts still hold: a Refresh counts as
// activity.
func WithRefreshTTL(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second || d > maxLifetime {
			return optionError("refresh-token lifetime %v outside [1s, %v]", d, maxLifetime)
		}
		c.oauth.refreshTTL = d
		return nil
	}
}

// WithRefreshGrace sets how long after a rotation the refresh token just
// rotated out is refused without ending the session: a client that sent
// two refreshes at once (two tabs, a retry after a lost answer) gets an
// error for the slower one instead of losing its session. Only the token
// rotated last gets the grace, and it never yields tokens. Default:
// 5 s; 0 takes every reuse for theft.
func WithRefreshGrace(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 || d > time.Minute {
			return optionError("refresh grace %v outside [0, 1m]", d)
		}
		c.oauth.grace = d
		return nil
	}
}

// WithRoleLifetime shortens the absolute timeout of the sessions that hold
// role to d (when d is shorter than the one they would get), for example
// the shorter lifetime of administrators' sessions. It may be given for
// several roles; the shortest applicable lifetime wins.
func WithRoleLifetime(role string, d time.Duration) Option {
	return func(c *config) error {
		if role == "" || len(role) > maxNameLen {
			return optionError("role %q", role)
		}
		if d < minLifetime || d > maxLifetime {
			return optionError("lifetime %v of role %q outside [%v, %v]", d, role, minLifetime, maxLifetime)
		}
		if c.oauth.roleLife == nil {
			c.oauth.roleLife = map[string]time.Duration{}
		}
		c.oauth.roleLife[role] = d
		return nil
	}
}

// WithRoleScopes sets the function that gives the scopes a session is
// entitled to from its roles (for example an accesscontrol policy's
// ScopesFor). Create calls it when Extra.Scopes is nil, so that a login's
// token carries its scopes in its scope claim; SetRoles calls it too, so
// that a demotion takes scopes away from tokens already issued. Default:
// none, a session holds the scopes given in Extra.Scopes only. fn must be
// safe for concurrent use.
func WithRoleScopes(fn func(roles []string) []string) Option {
	return func(c *config) error {
		if fn == nil {
			return optionError("nil role-scopes function")
		}
		c.oauth.scopesFor = fn
		return nil
	}
}

// lifetimeFor applies the role lifetimes to life.
func (m *Manager) lifetimeFor(roles []string, life time.Duration) time.Duration {
	for _, role := range roles {
		if d, ok := m.cfg.oauth.roleLife[role]; ok && d < life {
			life = d
		}
	}
	return life
}

// scopesOf is Extra.Scopes, or the role scopes when it is nil.
func (m *Manager) scopesOf(roles, scopes []string) []string {
	if scopes == nil && m.cfg.oauth.scopesFor != nil {
		return slices.Clone(m.cfg.oauth.scopesFor(slices.Clone(roles)))
	}
	return slices.Clone(scopes)
}

// Issue turns s, a session just started (by Login, CompleteTOTP, LoginWith
// or Create), into a refreshable one and returns its OAuth2 tokens. The
// access token carries scopes, which must all be held by s (else
// ErrInvalidScope); none means every scope of s. The session holds the
// granted scopes only from then on: a refresh can narrow them, never
// widen them. s itself ends, as with
// Renew: its token stops working, and the new session keeps its data and
// absolute deadline.
func (m *Manager) Issue(ctx context.Context, s *Session, scopes []string) (*Tokens, error) {
	if s == nil || s.ID == "" {
		return nil, fmt.Errorf("%w: no stored session", ErrInvalidToken)
	}
	if err := validUID(s.UID); err != nil {
		return nil, err
	}
	if err := validScopes(scopes); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidScope, err)
	}
	_, r, err := m.load(ctx, s.UID, s.ID, 0, 0, nil)
	if err != nil {
		return nil, err
	}
	granted, err := narrow(r.Scopes, scopes)
	if err != nil {
		return nil, err
	}
	life := time.Until(time.UnixMilli(r.Expires))
	if life <= 0 {
		return nil, fmt.Errorf("%w: %w", ErrInvalidToken, ErrNoSession)
	}
	now := time.Now()
	r.Scopes = granted // what a refresh may ask for from now on
	secret, hash := newRefreshSecret()
	r.Refresh = &refreshState{Hash: hash, Expires: m.refreshDeadline(r, now).UnixMilli()}
	jti, id := newJTI()
	r.Refresh.JTI = jti
	data, err := m.seal(r.UID, id, r)
	if err != nil {
		return nil, err
	}
	if err := m.store.Create(ctx, r.UID, id, data, m.cfg.idle, life); err != nil {
		return nil, fmt.Errorf("%w: create: %w", ErrUnavailable, err)
	}
	t, err := m.tokens(r, id, secret, granted, now)
	if err != nil {
		_, _ = m.store.Delete(ctx, r.UID, id)
		return nil, err
	}
	if _, err := m.store.Delete(ctx, s.UID, s.ID); err != nil {
		_, _ = m.store.Delete(ctx, r.UID, id)
		return nil, fmt.Errorf("%w: delete: %w", ErrUnavailable, err)
	}
	return t, nil
}

// Refresh exchanges a refresh token for new tokens of the same session:
// a new access token and a new refresh token; the one presented is
// rotated out and never accepted again. scopes narrow the new access
// token's scopes (none: every scope granted by Issue); asking for one not
// granted is ErrInvalidScope and consumes nothing.
//
// Presenting a rotated refresh token again is taken as theft: Refresh ends
// the session (its access tokens stop working at once on every instance
// sharing the store), logs a warning, and returns ErrRefreshReused joined
// with ErrInvalidGrant. Of two concurrent refreshes with the same token
// exactly one succeeds; the others get ErrInvalidGrant and revoke
// nothing (see WithRefreshGrace). A refresh counts as activity for the idle timeout; an ended
// session, an expired refresh token and a malformed one are
// ErrInvalidGrant. A store failure is ErrUnavailable.
func (m *Manager) Refresh(ctx context.Context, refreshToken string, scopes []string) (*Tokens, error) {
	uid, id, secret, err := parseRefresh(refreshToken)
	if err != nil {
		return nil, err
	}
	if err := validScopes(scopes); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidScope, err)
	}
	hash := refreshHash(secret)
	use := m.useFunc(ctx, uid, id)
	sawCurrent := false
	for range casRetries {
		e, ok, err := m.store.Get(ctx, uid, id, m.cfg.idle, 0, use)
		if err != nil {
			return nil, fmt.Errorf("%w: get: %w", ErrUnavailable, err)
		}
		if !ok {
			return nil, fmt.Errorf("%w: %w", ErrInvalidGrant, ErrNoSession)
		}
		r, err := m.open(uid, id, e.Data)
		if err != nil {
			m.log.WarnContext(ctx, "session: stored session rejected", "uid", uid, "id", id, "err", err)
			return nil, fmt.Errorf("%w: %w", ErrInvalidGrant, err)
		}
		now := time.Now()
		if r.Refresh == nil || !now.Before(time.UnixMilli(r.Expires)) {
			return nil, fmt.Errorf("%w: session not refreshable", ErrInvalidGrant)
		}
		rs := r.Refresh
		if subtle.ConstantTimeCompare(hash, rs.Hash) != 1 {
			return nil, m.refusedRefresh(ctx, uid, id, rs, hash, sawCurrent)
		}
		sawCurrent = true
		if !now.Before(time.UnixMilli(rs.Expires)) {
			return nil, fmt.Errorf("%w: refresh token expired", ErrInvalidGrant)
		}
		granted, err := narrow(r.Scopes, scopes)
		if err != nil {
			return nil, err
		}
		next, nextHash := newRefreshSecret()
		rs.Rotated = append(rs.Rotated, rs.Hash)
		if len(rs.Rotated) > maxRotated {
			rs.Rotated = rs.Rotated[len(rs.Rotated)-maxRotated:]
		}
		rs.Hash = nextHash
		rs.RotatedAt = now.UnixMilli()
		rs.Expires = m.refreshDeadline(r, now).UnixMilli()
		data, err := m.seal(uid, id, r)
		if err != nil {
			return nil, err
		}
		done, err := m.store.Replace(ctx, uid, id, e.Data, data)
		if err != nil {
			return nil, fmt.Errorf("%w: replace: %w", ErrUnavailable, err)
		}
		if done {
			return m.tokens(r, id, next, granted, now)
		}
	}
	return nil, ErrConflict
}

// refusedRefresh handles a refresh token that is not the session's current
// one: a rotated one is reuse (the session ends) unless this call saw it
// current or it was rotated last within the grace period, in which case a
// concurrent refresh won the race.
func (m *Manager) refusedRefresh(ctx context.Context, uid, id string, rs *refreshState, hash []byte, sawCurrent bool) error {
	rotated, last := false, false
	for i, h := range rs.Rotated {
		if subtle.ConstantTimeCompare(hash, h) == 1 {
			rotated, last = true, i == len(rs.Rotated)-1
		}
	}
	grace := m.cfg.oauth.grace
	switch {
	case !rotated:
		return fmt.Errorf("%w: unknown refresh token", ErrInvalidGrant)
	case sawCurrent, last && time.Since(time.UnixMilli(rs.RotatedAt)) < grace:
		return fmt.Errorf("%w: refresh token rotated by a concurrent request", ErrInvalidGrant)
	}
	m.log.WarnContext(ctx, "session: rotated refresh token reused; session revoked", "uid", uid, "id", id)
	if _, err := m.store.Delete(ctx, uid, id); err != nil {
		return fmt.Errorf("%w: delete: %w", ErrUnavailable, err)
	}
	return errors.Join(ErrRefreshReused, ErrInvalidGrant)
}

// refreshDeadline is when a refresh token issued now for r expires.
func (m *Manager) refreshDeadline(r *record, now time.Time) time.Time {
	return minTime(now.Add(m.cfg.oauth.refreshTTL), time.UnixMilli(r.Expires))
}

// tokens signs an access token for session id (r.Refresh.JTI) carrying
// scopes and returns it with the refresh token made of secret.
func (m *Manager) tokens(r *record, id, secret string, scopes []string, now time.Time) (*Tokens, error) {
	abs := time.UnixMilli(r.Expires)
	exp := abs
	if d := m.cfg.oauth.accessTTL; d > 0 {
		exp = minTime(now.Add(d), abs)
	}
	c := m.claims(r, r.Refresh.JTI, scopes, exp, now)
	tok, err := m.sig.signToken(&c)
	if err != nil {
		return nil, err
	}
	s := r.session(id)
	s.Scopes = slices.Clone(scopes)
	return &Tokens{
		Session:        s,
		AccessToken:    tok,
		ExpiresIn:      exp.Sub(now).Truncate(time.Second),
		RefreshToken:   Token(b64url.EncodeToString([]byte(r.UID)) + "." + id + "." + secret),
		RefreshExpires: time.UnixMilli(r.Refresh.Expires),
		Scopes:         slices.Clone(scopes),
	}, nil
}

// claims are the claims of a token of session r with secret jti.
// They are a value: signToken only reads them, so they stay off the heap.
func (m *Manager) claims(r *record, jti string, scopes []string, exp, now time.Time) claims {
	return claims{
		Issuer:    m.cfg.issuer,
		Subject:   r.UID,
		Audience:  m.cfg.audience,
		ExpiresAt: exp,
		NotBefore: time.UnixMilli(r.Created),
		IssuedAt:  now,
		ID:        jti,
		Auth:      r.Roles,
		Scope:     strings.Join(scopes, " "),
		CNonce:    r.CNonce,
		Ext:       r.Values,
		AMR:       r.AMR,
		AuthTime:  time.UnixMilli(r.authTime()),
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// narrow returns asked when every scope in it is held (held when asked is
// empty), and ErrInvalidScope otherwise.
func narrow(held, asked []string) ([]string, error) {
	if len(asked) == 0 {
		return slices.Clone(held), nil
	}
	out := make([]string, 0, len(asked))
	for _, s := range asked {
		if !slices.Contains(held, s) {
			return nil, fmt.Errorf("%w: %q", ErrInvalidScope, s)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// validScopes checks scope names: validNames, and no whitespace (a
// token's scope claim separates them with spaces).
func validScopes(scopes []string) error {
	if err := validNames("scopes", scopes); err != nil {
		return err
	}
	for _, s := range scopes {
		if strings.ContainsFunc(s, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
			return fmt.Errorf("%w: scope %q", ErrInvalidValue, s)
		}
	}
	return nil
}

// intersect returns the scopes of a token's scope claim that the session
// still holds.
func intersect(claim string, held []string) []string {
	if claim == "" {
		return nil
	}
	var out []string
	for s := range strings.SplitSeq(claim, " ") {
		if s != "" && slices.Contains(held, s) && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func newRefreshSecret() (secret string, hash []byte) {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (Go 1.24+)
	secret = b64url.EncodeToString(b)
	return secret, refreshHash(secret)
}

func refreshHash(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// parseRefresh splits a refresh token, base64url(uid) "." id "." secret,
// checking every part's shape. Every failure is ErrInvalidGrant.
func parseRefresh(raw string) (uid, id, secret string, err error) {
	bad := func(why string) (string, string, string, error) {
		return "", "", "", fmt.Errorf("%w: %s", ErrInvalidGrant, why)
	}
	if raw == "" || len(raw) > maxRefreshLen || !compact(raw) {
		return bad("empty, oversized or not base64url")
	}
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return bad("not three parts")
	}
	u, err := b64url.Strict().DecodeString(parts[0])
	if err != nil || validUID(string(u)) != nil {
		return bad("malformed uid")
	}
	if len(parts[1]) != jtiLen || len(parts[2]) != refreshSecretLen {
		return bad("malformed id or secret")
	}
	for _, p := range parts[1:] {
		if _, err := b64url.Strict().DecodeString(p); err != nil {
			return bad("malformed id or secret")
		}
	}
	return string(u), parts[1], parts[2], nil
}
