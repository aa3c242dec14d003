package redisstore

import "errors"

// ErrOption is wrapped by the error New returns for an invalid argument
// or option.
var ErrOption = errors.New("passkeyredis: invalid option")
