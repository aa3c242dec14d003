package ratelimit_test

import "fmt"

// fmtSscanf reads r and t from a RateLimit field of the default policy.
func fmtSscanf(field string, r, t *int) (int, error) {
	return fmt.Sscanf(field, `"default";r=%d;t=%d`, r, t)
}
