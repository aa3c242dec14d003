package login

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Defaults of NewNotifyQueue.
const (
	DefaultNotifyQueueSize   = 1024
	DefaultNotifyWorkers     = 2
	DefaultNotifyTimeout     = 30 * time.Second
	DefaultNotifyDelay       = 10 * time.Millisecond
	maxNotifyQueueSize       = 1 << 20
	maxNotifyWorkers         = 256
	minNotifyDeliveryTimeout = time.Millisecond
)

// NotifyQueue is a Notifier that hands each notice to a bounded queue and
// returns, while its own workers deliver the notices to the next
// Notifier. Register and RequestPasswordReset then take the same time
// whether or not they send a notice, so that their response time does not
// tell whether an account exists; New puts one in front of the Notifier
// of WithNotifier unless WithNotifyQueue(0) is given.
//
// Nothing is dropped. When the queue is full, Notify waits for room until
// its context ends, and then returns an error wrapping ErrQueueFull (and
// the context's error): a caller sees the overload, the notice is not
// silently lost. Close stops taking notices and waits for the workers to
// deliver every queued one. A delivery that fails is reported to the
// WithDeliveryError function (default: logged at error level); the queue
// does not retry, since only the next Notifier knows which failures are
// worth retrying.
//
// A worker delivers with the context Notify got, without its
// cancellation or deadline (the request has long been answered), and with
// a deadline of its own (WithDeliveryTimeout); the context's values, such
// as the request's language, stay.
type NotifyQueue struct {
	next    Notifier
	queue   chan queuedNotice
	timeout time.Duration
	delay   time.Duration
	onError func(context.Context, Notice, error)

	mu      sync.RWMutex
	closed  bool
	stop    chan struct{} // closed by Close: senders give up waiting
	senders sync.WaitGroup
	drain   chan struct{} // closed once no sender is left: workers empty the queue and exit
	workers sync.WaitGroup
	once    sync.Once
}

type queuedNotice struct {
	ctx   context.Context
	n     Notice
	at    time.Time
	blank bool // queued for equal timing only: not delivered
}

// QueueOption configures NewNotifyQueue.
type QueueOption func(*queueConfig) error

type queueConfig struct {
	delay   time.Duration
	size    int
	workers int
	timeout time.Duration
	onError func(context.Context, Notice, error)
	log     *slog.Logger
}

// WithQueueSize sets how many notices wait for delivery at most.
// Default: DefaultNotifyQueueSize (1024).
func WithQueueSize(n int) QueueOption {
	return func(c *queueConfig) error {
		if n < 1 || n > maxNotifyQueueSize {
			return optionError("notify queue size %d outside [1, %d]", n, maxNotifyQueueSize)
		}
		c.size = n
		return nil
	}
}

// WithQueueWorkers sets how many notices are delivered at once. Default:
// DefaultNotifyWorkers (2).
func WithQueueWorkers(n int) QueueOption {
	return func(c *queueConfig) error {
		if n < 1 || n > maxNotifyWorkers {
			return optionError("notify workers %d outside [1, %d]", n, maxNotifyWorkers)
		}
		c.workers = n
		return nil
	}
}

// WithDeliveryTimeout sets the deadline of one delivery to the next
// Notifier. Default: DefaultNotifyTimeout (30 s).
func WithDeliveryTimeout(d time.Duration) QueueOption {
	return func(c *queueConfig) error {
		if d < minNotifyDeliveryTimeout {
			return optionError("notify delivery timeout %v below %v", d, minNotifyDeliveryTimeout)
		}
		c.timeout = d
		return nil
	}
}

// WithDeliveryDelay makes a worker wait until a notice is d old before it
// delivers it, so that the delivery's work (a file write, a network call)
// does not compete for the CPU with the response of the request that
// queued it, where it would again show in that response's timing. Notices
// that waited in the queue that long already are delivered at once.
// Default: 0; the Manager's own queue uses DefaultNotifyDelay.
func WithDeliveryDelay(d time.Duration) QueueOption {
	return func(c *queueConfig) error {
		if d < 0 || d > time.Minute {
			return optionError("notify delivery delay %v outside [0, 1m]", d)
		}
		c.delay = d
		return nil
	}
}

// WithDeliveryError sets the function called with a notice whose delivery
// failed and the error. Default: log it at error level (WithQueueLogger),
// without the token.
func WithDeliveryError(fn func(ctx context.Context, n Notice, err error)) QueueOption {
	return func(c *queueConfig) error {
		if fn == nil {
			return optionError("nil delivery error function")
		}
		c.onError = fn
		return nil
	}
}

// WithQueueLogger sets the logger of failed deliveries. Default: discard.
func WithQueueLogger(l *slog.Logger) QueueOption {
	return func(c *queueConfig) error {
		if l != nil {
			c.log = l
		}
		return nil
	}
}

// NewNotifyQueue returns a NotifyQueue delivering to next, with its
// workers started. The caller owns it and must Close it; next is never
// closed by it.
func NewNotifyQueue(next Notifier, opts ...QueueOption) (*NotifyQueue, error) {
	if next == nil {
		return nil, optionError("nil Notifier")
	}
	c := queueConfig{size: DefaultNotifyQueueSize, workers: DefaultNotifyWorkers, timeout: DefaultNotifyTimeout, log: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&c); err != nil {
			return nil, err
		}
	}
	if c.onError == nil {
		log := c.log
		c.onError = func(ctx context.Context, n Notice, err error) {
			log.ErrorContext(ctx, "login: notice not delivered", "notice", n, "err", err)
		}
	}
	q := &NotifyQueue{
		next: next, queue: make(chan queuedNotice, c.size), timeout: c.timeout, delay: c.delay, onError: c.onError,
		stop: make(chan struct{}), drain: make(chan struct{}),
	}
	q.workers.Add(c.workers)
	for range c.workers {
		go q.work()
	}
	return q, nil
}

// Notify queues n for delivery and returns at once, or, when the queue is
// full, when there is room or ctx ends (an error wrapping ErrQueueFull).
// After Close it returns ErrQueueClosed.
func (q *NotifyQueue) Notify(ctx context.Context, n Notice) error {
	return q.enqueue(ctx, queuedNotice{ctx: context.WithoutCancel(ctx), n: n, at: time.Now()})
}

// pace queues a blank item that the workers take and drop: the Manager
// calls it where it sends no notice, so that both paths do the same work
// (a queue slot, a worker woken) and wait alike when the queue is full.
func (q *NotifyQueue) pace(ctx context.Context) error {
	return q.enqueue(ctx, queuedNotice{ctx: context.WithoutCancel(ctx), blank: true, at: time.Now()})
}

func (q *NotifyQueue) enqueue(ctx context.Context, item queuedNotice) error {
	q.mu.RLock()
	if q.closed {
		q.mu.RUnlock()
		return ErrQueueClosed
	}
	q.senders.Add(1)
	q.mu.RUnlock()
	defer q.senders.Done()
	select {
	case q.queue <- item:
		return nil
	default:
	}
	select {
	case q.queue <- item:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrQueueFull, ctx.Err())
	case <-q.stop:
		return ErrQueueClosed
	}
}

func (q *NotifyQueue) work() {
	defer q.workers.Done()
	for {
		select {
		case item := <-q.queue:
			q.deliver(item)
		case <-q.drain:
			for {
				select {
				case item := <-q.queue:
					q.deliver(item)
				default:
					return
				}
			}
		}
	}
}

func (q *NotifyQueue) deliver(item queuedNotice) {
	if item.blank {
		return
	}
	if wait := q.delay - time.Since(item.at); wait > 0 {
		select {
		case <-time.After(wait):
		case <-q.drain: // closing: deliver at once
		}
	}
	ctx, cancel := context.WithTimeout(item.ctx, q.timeout)
	defer cancel()
	if err := q.next.Notify(ctx, item.n); err != nil {
		q.onError(ctx, item.n, err)
	}
}

// Close stops taking notices (Notify returns ErrQueueClosed), then waits
// until every queued notice has been delivered, or ctx ends (its error is
// returned; the workers still finish the queue in the background). It may
// be called more than once.
func (q *NotifyQueue) Close(ctx context.Context) error {
	q.once.Do(func() {
		q.mu.Lock()
		q.closed = true
		close(q.stop)
		q.mu.Unlock()
		go func() {
			q.senders.Wait() // a sender that won the race has queued its notice
			close(q.drain)
		}()
	})
	done := make(chan struct{})
	go func() {
		q.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("login: notify queue not drained: %w", ctx.Err())
	}
}

var _ Notifier = (*NotifyQueue)(nil)
