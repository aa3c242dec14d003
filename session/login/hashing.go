package login

import (
	"context"
	"runtime"
	"time"

	"github.com/apicrud-go/apicrud/internal/defaults"
)

// DefaultHashWait is how long a password hash waits for a slot unless
// WithHashConcurrency says otherwise.
const DefaultHashWait = defaults.HashWait

// maxDefaultHashSlots caps the default number of slots on large machines:
// the worst case stays at 32 × the argon2id memory (608 MiB with
// DefaultArgon2Params) whatever the core count.
const maxDefaultHashSlots = 32

// DefaultHashConcurrency returns the default number of password hashes
// computed at once: twice GOMAXPROCS, at most 32. argon2id with one lane
// keeps one core busy, so more slots than cores add memory and latency,
// not throughput; twice leaves room for the bcrypt and sha256_crypt
// verifications of migrating accounts.
func DefaultHashConcurrency() int {
	return min(2*runtime.GOMAXPROCS(0), maxDefaultHashSlots)
}

// hashBound is a counting semaphore over password hashing: argon2id
// allocates its whole memory cost (19 MiB by default) per hash, so the
// slots bound the memory that hashing can take to slots × Memory.
type hashBound struct {
	slots chan struct{}
	wait  time.Duration
}

func newHashBound(n int, wait time.Duration) hashBound {
	if n <= 0 {
		n = DefaultHashConcurrency()
	}
	if wait <= 0 {
		wait = DefaultHashWait
	}
	return hashBound{slots: make(chan struct{}, n), wait: wait}
}

// acquire takes a slot, waiting at most b.wait and never past ctx:
// ErrBusy when none came free in time.
func (b hashBound) acquire(ctx context.Context) error {
	select {
	case b.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(b.wait)
	defer t.Stop()
	select {
	case b.slots <- struct{}{}:
		return nil
	case <-t.C:
		return ErrBusy
	case <-ctx.Done():
		return ErrBusy
	}
}

func (b hashBound) release() { <-b.slots }

// hash hashes a new password with the configured argon2id parameters,
// within the bound.
func (m *Manager) hash(ctx context.Context, password string) (string, error) {
	if err := m.hashes.acquire(ctx); err != nil {
		return "", err
	}
	defer m.hashes.release()
	return hashPassword(password, m.cfg.argon), nil
}

// checkAndHash checks a new password against the policy for the account
// and hashes it, both in one hashing slot: the strength estimate costs as
// much CPU as a hash for a long password, so it is bounded alike (ErrBusy
// when no slot came free in time, nothing checked). With a breach check
// (WithBreachCheck) the slot is given back while the check waits on the
// network: policy in one slot, the breach check in none, the hash in
// another.
func (m *Manager) checkAndHash(ctx context.Context, password, username, identity, name string) (string, error) {
	if m.cfg.breach.Checker != nil {
		if err := m.checkPolicy(ctx, password, username, identity, name); err != nil {
			return "", err
		}
		if err := m.checkBreached(ctx, password); err != nil {
			return "", err
		}
		return m.hash(ctx, password)
	}
	if err := m.hashes.acquire(ctx); err != nil {
		return "", err
	}
	defer m.hashes.release()
	if err := m.cfg.policy.CheckAccount(password, username, identity, name); err != nil {
		return "", err
	}
	return hashPassword(password, m.cfg.argon), nil
}

// checkPolicy checks a new password against the policy for the account in
// a hashing slot.
func (m *Manager) checkPolicy(ctx context.Context, password, username, identity, name string) error {
	if err := m.hashes.acquire(ctx); err != nil {
		return err
	}
	defer m.hashes.release()
	return m.cfg.policy.CheckAccount(password, username, identity, name)
}

// verify checks password against an encoded hash within the bound. err is
// ErrBusy when no slot came free in time (nothing was checked), or the
// reason an unusable stored hash was refused (ok is false).
func (m *Manager) verify(ctx context.Context, encoded, password string) (ok, rehash bool, err error) {
	if err := m.hashes.acquire(ctx); err != nil {
		return false, false, err
	}
	defer m.hashes.release()
	return verifyPassword(encoded, password, m.cfg.argon)
}
