// Package rediskey builds the Redis keys of apicrud's Redis stores and decodes
// script replies without unchecked type assertions.
//
// Keys are prefix + "{" + id + "}" + suffix: every key a script touches for
// one id shares the hash tag {id}, so Redis Cluster places them in one slot.
package rediskey

import (
	"errors"
	"fmt"
	"strconv"
)

// ErrReply reports a script reply of an unexpected shape.
var ErrReply = errors.New("rediskey: unexpected reply")

// Tagged returns prefix + "{" + id + "}" + suffix.
func Tagged(prefix, id, suffix string) string {
	return prefix + "{" + id + "}" + suffix
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
