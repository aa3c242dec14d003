package rediskey

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTagged(t *testing.T) {
	require.Equal(t, "apicrud:rl:{u1:svc}:tat", Tagged("apicrud:rl:", "u1:svc", ":tat"))
}

func TestInt64s(t *testing.T) {
	got, err := Int64s([]any{int64(1), "2", int64(-3)}, 3)
	require.NoError(t, err)
	require.Equal(t, []int64{1, 2, -3}, got)

	for name, reply := range map[string]any{
		"not an array": "x",
		"short":        []any{int64(1)},
		"bad element":  []any{int64(1), 2.5, int64(3)},
		"bad string":   []any{int64(1), "two", int64(3)},
		"nil":          nil,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Int64s(reply, 3)
			require.ErrorIs(t, err, ErrReply)
		})
	}
}
