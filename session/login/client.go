package login

import (
	"context"
	"net"
	"net/http"
	"net/netip"
)

type clientKey struct{}

// Client describes the requesting client, as login needs it: its address
// (the key of login throttling) and the remember-device cookie it sent.
type Client struct {
	IP     netip.Addr
	Device string
}

// NewClientContext returns a copy of ctx carrying c. The Clients
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

// Clients is the middleware that puts the Client of every request into
// its context: the address WithClientIP finds and the remember-device
// cookie (WithRememberDevice) the browser sent. Login, CompleteTOTP,
// LoginWith, ChangePassword and DisableTOTP throttle by that address and
// read that cookie: put Clients in front of every handler that calls them
// (session.Manager.Authenticate may sit on either side of it).
func (m *Manager) Clients(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := Client{IP: m.cfg.clientIP(r)}
		if ck, err := r.Cookie(m.cfg.deviceCookie); err == nil {
			c.Device = ck.Value
		}
		next.ServeHTTP(w, r.WithContext(NewClientContext(r.Context(), c)))
	})
}
