package main

import (
	"fmt"

	"github.com/apicrud-go/apicrud/session/login"
	"github.com/apicrud-go/apicrud/session/login/hibp"
)

// breachCheck is the breached-password check of password_breach_check:
// new passwords (registration, reset, change, the admin's) are looked up
// in the Pwned Passwords range API of Have I Been Pwned, or in the mirror
// at password_breach_url, sending five hexadecimal digits of their SHA-1.
// It is off by default, so that the service (and its tests) never call
// the internet unless told to; nil when off.
func breachCheck(cfg *serviceConfig) (login.Option, error) {
	if !cfg.PasswordBreachCheck {
		return nil, nil
	}
	pwned, err := hibp.New(hibp.WithURL(cfg.PasswordBreachURL), hibp.WithUserAgent("apicrud-go-contacts"))
	if err != nil {
		return nil, fmt.Errorf("password_breach_url: %w", err)
	}
	return login.WithBreachCheck(login.BreachCheck{Checker: pwned, Timeout: cfg.PasswordBreachTimeout, FailClosed: cfg.PasswordBreachFailClosed}), nil
}
