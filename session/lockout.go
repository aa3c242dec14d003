package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"time"
)

// Ladder is one throttling ladder: the first Free attempts within Window
// pass at once; after that each attempt makes the next one wait
// Delays[0], Delays[1], …, the last element repeating (that last, long
// wait is the lockout). The state is forgotten Window after the last
// attempt. A successful login forgives its attempt.
//
// Attempts are counted before the password is checked (a reservation that
// success takes back), so parallel guesses cannot slip through between a
// check and a count.
type Ladder struct {
	Free   int
	Delays []time.Duration
	Window time.Duration
}

// Delay returns the wait imposed after the n-th counted attempt.
func (l Ladder) Delay(n int64) time.Duration {
	k := n - int64(l.Free)
	if k < 1 || len(l.Delays) == 0 {
		return 0
	}
	if k > int64(len(l.Delays)) {
		return l.Delays[len(l.Delays)-1]
	}
	return l.Delays[k-1]
}

func (l Ladder) validate() error {
	if l.Free < 0 || l.Free > 100000 || l.Window < time.Second || l.Window > 30*24*time.Hour || len(l.Delays) > 64 {
		return optionError("throttle ladder: need 0 <= Free, 1s <= Window <= 30d, at most 64 delays")
	}
	for _, d := range l.Delays {
		if d < 0 || d > 30*24*time.Hour {
			return optionError("throttle delay %v outside [0, 30d]", d)
		}
	}
	return nil
}

// Throttles are the three ladders of login throttling.
//
// Account is keyed by the account AND the client address together: the
// account is the resolved uid when the login names an existing account
// (by username or by e-mail alike, so switching between them gains
// nothing) and the normalised login otherwise. Because the client address
// is part of the key, an attacker elsewhere cannot lock the owner out.
//
// IP is keyed by the client address alone (IPv6 by /64): the budget of
// attempts one client gets across all accounts, against password spraying.
// Successful logins give their attempt back.
//
// OTP is keyed by the account alone and counts second-factor attempts
// (whoever reaches that step already knows the password).
type Throttles struct {
	Account Ladder
	IP      Ladder
	OTP     Ladder
}

// DefaultThrottles returns the default ladders:
//   - Account: 5 free attempts per hour, then waits of 1 s, 2 s, 4 s, 8 s,
//     16 s, 30 s, 1 min, 2 min, 5 min and then 15 min for every further
//     failure (the lockout);
//   - IP: 100 free attempts per hour, then 1 s, 2 s, 5 s, 10 s, 30 s,
//     1 min, 5 min and 15 min;
//   - OTP: 5 free attempts per hour, then 30 s, 1 min, 5 min, 15 min.
func DefaultThrottles() Throttles {
	s := time.Second
	return Throttles{
		Account: Ladder{Free: 5, Window: time.Hour, Delays: []time.Duration{s, 2 * s, 4 * s, 8 * s, 16 * s, 30 * s, time.Minute, 2 * time.Minute, 5 * time.Minute, 15 * time.Minute}},
		IP:      Ladder{Free: 100, Window: time.Hour, Delays: []time.Duration{s, 2 * s, 5 * s, 10 * s, 30 * s, time.Minute, 5 * time.Minute, 15 * time.Minute}},
		OTP:     Ladder{Free: 5, Window: time.Hour, Delays: []time.Duration{30 * s, time.Minute, 5 * time.Minute, 15 * time.Minute}},
	}
}

// ipBucket names the throttling bucket of a client address: the address
// itself for IPv4, its /64 for IPv6 (one subscriber usually holds a whole
// /64), and "unknown" for the zero Addr.
func ipBucket(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case !ip.IsValid():
		return "unknown"
	case ip.Is4():
		return ip.String()
	default:
		p, err := ip.WithZone("").Prefix(64)
		if err != nil {
			return "unknown"
		}
		return p.String()
	}
}

func digestKey(prefix string, parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return prefix + hex.EncodeToString(h.Sum(nil)[:16])
}

func accountThrottleKey(subject string, ip netip.Addr) string {
	return digestKey("acct:", subject, ipBucket(ip))
}

func ipThrottleKey(ip netip.Addr) string { return "ip:" + ipBucket(ip) }

func otpThrottleKey(uid string) string { return digestKey("otp:", uid) }

// attempt reserves one attempt under key: a *LockedError when the key must
// wait, an ErrUnavailable error when the store fails (fail closed).
func (m *Manager) attempt(ctx context.Context, key string, l Ladder) error {
	wait, err := m.store.Attempt(ctx, key, l)
	if err != nil {
		return fmt.Errorf("%w: throttle: %w", ErrUnavailable, err)
	}
	if wait > 0 {
		return &LockedError{RetryAfter: wait}
	}
	return nil
}

// forgive is best effort: a failure leaves a counted attempt, which is safe.
func (m *Manager) forgive(ctx context.Context, key string, all bool) {
	if err := m.store.Forgive(ctx, key, all); err != nil {
		m.log.WarnContext(ctx, "session: forgiving a login attempt failed", "err", err)
	}
}
