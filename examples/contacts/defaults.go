package main

import (
	"github.com/apicrud-go/apicrud/config"
	"github.com/apicrud-go/apicrud/session/login"
)

// defaultGrants are the service's free tier, apicrud's: its own grants
// (albums, video_duration_max, ...), not the library's, which has none.
// default_grants in the file or the environment changes single entries.
// The "ratelimit" grant's default is ratelimit_requests (newApp adds it),
// so that the two cannot disagree.
var defaultGrants = map[string]int64{
	"albums": 10, "album_size": 64, "apikeys": 2, "contacts": 8,
	"email_daily_total": 200, "email_monthly_total": 1000, "lists": 12,
	"list_size": 250, "media_size_max": 16777216, "message_daily_total": 200,
	"photo_res_max": 1080, "photo_daily_total": 200,
	"sms_daily_total": 100, "sms_monthly_total": 1000,
	"video_duration_max": 60, "video_daily_total": 50,
}

// loadConfig loads the service's configuration with its own defaults
// (default_grants, and restricted_usernames: the login package's list)
// under the file, the environment and opts.
func loadConfig(file string, lookup func(string) (string, bool), opts ...config.Option) (*serviceConfig, error) {
	return config.LoadAs[serviceConfig](file, lookup, append([]config.Option{
		config.Default("default_grants", defaultGrants),
		config.Default("restricted_usernames", login.RestrictedUsernames()),
	}, opts...)...)
}
