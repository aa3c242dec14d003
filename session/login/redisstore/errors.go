package redisstore

import "errors"

// ErrOption is wrapped by the error New returns for an invalid option
// value.
var ErrOption = errors.New("loginredis: invalid option")
