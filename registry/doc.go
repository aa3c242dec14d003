// Package registry is a service registry with heartbeats: each instance of
// a service registers what it serves and where, and any instance can find
// the live instances and the URL that serves each resource (the url_map a
// UI needs). It is the Go successor of apicrud's ServiceRegistry.
//
// # Overview
//
//	reg, err := registry.New(cipher) // cipher: *crypto.Cipher or *crypto.Keyring
//	r, err := reg.Register(ctx, registry.Instance{
//		Service: "main", ID: hostname, Endpoints: []string{"person", "contact"},
//		PublicURL: "https://api.example.com/api/v1", Port: 8080,
//	})
//	defer r.Close(ctx) // stops the heartbeat and deregisters
//
//	res, err := reg.Find(ctx, "main") // "" for every service
//	res.Instances // live instances, sorted by service and id
//	res.URLMap    // {"person": "https://api.example.com/api/v1", ...}
//
// Register writes the entry at once, then a goroutine owned by the returned
// Registration rewrites it every interval (WithHeartbeat; default 30 s)
// until the Register context ends or Close is called; then it removes the
// entry. An instance that dies without deregistering disappears one TTL
// (default 60 s) after its last heartbeat. Deregistration is a
// compare-and-delete: an old instance that closes late never removes the
// entry of a newer instance with the same id. (apicrud's heartbeat was a
// timer thread with no stop hook; here the goroutine has an
// owner, a context and a Close that waits for it.)
//
// When two instances serve one resource at different URLs, the first in
// Instances order wins and a warning is logged (apicrud logged the same
// warning but skipped it for "metric"; here every resource is treated
// alike). Instances without endpoints (workers) are listed; apicrud
// skipped them.
//
// # Backends
//
// The Store interface (store.go) holds sealed entries under
// "<service>:<id>" keys. The default is a MemoryStore (one process); the
// Redis store, registry/redisstore (alias registryredis), shares the
// registry between instances, one round trip per operation (a heartbeat is
// one Put, a Find is one List, a deregistration one Delete). Both pass
// registry/storetest.
//
// # Security
//
// Entries are sealed with the Sealer given to New (AES-256-GCM with the
// crypto package), with additional data binding each entry to its key, so
// that a writer with access to the store but not to the key (the
// original's entries were AES-CBC without a MAC) cannot:
// inject an entry, alter one (redirect a resource to another URL), or move
// a genuine entry to another service or id. Find skips such entries and
// reports each to the WithRejectFunc hook and the logger (ErrInvalidEntry);
// they never appear in a Result. Each heartbeat reseals the entry with its
// time: an authentic entry whose last heartbeat is older than twice its TTL
// (a replayed copy of a dead instance's entry) or in the future is rejected
// with ErrStaleEntry, so a replay can keep a dead instance visible for at
// most two TTLs. Rotating keys: pass a crypto.Keyring; entries sealed under
// an older key of the ring still open. Entries of another cluster sharing
// the Redis with another key are rejected and reported, not silently
// skipped as in apicrud.
//
// Names (service, id, endpoints) are 1-64 characters from A-Z a-z 0-9 . _
// -, so keys are unambiguous (apicrud split keys on ':' and could not hold
// IPv6 ids); PublicURL must be an absolute http(s) URL without
// credentials; IPv4 must be an IPv4 address. The library never reads the
// host name or resolves addresses itself: the host fills ID and IPv4.
//
// # Concurrency
//
// Client and Registration are safe for concurrent use. Close every
// Registration (or end its context) and then the Client, which stops the
// sweeper of the MemoryStore it created; a Store given with WithStore is
// not closed.
package registry
