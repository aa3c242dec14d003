// Package rediskey builds the Redis keys of apicrud's Redis stores and decodes
// script replies without unchecked type assertions.
//
// Keys are prefix + "{" + id + "}" + suffix: every key a script touches for
// one id shares the hash tag {id}, so Redis Cluster places them in one slot.
// Redis hashes only what lies between the first "{" and the next "}", and the
// whole key when that is empty; so an id that is empty or starts with "}"
// would give keys in different slots. Such an id is replaced by the SHA-256
// of it, in a key of another shape: prefix + "#{" + hex + "}" + suffix, which
// no other id can produce (every other key starts prefix + "{").
package rediskey

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
)

// ErrReply reports a script reply of an unexpected shape.
var ErrReply = errors.New("rediskey: unexpected reply")

// Tagged returns prefix + "{" + id + "}" + suffix, or, when id is empty or
// starts with "}", prefix + "#{" + sha256hex(id) + "}" + suffix: every key
// built for one id, whatever its bytes, lands in one Redis Cluster slot (as
// long as prefix holds no "{"). Keys of other ids are the same as in earlier
// versions.
func Tagged(prefix, id, suffix string) string {
	if id != "" && id[0] != '}' {
		return prefix + "{" + id + "}" + suffix
	}
	sum := sha256.Sum256([]byte(id))
	return prefix + "#{" + hex.EncodeToString(sum[:]) + "}" + suffix
}

// Int64 converts a script reply element to int64. Lua numbers arrive as
// int64; strings holding integers are accepted too.
func Int64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case string:
		n, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q is not an integer", ErrReply, x)
		}
		return n, nil
	default:
		return 0, fmt.Errorf("%w: %T is not an integer", ErrReply, v)
	}
}

// Int64s converts a script reply that must be an array of exactly n integers.
func Int64s(reply any, n int) ([]int64, error) {
	arr, ok := reply.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %T is not an array", ErrReply, reply)
	}
	if len(arr) != n {
		return nil, fmt.Errorf("%w: array of %d elements, want %d", ErrReply, len(arr), n)
	}
	out := make([]int64, n)
	for i, v := range arr {
		x, err := Int64(v)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out[i] = x
	}
	return out, nil
}

// MaxPrefix is the longest key prefix CheckPrefix accepts.
const MaxPrefix = 128

// CheckPrefix returns nil when prefix can start every key of a store: 1 to
// MaxPrefix bytes without "{", "}" (they would change the Redis Cluster
// hash slot of keys built with Tagged), spaces or control characters. An
// empty prefix is refused: two stores without one on the same Redis would
// write the same keys.
func CheckPrefix(prefix string) error {
	if prefix == "" || len(prefix) > MaxPrefix {
		return fmt.Errorf("key prefix %q: want 1 to %d bytes", prefix, MaxPrefix)
	}
	for i := 0; i < len(prefix); i++ {
		if c := prefix[i]; c == '{' || c == '}' || c <= ' ' || c == 0x7f {
			return fmt.Errorf("key prefix %q: byte %q not allowed", prefix, c)
		}
	}
	return nil
}
