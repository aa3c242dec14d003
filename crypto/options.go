package crypto

import "fmt"

// MinSaltLen is the minimum length of a salt given to WithSalt.
const MinSaltLen = 16

// DefaultSalt is the fixed argon2id salt New uses unless WithSalt gives
// another one. A passphrase must derive the same key in every instance of a
// service without any stored state, so the salt cannot be random per
// process; a deployment that wants protection against precomputed tables
// shared by every apicrud user passes its own salt (for example the service
// name and a random string from its configuration).
const DefaultSalt = "apicrud-go/crypto/v1 passphrase"

// Option configures New and NewFromKey.
type Option func(*options) error

type options struct {
	keyID    uint32
	hasKeyID bool
	purpose  string
	salt     []byte
}

// WithKeyID sets the key id written into every ciphertext the Cipher seals
// and required of every ciphertext it opens. The default id is a 32-bit
// fingerprint of the derived key, so distinct keys get distinct ids without
// configuration; set ids explicitly when operators name keys (1, 2, 3...) in
// a rotation schedule.
func WithKeyID(id uint32) Option {
	return func(o *options) error {
		o.keyID, o.hasKeyID = id, true
		return nil
	}
}

// WithPurpose separates keys by use: the same passphrase or key with two
// purposes ("session", "registry") gives two unrelated AES keys, so a
// ciphertext made for one use never opens in another. The purpose is the
// HKDF info string. Default: "" (no separation).
func WithPurpose(purpose string) Option {
	return func(o *options) error {
		if len(purpose) > 255 {
			return fmt.Errorf("%w: purpose longer than 255 bytes", ErrOption)
		}
		o.purpose = purpose
		return nil
	}
}

// WithSalt replaces DefaultSalt as the argon2id salt of New. It must be at
// least MinSaltLen bytes and identical on every instance that shares
// ciphertexts. NewFromKey ignores it (HKDF of a random key needs no secret
// salt).
func WithSalt(salt []byte) Option {
	return func(o *options) error {
		if len(salt) < MinSaltLen {
			return fmt.Errorf("%w: salt shorter than %d bytes", ErrOption, MinSaltLen)
		}
		o.salt = append([]byte(nil), salt...)
		return nil
	}
}

func buildOptions(opts []Option) (options, error) {
	o := options{salt: []byte(DefaultSalt)}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(&o); err != nil {
			return o, err
		}
	}
	return o, nil
}
