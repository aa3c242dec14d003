package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
)

// Client is the client of a request as sessions record it: its address
// and user agent. Both are personal data: WithClientRecording decides
// which of them sessions keep.
type Client struct {
	// IP is the client's address; the zero Addr when unknown or not
	// recorded.
	IP netip.Addr
	// UserAgent is the request's User-Agent header, cleaned (see
	// CleanUserAgent); empty when absent or not recorded.
	UserAgent string
}

type clientKey struct{}

// NewClientContext returns a copy of ctx carrying c, for Create (the
// client that logs in) and Validate (the client that uses the session).
// The Authenticate middleware calls it for every request; a host that
// calls Create or Validate without the middleware calls it itself, or
// its sessions record no client. c.UserAgent is cleaned by CleanUserAgent
// when recorded.
func NewClientContext(ctx context.Context, c Client) context.Context {
	return context.WithValue(ctx, clientKey{}, c)
}

// ClientFromContext returns the client in ctx.
func ClientFromContext(ctx context.Context) (Client, bool) {
	c, ok := ctx.Value(clientKey{}).(Client)
	return c, ok
}

// RemoteAddrIP returns the address of the peer of r's connection
// (r.RemoteAddr), the zero Addr when it does not parse. It is the default
// of WithClientIP, right when clients connect directly.
func RemoteAddrIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return ip.Unmap()
}

// MaxUserAgent is the length in bytes CleanUserAgent cuts a user agent to.
const MaxUserAgent = 256

// CleanUserAgent returns ua fit to be stored and shown: invalid UTF-8,
// control characters and the Unicode format characters that reorder or
// hide text (bidirectional overrides, zero-width characters) are
// dropped, runs of white space (tabs and line breaks included) become one
// space, the result is trimmed and cut
// to at most MaxUserAgent bytes on a character boundary.
func CleanUserAgent(ua string) string {
	if plainASCII(ua) {
		return ua
	}
	var b strings.Builder
	b.Grow(min(len(ua), MaxUserAgent))
	space := true // drops leading spaces
	for _, r := range ua {
		switch {
		case unicode.IsSpace(r): // before IsControl: tabs and line breaks become spaces
			if space {
				continue
			}
			space = true
			r = ' '
		case r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			continue
		default:
			space = false
		}
		if b.Len()+utf8.RuneLen(r) > MaxUserAgent {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), " ")
}

// plainASCII reports whether ua is already clean: printable ASCII without
// leading, trailing or double spaces, and short enough.
func plainASCII(ua string) bool {
	if len(ua) > MaxUserAgent {
		return false
	}
	prev := byte(' ')
	for i := 0; i < len(ua); i++ {
		c := ua[i]
		if c < ' ' || c >= 0x7f || (c == ' ' && prev == ' ') {
			return false
		}
		prev = c
	}
	return prev != ' ' || ua == ""
}

// clientOf returns the client of r as the middleware records it.
func (m *Manager) clientOf(r *http.Request) Client {
	var c Client
	if m.cfg.recordIP {
		c.IP = m.cfg.clientIP(r)
	}
	if m.cfg.recordUA {
		c.UserAgent = CleanUserAgent(r.Header.Get("User-Agent"))
	}
	return c
}

// recordedClient returns the client in ctx as sessions record it.
func (m *Manager) recordedClient(ctx context.Context) Client {
	c, _ := ClientFromContext(ctx)
	if !m.cfg.recordIP {
		c.IP = netip.Addr{}
	}
	if m.cfg.recordUA {
		c.UserAgent = CleanUserAgent(c.UserAgent)
	} else {
		c.UserAgent = ""
	}
	return c
}

// The last use of a session is sealed on its own, apart from the
// session record, so that Get can store it without reading the record:
// version byte, time (unix ms, 8 bytes big-endian), address length (0, 4
// or 16) and address, user agent.
const useVersion = 1

func useAdditionalData(uid, id string) []byte {
	return []byte("apicrud/session/use\x00" + uid + "\x00" + id)
}

// useFunc returns the function the store calls to seal the last use of
// session id of uid by the client in ctx, when it is due; nil when last
// uses are not recorded. Sealing only when due keeps its cost (about a
// microsecond) off the requests that record nothing.
func (m *Manager) useFunc(ctx context.Context, uid, id string) func() []byte {
	if m.cfg.lastUse <= 0 {
		return nil
	}
	return func() []byte {
		p, err := m.sealUse(ctx, uid, id, time.Now())
		if err != nil {
			m.log.WarnContext(ctx, "session: last use not recorded", "uid", uid, "id", id, "err", err)
			return nil
		}
		return p
	}
}

// sealUse seals the last use of session id of uid by the client in ctx,
// at now.
func (m *Manager) sealUse(ctx context.Context, uid, id string, now time.Time) ([]byte, error) {
	out, err := m.sealer.Seal(encodeUse(now, m.recordedClient(ctx)), useAdditionalData(uid, id))
	if err != nil {
		return nil, fmt.Errorf("session: sealing: %w", err)
	}
	return out, nil
}

// encodeUse returns the payload of a last use: at and c.
func encodeUse(at time.Time, c Client) []byte {
	ip := c.IP.AsSlice()
	p := make([]byte, 0, 1+8+1+len(ip)+len(c.UserAgent))
	p = append(p, useVersion)
	p = binary.BigEndian.AppendUint64(p, uint64(at.UnixMilli()))
	p = append(p, byte(len(ip)))
	p = append(p, ip...)
	return append(p, c.UserAgent...)
}

var errBadUse = errors.New("session: stored last use does not open")

// decodeUse parses an opened last use.
func decodeUse(p []byte) (time.Time, Client, error) {
	if len(p) < 10 || p[0] != useVersion {
		return time.Time{}, Client{}, errBadUse
	}
	at := time.UnixMilli(int64(binary.BigEndian.Uint64(p[1:9])))
	n := int(p[9])
	p = p[10:]
	if (n != 0 && n != 4 && n != 16) || len(p) < n {
		return time.Time{}, Client{}, errBadUse
	}
	var c Client
	if n > 0 {
		c.IP, _ = netip.AddrFromSlice(p[:n])
	}
	c.UserAgent = CleanUserAgent(string(p[n:]))
	return at, c, nil
}

// openUse opens the sealed last use of session id of uid.
func (m *Manager) openUse(uid, id string, data []byte) (time.Time, Client, error) {
	p, err := m.sealer.Open(data, useAdditionalData(uid, id))
	if err != nil {
		return time.Time{}, Client{}, errBadUse
	}
	return decodeUse(p)
}

// validSessionID reports whether id has the form of a Session.ID: the
// unpadded base64url of 32 bytes.
func validSessionID(id string) bool {
	if len(id) != 43 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c == '-' || c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return false
		}
	}
	return true
}

// Revoke ends session id of uid (the Session.ID a List gave) and reports
// whether it was live. It only ever touches uid's own sessions: the id of
// another user's session, an unknown id and one that is not a session id
// at all all give false, so that a handler answering 404 to false tells
// nothing about other users. Revoking the caller's own current session
// logs it out. It costs one store round trip.
func (m *Manager) Revoke(ctx context.Context, uid, id string) (bool, error) {
	if m.tracer == nil {
		return m.revoke(ctx, uid, id)
	}
	ctx, span := m.tracer.Start(ctx, "apicrud.session.Revoke", trace.WithAttributes(tracing.UserID.String(uid), tracing.SessionID.String(tracing.Hash(id))))
	found, err := m.revoke(ctx, uid, id)
	span.SetAttributes(attrCount.Int(b2i(found)))
	tracing.End(span, err, errCode(err))
	return found, err
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (m *Manager) revoke(ctx context.Context, uid, id string) (bool, error) {
	if err := validUID(uid); err != nil {
		return false, err
	}
	if !validSessionID(id) {
		return false, nil
	}
	found, err := m.store.Delete(ctx, uid, id)
	if err != nil {
		return false, fmt.Errorf("%w: delete: %w", ErrUnavailable, err)
	}
	return found, nil
}

// DeleteOthers ends every session of s.UID but s itself ("log out my
// other devices") and returns how many it ended. For a session that is
// not stored (an API-key request) it ends them all. It costs one store
// round trip.
func (m *Manager) DeleteOthers(ctx context.Context, s *Session) (int, error) {
	if m.tracer == nil || s == nil {
		return m.deleteOthers(ctx, s)
	}
	ctx, span := m.tracer.Start(ctx, "apicrud.session.RevokeOthers", trace.WithAttributes(sessionAttrs(s)...))
	n, err := m.deleteOthers(ctx, s)
	span.SetAttributes(attrCount.Int(n))
	tracing.End(span, err, errCode(err))
	return n, err
}

func (m *Manager) deleteOthers(ctx context.Context, s *Session) (int, error) {
	if s == nil {
		return 0, ErrNoSession
	}
	if err := validUID(s.UID); err != nil {
		return 0, err
	}
	n, err := m.store.DeleteAll(ctx, s.UID, s.ID)
	if err != nil {
		return n, fmt.Errorf("%w: delete all: %w", ErrUnavailable, err)
	}
	return n, nil
}
