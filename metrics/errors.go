package metrics

import "errors"

// Errors returned by this package. Match them with errors.Is.
var (
	// ErrUnknownMetric reports a metric name that has no definition.
	ErrUnknownMetric = errors.New("metrics: unknown metric")
	// ErrLabel reports a label that the metric does not declare, a label
	// value that is not valid UTF-8, or a missing uid for a usage metric.
	ErrLabel = errors.New("metrics: bad label")
	// ErrValue reports a value a metric cannot take: negative for a
	// counter, not finite, or not a whole number of at least 1 for a grant.
	ErrValue = errors.New("metrics: bad value")
	// ErrGrantExceeded reports a grant-style use refused because the
	// account's credit for the current period is used up. The use is not
	// counted; the credit comes back when the period ends.
	ErrGrantExceeded = errors.New("metrics: grant exceeded")
	// ErrNotGrant reports Use or Check on a metric that is not grant-style.
	ErrNotGrant = errors.New("metrics: not a grant-style metric")
	// ErrConfig reports invalid definitions or options given to New.
	ErrConfig = errors.New("metrics: bad configuration")
)
