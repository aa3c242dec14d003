package metrics

import (
	"context"
	"time"
)

// Fields of a usage metric's hash (see Store).
const (
	// FieldUsed holds the units used (grant-style) or metered, summed over
	// all accounts since the store began.
	FieldUsed = "used"
	// FieldRefused holds the number of refused grant-style uses.
	FieldRefused = "refused"
)

// Delta is an increment of one field of a metric's hash.
type Delta struct {
	// Field is the hash field: a series key, or FieldUsed or FieldRefused.
	Field string
	// Value is added to the field.
	Value float64
}

// CreditState is an account's grant-style credit as stored.
type CreditState struct {
	// Started is true while a period runs (the account used the metric
	// since the period began); Left and Limit are then set.
	Started bool
	// Left is the credit left, computed with Limit.
	Left int64
	// Limit is the limit in force when the credit was last taken.
	Limit int64
	// TTL is the time until the period ends (0 for an indefinite period).
	TTL time.Duration
}

// ConsumeRequest takes N units of UID's credit of grant-style Metric.
type ConsumeRequest struct {
	// Metric is the grant-style metric.
	Metric string
	// UID is the account.
	UID string
	// Limit is the account's current limit (>= 0).
	Limit int64
	// N is the number of units (>= 1).
	N int64
	// Period is the length of a period that starts with this use; 0 means
	// the credit never expires.
	Period time.Duration
}

// PeriodKey names one metered period of one metric.
type PeriodKey struct {
	// Metric is the metered metric.
	Metric string
	// Period names the calendar period: 2006-01-02T15 (hour), 2006-01-02
	// (day), 2006-W01 (ISO week), 2006-01 (month) or "all" (indefinite).
	Period string
}

// Store keeps the shared values of metrics: per metric a hash of numeric
// fields (a series key, or FieldUsed and FieldRefused of a usage metric),
// per account and grant-style metric a credit that expires with its period,
// and per metered metric and calendar period a hash of amounts by account.
// NewMemoryStore is the in-memory Store and metrics/redisstore the Redis
// one; storetest.Run checks an implementation. Implementations must be safe
// for concurrent use.
type Store interface {
	// Add adds each delta to its field of metric's hash (absent fields
	// count as 0), all or none.
	Add(ctx context.Context, metric string, deltas ...Delta) error
	// Set sets field of metric's hash to value.
	Set(ctx context.Context, metric, field string, value float64) error
	// Read returns the hash of each metric, in order; a metric without
	// values gives an empty map. It is one round trip for all metrics.
	Read(ctx context.Context, metrics []string) ([]map[string]float64, error)
	// Consume takes req.N units of credit, atomically. When no period is
	// running, the period starts with credit req.Limit. When the stored
	// limit differs from req.Limit, the credit moves by the difference (so
	// units already used stay used) and is never below 0. When the credit
	// is less than req.N the use is refused (ok=false) and nothing is
	// taken; otherwise the units are taken. Either way FieldUsed (by N) or
	// FieldRefused (by 1) of req.Metric's hash is incremented. A refused
	// first use creates no state.
	Consume(ctx context.Context, req ConsumeRequest) (ok bool, state CreditState, err error)
	// Meter adds amount to uid's amount in metered period key k (which
	// expires after ttl from its creation; 0: never) and to FieldUsed of
	// k.Metric's hash, and returns uid's new amount in the period.
	Meter(ctx context.Context, k PeriodKey, uid string, amount float64, ttl time.Duration) (float64, error)
	// Usage returns, in one round trip, uid's credit state for each
	// grant-style metric in credits and uid's amount (0 if none) in each
	// metered period in periods.
	Usage(ctx context.Context, uid string, credits []string, periods []PeriodKey) ([]CreditState, []float64, error)
}
