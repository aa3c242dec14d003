package idempotency

import (
	"context"
	"net/http"
	"time"
)

// Record is what a Store keeps under an idempotency key: the reservation
// that holds it (the Keeper's fingerprint of the request, a dot and a
// random token of that reservation, so that a request that outlived its
// lock cannot complete or release a retry's reservation) and, once it is
// done, its answer.
type Record struct {
	Fingerprint string      `json:"f"`
	Done        bool        `json:"d,omitempty"`
	Status      int         `json:"s,omitempty"`
	Header      http.Header `json:"h,omitempty"`
	Body        []byte      `json:"b,omitempty"`
}

// Store keeps idempotency records. Implementations must be safe for
// concurrent use; each method is one atomic step.
type Store interface {
	// Begin reserves key for the request with fingerprint fp for lockTTL
	// and returns started == true, when key holds nothing (or only an
	// expired record). Otherwise it returns the record under key (in
	// progress or done) and started == false, changing nothing.
	Begin(ctx context.Context, key, fp string, lockTTL time.Duration) (rec Record, started bool, err error)
	// Complete stores rec (Done) under key for ttl, when key is still
	// reserved for rec.Fingerprint and not done; otherwise it does nothing
	// and returns nil.
	Complete(ctx context.Context, key string, rec Record, ttl time.Duration) error
	// Abandon deletes key when it is still reserved for fp and not done,
	// so that a retry runs the request again; otherwise it does nothing.
	Abandon(ctx context.Context, key, fp string) error
}
