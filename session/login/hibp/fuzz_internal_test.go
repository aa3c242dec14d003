package hibp

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// suffix is the hash suffix the hostile answers are parsed against.
const suffix = "1E4C9B93F3F0682250B6CF8331B7EE68FD8"

// TestParseRangeHostile: answers a hostile or broken server could send.
// Each is refused as ErrBadResponse, or parsed to the count it really
// lists; none panics, none matches by accident.
func TestParseRangeHostile(t *testing.T) {
	long := strings.Repeat("A", 1<<20)
	for _, tt := range []struct {
		name string
		body string
		want int64 // -1: ErrBadResponse
	}{
		{"empty", "", 0},
		{"the match", suffix + ":42", 42},
		{"the match, CRLF", suffix + ":42\r\n", 42},
		{"the match, LF", "00000000000000000000000000000000001:1\n" + suffix + ":42\n", 42},
		{"lower case", strings.ToLower(suffix) + ":42\r\n", 42},
		{"padding only", suffix + ":0\r\n", 0},
		{"padding and the match", suffix + ":0\r\n" + suffix + ":5\r\n", 5},
		{"duplicates: the largest", suffix + ":5\r\n" + suffix + ":9\r\n" + suffix + ":7", 9},
		{"leading zeros", suffix + ":000000000000000003", 3},
		{"largest count", suffix + ":999999999999999999", 999999999999999999},
		{"count too long", suffix + ":9999999999999999999", -1},
		{"negative", suffix + ":-3", -1},
		{"plus sign", suffix + ":+3", -1},
		{"no count", suffix + ":", -1},
		{"no colon", suffix + "42", -1},
		{"two colons", suffix + ":4:2", -1},
		{"space before count", suffix + ": 42", -1},
		{"trailing space", suffix + ":42 ", -1},
		{"tab", suffix + ":42\t", -1},
		{"hex count", suffix + ":0x2A", -1},
		{"suffix 34", suffix[1:] + ":1", -1},
		{"suffix 36", suffix + "0:1", -1},
		{"not hex", "Z" + suffix[1:] + ":1", -1},
		{"unicode digit", suffix + ":４２", -1},
		{"NUL", suffix + ":4\x002", -1},
		{"BOM", "\ufeff" + suffix + ":1", -1},
		{"blank line inside", "00000000000000000000000000000000001:1\r\n\r\n" + suffix + ":1", -1},
		{"only CRLF", "\r\n", -1},
		{"two newlines at the end", suffix + ":1\r\n\r\n", -1},
		{"bare CR separators", "00000000000000000000000000000000001:1\r" + suffix + ":1", -1},
		{"HTML", "<html><body>502 Bad Gateway</body></html>", -1},
		{"JSON", `{"` + suffix + `":42}`, -1},
		{"a long line", long, -1},
		{"a long line after the match", suffix + ":1\r\n" + long, -1},
		{"NTLM-length hash", "00000000000000000000000000000000000000:1", -1},
		{"whole SHA-1", "5BAA6" + suffix + ":1", -1},
	} {
		got, err := parseRange([]byte(tt.body), suffix)
		if tt.want < 0 {
			if !errors.Is(err, ErrBadResponse) || got != 0 {
				t.Errorf("%s: %d, %v; want ErrBadResponse", tt.name, got, err)
			}
			if err != nil && strings.Contains(err.Error(), suffix) {
				t.Errorf("%s: the error quotes the answer: %v", tt.name, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: %d, %v; want %d", tt.name, got, err, tt.want)
		}
	}
}

// FuzzParseRange: no input panics; a count is never negative; a match
// means the answer lists the suffix (in some case) with that count; and
// CRLF or LF separators give the same result.
func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"", suffix + ":42\r\n", strings.ToLower(suffix) + ":0", suffix + ":1\r\n" + suffix + ":3",
		"00000000000000000000000000000000001:1\r\n" + suffix + ":7\r\n", "<html>", suffix + ":-1", "\r\n\r\n", suffix + ":99999999999999999999"} {
		f.Add([]byte(s), suffix)
	}
	f.Fuzz(func(t *testing.T, body []byte, sfx string) {
		got, err := parseRange(body, sfx)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) || got != 0 {
				t.Fatalf("%q: %d, %v", body, got, err)
			}
		} else {
			if got < 0 {
				t.Fatalf("%q: count %d", body, got)
			}
			// The listed count may carry leading zeros: "SFX:0003" is 3.
			if got > 0 && !bytes.Contains(bytes.ToUpper(body), []byte(strings.ToUpper(sfx)+":"+fmt.Sprint(got))) &&
				!bytes.Contains(bytes.ToUpper(body), []byte(strings.ToUpper(sfx)+":0")) {
				t.Fatalf("%q: count %d of %q, which it does not list", body, got, sfx)
			}
		}
		if !bytes.Contains(body, []byte("\r")) {
			crlf := bytes.ReplaceAll(body, []byte("\n"), []byte("\r\n"))
			got2, err2 := parseRange(crlf, sfx)
			if got2 != got || (err == nil) != (err2 == nil) {
				t.Fatalf("%q: LF %d, %v; CRLF %d, %v", body, got, err, got2, err2)
			}
		}
	})
}
