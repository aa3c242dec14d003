package login

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"net/netip"
	"time"

	"github.com/apicrud-go/apicrud/session"
)

// Ladder is one throttling ladder: the first Free failures within Window
// pass at once; after that each failure makes the next attempt wait
// Delays[0], Delays[1], …, the last element repeating (that last, long
// wait is the lockout). The state is forgotten Window after the last
// failure. A successful login on the account ladder clears it.
//
// Only failures count. An attempt is reserved before the password is
// checked and settled after: a failure climbs the ladder, a success
// does not. While attempts are in flight, a further attempt that their
// failing would make wait is held back until they settle (see
// Store.Reserve), so parallel guesses cannot slip through between a check
// and a count, and parallel correct logins are never refused.
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
// failed attempts one client gets across all accounts, against password
// spraying. Successful logins do not count, nor lift a wait.
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

// Outcome is how a reserved attempt ended (Store.Settle).
type Outcome int

const (
	// OutcomeFailed counts the attempt as a failure: the ladder climbs.
	OutcomeFailed Outcome = iota + 1
	// OutcomePassed drops the reservation; the failures stay counted.
	OutcomePassed
	// OutcomeCleared drops the reservation and forgets the failures and
	// the wait of the key.
	OutcomeCleared
)

// Admission is the answer of Store.Reserve.
type Admission struct {
	// Reserved tells that the attempt was reserved: it may proceed, and is
	// then settled with Store.Settle.
	Reserved bool
	// Wait is, when the attempt was not reserved, how long the key stays
	// locked. Zero means busy: the attempts in flight would lock the key
	// if they all failed, so this one waits until they settle.
	Wait time.Duration
}

// reservationHold is how long a reserved attempt counts as in flight at
// most: longer than any credential check (which waits for a hashing slot
// only briefly), so that only a crashed process leaves one behind.
const reservationHold = 30 * time.Second

// busyPauseMin and busyPauseMax bound the pause between two Reserve calls
// of an attempt held back by attempts in flight.
const (
	busyPauseMin = 2 * time.Millisecond
	busyPauseMax = 50 * time.Millisecond
)

// gate is a reserved attempt, settled once its check is done.
type gate struct {
	key, id string
	l       Ladder
}

// reserve reserves an attempt under key (Store.Reserve), waiting while
// attempts in flight decide: a *LockedError when the key must wait, an
// session.ErrUnavailable error when the store fails (fail closed) or ctx ends
// first.
func (m *Manager) reserve(ctx context.Context, key string, l Ladder) (gate, error) {
	id := randomName(16)
	pause := busyPauseMin
	deadline := time.Now().Add(reservationHold)
	for {
		a, err := m.store.Reserve(ctx, key, id, l, reservationHold)
		switch {
		case err != nil:
			return gate{}, fmt.Errorf("%w: throttle: %w", session.ErrUnavailable, err)
		case a.Reserved:
			return gate{key: key, id: id, l: l}, nil
		case a.Wait > 0:
			return gate{}, &LockedError{RetryAfter: a.Wait, key: key}
		case time.Now().After(deadline): // attempts lost in flight
			return gate{}, &LockedError{RetryAfter: time.Second, key: key}
		}
		t := time.NewTimer(pause/2 + time.Duration(mrand.Int64N(int64(pause))))
		select {
		case <-ctx.Done():
			t.Stop()
			return gate{}, fmt.Errorf("%w: waiting for attempts in flight: %w", session.ErrUnavailable, ctx.Err())
		case <-t.C:
		}
		pause = min(2*pause, busyPauseMax)
	}
}

// settle ends the reservation of g (a zero gate is a no-op) after a check
// that returned err: success (nil) settles with ok; a wrong credential
// (ErrInvalidCredentials, ErrInvalidOTP, or a lock of g's own key) is a
// failure; any other error (a failing store, a refused new password, the
// lock of an inner ladder such as the one-time codes') is not the
// caller's failure and only drops the reservation: a user who retries
// with the right password while the code limit holds does not climb the
// account and address ladders. Settling is
// best effort, even after ctx ended: when it fails, a failure goes
// uncounted and the reservation lapses after reservationHold.
func (m *Manager) settle(ctx context.Context, g gate, err error, ok Outcome) {
	if g.id == "" {
		return
	}
	outcome := ok
	var locked *LockedError
	switch {
	case err == nil:
	case errors.Is(err, ErrInvalidCredentials), errors.Is(err, ErrInvalidOTP):
		outcome = OutcomeFailed
	case errors.As(err, &locked) && locked.key == g.key:
		outcome = OutcomeFailed
	default:
		outcome = OutcomePassed
	}
	if err := m.store.Settle(context.WithoutCancel(ctx), g.key, g.id, g.l, outcome); err != nil {
		m.log.WarnContext(ctx, "login: settling a login attempt failed", "err", err)
	}
}

// attempt counts one request under key: a *LockedError when the key must
// wait, an session.ErrUnavailable error when the store fails (fail closed).
func (m *Manager) attempt(ctx context.Context, key string, l Ladder) error {
	wait, err := m.store.Attempt(ctx, key, l)
	if err != nil {
		return fmt.Errorf("%w: throttle: %w", session.ErrUnavailable, err)
	}
	if wait > 0 {
		return &LockedError{RetryAfter: wait, key: key}
	}
	return nil
}
