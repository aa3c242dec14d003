package i18n

import "errors"

// Errors returned by New, its options and Verify.
var (
	// ErrCatalog reports a catalog file or map that cannot be used.
	ErrCatalog = errors.New("i18n: bad catalog")
	// ErrIncomplete reports, from Verify, a language that lacks English
	// messages or whose translations change their parameters.
	ErrIncomplete = errors.New("i18n: incomplete catalog")
)
