package ratelimit

import (
	"net/http"
	"net/netip"
	"strings"
)

// ClientIP returns the address the middleware limits an anonymous request
// by. It is the peer address (r.RemoteAddr), unless the peer is a trusted
// proxy (WithTrustedProxies): then it is the rightmost address of the
// X-Forwarded-For fields (all of them, in order) that is not a trusted
// proxy, found by walking from the right; if every address is a trusted
// proxy, the leftmost one; if an entry does not parse, the last trusted
// address reached (garbage never becomes a key, and the hops that added it
// share one bucket). IPv4-mapped addresses are unmapped and zones dropped.
// When r.RemoteAddr does not parse (a Unix socket), ClientIP returns the
// unspecified address 0.0.0.0, so such requests share one bucket.
func (l *Limiter) ClientIP(r *http.Request) netip.Addr {
	return clientIP(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), l.cfg.proxies)
}

func clientIP(remoteAddr string, xff []string, proxies []netip.Prefix) netip.Addr {
	addr, ok := parseHop(remoteAddr)
	if !ok {
		return netip.IPv4Unspecified()
	}
	if !trusted(addr, proxies) {
		return addr
	}
	for i := len(xff) - 1; i >= 0; i-- {
		v := xff[i]
		for {
			j := strings.LastIndexByte(v, ',')
			hop := strings.TrimSpace(v[j+1:])
			if hop != "" || j >= 0 { // an empty element is malformed, an empty field is not
				a, ok := parseHop(hop)
				if !ok {
					return addr
				}
				if !trusted(a, proxies) {
					return a
				}
				addr = a
			}
			if j < 0 {
				break
			}
			v = v[:j]
		}
	}
	return addr
}

// parseHop parses "ip", "ip:port" or "[ipv6]:port".
func parseHop(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
