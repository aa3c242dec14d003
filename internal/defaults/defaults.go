// Package defaults holds the default values that a library package and the
// config package both state (the session issuer and audience, the rate
// limit, the registry heartbeat), so that config takes them from the one
// place the library defines them instead of copying literals that could
// drift apart.
package defaults

import "time"

// Values; each package exports its own name for them (session.DefaultLifetime,
// ratelimit.DefaultRate, registry.DefaultInterval, ...).
const (
	// Issuer is the iss claim sessions issue and require.
	Issuer = "apicrud"
	// Audience is the aud claim sessions issue and require.
	Audience = "apicrud"
	// RateRequests and RatePeriod make the default rate limit: apicrud's
	// 500 requests per 300 seconds.
	RateRequests = 500
	RatePeriod   = 5 * time.Minute
	// RegistryInterval and RegistryTTL are the registry heartbeat: an
	// instance disappears after two missed heartbeats.
	RegistryInterval = 30 * time.Second
	RegistryTTL      = 60 * time.Second
	// HashWait is how long a password hash waits for a hashing slot.
	HashWait = 2 * time.Second
)
