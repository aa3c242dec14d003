package main

import (
	"errors"
	"testing"

	"github.com/apicrud-go/apicrud/crud"
)

// TestSettingsHostileValues: the locale must be a BCP 47 tag and the time
// zone an IANA name; anything else is a 400 naming the field.
func TestSettingsHostileValues(t *testing.T) {
	for _, tc := range []struct {
		locale, timezone, field string
	}{
		{"de", "Europe/Berlin", ""},
		{"pt-BR", "America/Sao_Paulo", ""},
		{"zh-Hant", "UTC", ""},
		{"", "", ""},
		{"en", "Etc/GMT+5", ""},
		{"de\r\nX-Injected: 1", "UTC", "locale"},
		{"../../etc", "UTC", "locale"},
		{"en_US", "UTC", "locale"},
		{"not a tag", "UTC", "locale"},
		{"und", "UTC", "locale"},
		{"en", "../../etc/passwd", "timezone"},
		{"en", "/etc/localtime", "timezone"},
		{"en", "Europe/Berlin\r\n", "timezone"},
		{"en", "Local", "timezone"},
		{"en", "Mars/Olympus_Mons", "timezone"},
		{"en", "Europe//Berlin", "timezone"},
		{"en", "Europe/Berlin\x00", "timezone"},
	} {
		err := validSettings(&Settings{Locale: tc.locale, Timezone: tc.timezone})
		if tc.field == "" {
			if err != nil {
				t.Errorf("%q %q: %v", tc.locale, tc.timezone, err)
			}
			continue
		}
		var fe *crud.FieldError
		if !errors.As(err, &fe) || fe.Field != tc.field || fe.Code != crud.CodeInvalidValue {
			t.Errorf("%q %q: got %v, want an invalid %s", tc.locale, tc.timezone, err, tc.field)
		}
	}
}

// FuzzSettings: no panic, and what is accepted is a plain tag and a name
// without path tricks.
func FuzzSettings(f *testing.F) {
	for _, s := range [][2]string{{"de", "Europe/Berlin"}, {"../x", "../../etc"}, {"en\r\n", "UTC\n"}, {"x-private", "Etc/GMT-14"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, locale, zone string) {
		if validSettings(&Settings{Locale: locale, Timezone: zone}) == nil {
			if !isTagText(locale) || (zone != "" && !isZoneText(zone)) {
				t.Fatalf("accepted %q %q", locale, zone)
			}
		}
	})
}
