package login

import (
	"context"
	"crypto/rand"
	"errors"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/apicrud-go/apicrud/internal/tracing"
	"github.com/apicrud-go/apicrud/session"
)

// Manager runs the login flows: it checks credentials against an
// AccountStore and starts sessions through a session.Manager. It is safe
// for concurrent use by multiple goroutines. Use New; the zero value is
// not usable. Its configuration cannot change after New. Every instance of
// a service must be built on a session.Manager with the same secret and
// Sealer key, and share one Store and one AccountStore.
type Manager struct {
	tracer    trace.Tracer // nil without WithTracerProvider
	cfg       config
	sessions  *session.Manager
	accounts  AccountStore
	sealer    session.Sealer
	keys      keys
	store     Store
	own       *MemoryStore // the store New created, closed by Close
	queue     *NotifyQueue // the notify queue New created, closed by Close
	dummyHash string       // verified for unknown accounts, for equal timing
	hashes    hashBound
	log       *slog.Logger
}

// New returns a Manager that logs users of accounts in through sessions.
// It seals TOTP secrets with the sessions' Sealer and derives its keys
// from their secret (session.Manager.DeriveKey): one for links, one for
// remember-device cookies, one for backup codes. Without options login
// state lives in a new MemoryStore.
func New(sessions *session.Manager, accounts AccountStore, opts ...Option) (*Manager, error) {
	if sessions == nil {
		return nil, optionError("nil session.Manager")
	}
	if accounts == nil {
		return nil, optionError("nil AccountStore")
	}
	c := defaultConfig()
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	var k keys
	for _, d := range []struct {
		dst   *[]byte
		label string
	}{{&k.link, "link"}, {&k.device, "device"}, {&k.backup, "backup-code"}} {
		var err error
		if *d.dst, err = sessions.DeriveKey(d.label); err != nil {
			return nil, err
		}
	}
	// The last step that can fail: it starts the queue's workers.
	var queue *NotifyQueue
	if c.notifier != nil && c.notifyQueue > 0 {
		var err error
		if queue, err = NewNotifyQueue(c.notifier, WithQueueSize(c.notifyQueue), WithDeliveryDelay(DefaultNotifyDelay), WithQueueLogger(c.log)); err != nil {
			return nil, err
		}
		c.notifier = queue
	}
	m := &Manager{
		cfg:      c,
		sessions: sessions,
		accounts: accounts,
		sealer:   sessions.Sealer(),
		keys:     k,
		store:    c.store,
		queue:    queue,
		hashes:   newHashBound(c.hashSlots, c.hashWait),
		log:      c.log,
		tracer:   tracing.New(c.tp, "github.com/apicrud-go/apicrud/session/login"),
	}
	dummy := make([]byte, 16)
	_, _ = rand.Read(dummy)
	m.dummyHash = hashPassword(b64url.EncodeToString(dummy), c.argon)
	if m.store == nil {
		m.own = NewMemoryStore()
		m.store = m.own
	}
	return m, nil
}

// Close releases what New created: it delivers the notices still in the
// notify queue (WithNotifyQueue), waiting at most until ctx ends, and stops
// the sweepers of the default MemoryStore. It never closes the
// session.Manager, nor a Store or a Notifier given in an option.
func (m *Manager) Close(ctx context.Context) error {
	var errs []error
	if m.queue != nil {
		errs = append(errs, m.queue.Close(ctx))
	}
	if m.own != nil {
		errs = append(errs, m.own.Close(ctx))
	}
	return errors.Join(errs...)
}

// casRetries bounds compare-and-swap loops: each lost round means another
// writer won, so 32 rounds serve 32 concurrent writers.
const casRetries = 32

// maxUIDLen bounds a uid, as package session does.
const maxUIDLen = 128

// validUID checks a uid as package session does (session.ErrInvalidUID).
func validUID(uid string) error {
	if uid == "" || len(uid) > maxUIDLen {
		return session.ErrInvalidUID
	}
	for i := 0; i < len(uid); i++ {
		if b := uid[i]; b <= ' ' || b >= 0x7f || b == '{' || b == '}' {
			return session.ErrInvalidUID
		}
	}
	return nil
}
