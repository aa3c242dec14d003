package session

import (
	"context"
	"net"
	"net/http"
	"net/netip"
)

type sessionKey struct{}

type clientKey struct{}

// NewContext returns a copy of ctx carrying s. The Authenticate middleware
// calls it for every authenticated request.
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// FromContext returns the session in ctx, and false for an anonymous
// request. A session holding RolePendingTOTP has only passed the password
// step: treat it as anonymous everywhere but CompleteTOTP.
func FromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok && s != nil
}

// Client describes the requesting client, as login needs it: its address
// (the key of login throttling) and the remember-device cookie it sent.
type Client struct {
	IP     netip.Addr
	Device string
}

// NewClientContext returns a copy of ctx carrying c. The Authenticate
// middleware calls it for every request; a host that calls Login without
// the middleware must call it, or every client shares one throttling
// bucket.
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
