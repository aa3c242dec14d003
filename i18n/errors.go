package i18n

import "errors"

// Errors returned by New and its options.
var (
	// ErrCatalog reports a catalog file or map that cannot be used.
	ErrCatalog = errors.New("i18n: bad catalog")
)
