package crypto

import "errors"

// ErrDecrypt is returned by every Open method when the input is not a
// ciphertext this Cipher or Keyring produced with the same additional data:
// empty, truncated, tampered, badly encoded, of an unknown format version,
// sealed under another key, or sealed with other additional data. The
// wrapped message says which structural check failed; a failed
// authentication check is reported without detail.
var ErrDecrypt = errors.New("crypto: message authentication failed or malformed ciphertext")

// ErrShortPassphrase is returned by New for a passphrase shorter than
// MinPassphraseLen bytes.
var ErrShortPassphrase = errors.New("crypto: passphrase too short")

// ErrKeySize is returned by NewFromKey and ParseKey for key material that is
// not exactly KeySize bytes long, or that is all zero bytes.
var ErrKeySize = errors.New("crypto: key must be 32 random bytes")

// ErrKeyring is returned by NewKeyring and the Keyring methods for an
// invalid key set: no primary key, a nil Cipher, or two keys with one id.
var ErrKeyring = errors.New("crypto: invalid keyring")

// ErrOption is returned by New and NewFromKey for an invalid option value.
var ErrOption = errors.New("crypto: invalid option")
