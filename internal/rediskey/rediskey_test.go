package rediskey

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTagged(t *testing.T) {
	require.Equal(t, "apicrud:rl:{u1:svc}:tat", Tagged("apicrud:rl:", "u1:svc", ":tat"), "a usable tag is kept as it is")
	require.Equal(t, "p:{a{b}:lock", Tagged("p:", "a{b", ":lock"), "a \"{\" inside does not matter: the first one opens the tag")
	require.Equal(t, "p:{a:b{c}}:lock", Tagged("p:", "a:b{c}", ":lock"), "the tag is \"a:b{c\", for every suffix: unchanged")
	require.Equal(t, "p:#{e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855}:v", Tagged("p:", "", ":v"))
}

// hashTag is the part of key Redis Cluster hashes to pick a slot.
func hashTag(key string) string {
	open := strings.IndexByte(key, '{')
	if open < 0 {
		return key
	}
	end := strings.IndexByte(key[open+1:], '}')
	if end <= 0 {
		return key
	}
	return key[open+1 : open+1+end]
}

// TestTaggedOneSlot: for every id, hostile ones included, the keys of one
// id share one hash tag (so one slot), and different (id, suffix) pairs give
// different keys.
func TestTaggedOneSlot(t *testing.T) {
	ids := []string{"", "}", "}job", "a}b", "{", "{}", "{a}", "a}{b", "}}", "job", "ümlaut ☃", "nul\x00byte",
		Tagged("", "", "")[2:66], Tagged("", "", "")[2:66] + "}", "#", "#{"}
	suffixes := []string{"", ":lock", ":fence", ":v", ":g", ":s:x", ":idx"}
	seen := map[string]string{}
	for _, id := range ids {
		tag := hashTag(Tagged("p:", id, suffixes[0]))
		for _, suf := range suffixes {
			k := Tagged("p:", id, suf)
			require.Equal(t, tag, hashTag(k), "id %q suffix %q", id, suf)
			require.NotEqual(t, k, hashTag(k), "id %q: the key has a hash tag", id)
			if prev, ok := seen[k]; ok {
				t.Fatalf("id %q suffix %q: key %q already built for %s", id, suf, k, prev)
			}
			seen[k] = fmt.Sprintf("%q%q", id, suf)
		}
	}
}

func FuzzTagged(f *testing.F) {
	for _, s := range []string{"", "}", "}job", "a}b", "{}", "job"} {
		f.Add(s, s+"x")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ka, kb := Tagged("p:", a, ":lock"), Tagged("p:", b, ":lock")
		if hashTag(ka) != hashTag(Tagged("p:", a, ":fence")) || hashTag(ka) == ka {
			t.Fatalf("id %q: keys in different slots", a)
		}
		if a != b && ka == kb {
			t.Fatalf("ids %q and %q share key %q", a, b, ka)
		}
	})
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
