package metrics

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSeriesEncoding(t *testing.T) {
	names := []string{"a", "ab", "method", "resource"}
	for _, tc := range []struct {
		labels Labels
		want   string
	}{
		{Labels{"resource": "person", "method": "GET"}, "a=,ab=,method=GET,resource=person"},
		{Labels{"a": `x,y=z|w\`}, `a=x\,y\=z\|w\\,ab=,method=,resource=`},
		{Labels{}, "a=,ab=,method=,resource="},
		{Labels{"ab": "é"}, "a=,ab=é,method=,resource="},
	} {
		got, err := encodeSeries(names, tc.labels)
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
		vals, suffix, err := decodeSeries(got, names)
		require.NoError(t, err)
		require.Empty(t, suffix)
		for i, n := range names {
			require.Equal(t, tc.labels[n], vals[i])
		}
		vals, suffix, err = decodeSeries(got+"|le=0.5", names)
		require.NoError(t, err)
		require.Equal(t, "le=0.5", suffix)
		require.Len(t, vals, len(names))
	}
	_, err := encodeSeries(names, Labels{"other": "x"})
	require.ErrorIs(t, err, ErrLabel)
	_, err = encodeSeries(names, Labels{"a": "\xff"})
	require.ErrorIs(t, err, ErrLabel)

	got, err := encodeSeries(nil, nil)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestDecodeSeriesHostile(t *testing.T) {
	names := []string{"a", "b"}
	for _, s := range []string{
		"", "a=1", "b=1,a=2", "a=1,b=2,c=3", "a=1;b=2", `a=1\`, "a=1=2,b=3", "a=1,b=2x|", "x", "a=\xff,b=",
		"a=1,,b=2", "a=1,b", "|le=1",
	} {
		if s == "a=1,b=2x|" {
			_, suffix, err := decodeSeries(s, names)
			require.NoError(t, err)
			require.Empty(t, suffix)
			continue
		}
		_, _, err := decodeSeries(s, names)
		require.ErrorIs(t, err, errSeries, "%q", s)
	}
}

func FuzzDecodeSeries(f *testing.F) {
	for _, s := range []string{"a=1,b=2", `a=x\,y,b=`, "a=,b=|le=0.5", "a=1,b=2|sum", `a=\`, "", "|"} {
		f.Add(s)
	}
	names := []string{"a", "b"}
	f.Fuzz(func(t *testing.T, s string) {
		vals, suffix, err := decodeSeries(s, names)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same series.
		enc, err := encodeSeries(names, Labels{"a": vals[0], "b": vals[1]})
		if err != nil {
			return // e.g. an overlong value
		}
		if suffix != "" {
			enc += "|" + suffix
		}
		if enc != s {
			// Escaping is canonical except for escapes of characters that
			// need none ("\x" reads as "x").
			v2, s2, err := decodeSeries(enc, names)
			if err != nil || v2[0] != vals[0] || v2[1] != vals[1] || s2 != suffix {
				t.Fatalf("%q decodes to %q|%q but re-encodes to %q", s, vals, suffix, enc)
			}
		}
	})
}

func TestPeriodBounds(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 30, 0, 0, time.FixedZone("x", 5*3600)) // 05:30 UTC, a Sunday
	for _, tc := range []struct {
		p          Period
		n          int
		start, key string
	}{
		{Hour, 0, "2026-03-01T05:00:00Z", "2026-03-01T05"},
		{Hour, -1, "2026-03-01T04:00:00Z", "2026-03-01T04"},
		{Day, 0, "2026-03-01T00:00:00Z", "2026-03-01"},
		{Day, -1, "2026-02-28T00:00:00Z", "2026-02-28"},
		{Week, 0, "2026-02-23T00:00:00Z", "2026-W09"},
		{Week, -1, "2026-02-16T00:00:00Z", "2026-W08"},
		{Month, 0, "2026-03-01T00:00:00Z", "2026-03"},
		{Month, -1, "2026-02-01T00:00:00Z", "2026-02"},
		{Month, -3, "2025-12-01T00:00:00Z", "2025-12"},
	} {
		start, end, key := tc.p.bounds(at, tc.n)
		require.Equal(t, tc.start, start.Format(time.RFC3339), "%s %d", tc.p, tc.n)
		require.Equal(t, tc.key, key)
		require.True(t, end.After(start))
	}
	_, _, key := Indefinite.bounds(at, 0)
	require.Equal(t, "all", key)
	require.Equal(t, 31*24*time.Hour, Month.Duration())
	require.Zero(t, Indefinite.Duration())
}

// FuzzParseLabels: ParseLabels never panics; what it accepts has valid
// names, and every label set it accepts encodes to one series key that
// decodes back to the same values, whatever the order of the pairs.
func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{"resource=person\nmethod=GET", "a=\nb=x,y", `a=\|=,`, "a", "=x", "__a=1", "a=1\na=2", "a=\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pairs := strings.Split(s, "\n")
		l, err := ParseLabels(pairs)
		if err != nil {
			require.ErrorIs(t, err, ErrLabel)
			require.Nil(t, l)
			return
		}
		require.Len(t, l, len(pairs))
		names := make([]string, 0, len(l))
		for n := range l {
			require.True(t, validLabelName(n), "%q", n)
			names = append(names, n)
		}
		slices.Sort(names)
		key, err := encodeSeries(names, l)
		if err != nil {
			require.ErrorIs(t, err, ErrLabel) // a value too long or not UTF-8
			return
		}
		slices.Reverse(pairs)
		l2, err := ParseLabels(pairs)
		require.NoError(t, err)
		key2, err := encodeSeries(names, l2)
		require.NoError(t, err)
		require.Equal(t, key, key2, "order does not matter")
		vals, suffix, err := decodeSeries(key, names)
		require.NoError(t, err)
		require.Empty(t, suffix)
		for i, n := range names {
			require.Equal(t, l[n], vals[i])
		}
	})
}
