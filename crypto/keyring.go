package crypto

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
)

// Keyring seals with its primary Cipher and opens with whichever of its
// Ciphers has the key id written in the ciphertext, so messages sealed
// under an older key still open after rotation. It has the same Seal, Open,
// SealString and OpenString methods as Cipher, so either satisfies a
// consumer's Sealer interface. A Keyring is immutable and safe for
// concurrent use; Rotate and Retire return new Keyrings.
type Keyring struct {
	primary *Cipher
	keys    map[uint32]*Cipher
	ids     []uint32 // sorted
}

// NewKeyring returns a Keyring that seals with primary and opens messages
// sealed by primary or by any of older. Every Cipher must be non-nil and
// have a distinct key id (ErrKeyring otherwise).
func NewKeyring(primary *Cipher, older ...*Cipher) (*Keyring, error) {
	if primary == nil {
		return nil, fmt.Errorf("%w: no primary key", ErrKeyring)
	}
	k := &Keyring{primary: primary, keys: make(map[uint32]*Cipher, 1+len(older))}
	for _, c := range append([]*Cipher{primary}, older...) {
		if c == nil {
			return nil, fmt.Errorf("%w: nil Cipher", ErrKeyring)
		}
		if _, dup := k.keys[c.id]; dup {
			return nil, fmt.Errorf("%w: two keys with id %#08x", ErrKeyring, c.id)
		}
		k.keys[c.id] = c
		k.ids = append(k.ids, c.id)
	}
	slices.Sort(k.ids)
	return k, nil
}

// Rotate returns a new Keyring whose primary is next and which still opens
// everything k opens. next must have a key id that k does not hold.
func (k *Keyring) Rotate(next *Cipher) (*Keyring, error) {
	if k == nil || k.primary == nil {
		return NewKeyring(next)
	}
	rest := make([]*Cipher, 0, len(k.ids))
	for _, id := range k.ids {
		rest = append(rest, k.keys[id])
	}
	return NewKeyring(next, rest...)
}

// Retire returns a new Keyring without the key id, after every message
// sealed under it has been re-sealed or has expired. The primary key cannot
// be retired (ErrKeyring); rotate first.
func (k *Keyring) Retire(id uint32) (*Keyring, error) {
	if k == nil || k.primary == nil {
		return nil, fmt.Errorf("%w: not created with NewKeyring", ErrKeyring)
	}
	if id == k.primary.id {
		return nil, fmt.Errorf("%w: cannot retire the primary key %#08x", ErrKeyring, id)
	}
	if _, ok := k.keys[id]; !ok {
		return nil, fmt.Errorf("%w: no key with id %#08x", ErrKeyring, id)
	}
	var rest []*Cipher
	for _, other := range k.ids {
		if other != id && other != k.primary.id {
			rest = append(rest, k.keys[other])
		}
	}
	return NewKeyring(k.primary, rest...)
}

// PrimaryID returns the key id Seal writes (0 for a Keyring not created
// with NewKeyring).
func (k *Keyring) PrimaryID() uint32 {
	if k == nil || k.primary == nil {
		return 0
	}
	return k.primary.id
}

// KeyIDs returns the ids of every key that Open accepts, in ascending order
// (none for a Keyring not created with NewKeyring).
func (k *Keyring) KeyIDs() []uint32 {
	if k == nil {
		return nil
	}
	return slices.Clone(k.ids)
}

// Seal is Cipher.Seal with the primary key.
func (k *Keyring) Seal(plaintext, additionalData []byte) ([]byte, error) {
	if k == nil || k.primary == nil {
		return nil, fmt.Errorf("%w: not created with NewKeyring", ErrKeyring)
	}
	return k.primary.Seal(plaintext, additionalData)
}

// Open is Cipher.Open with the key whose id the ciphertext carries; an id
// the Keyring does not hold gives an error wrapping ErrDecrypt.
func (k *Keyring) Open(ciphertext, additionalData []byte) ([]byte, error) {
	if k == nil {
		return nil, fmt.Errorf("%w: nil Keyring", ErrDecrypt)
	}
	id, err := parseHeader(ciphertext)
	if err != nil {
		return nil, err
	}
	c, ok := k.keys[id]
	if !ok {
		return nil, fmt.Errorf("%w: unknown key id %#08x", ErrDecrypt, id)
	}
	return c.open(ciphertext, additionalData)
}

// SealString is Cipher.SealString with the primary key.
func (k *Keyring) SealString(plaintext string) (string, error) { return sealString(k, plaintext) }

// OpenString is Cipher.OpenString with the key the ciphertext names.
func (k *Keyring) OpenString(ciphertext string) (string, error) { return openString(k, ciphertext) }

// String lists the key ids, never the keys.
func (k *Keyring) String() string {
	if k == nil || k.primary == nil {
		return "crypto.Keyring(nil)"
	}
	ids := make([]string, len(k.ids))
	for i, id := range k.ids {
		ids[i] = fmt.Sprintf("%#08x", id)
	}
	return fmt.Sprintf("crypto.Keyring{primary: %#08x, keyIDs: [%s], keys: %s}", k.primary.id, strings.Join(ids, " "), redacted)
}

// GoString is String.
func (k *Keyring) GoString() string { return k.String() }

// Format prints String for every fmt verb.
func (k *Keyring) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue reports the key ids to log/slog, never the keys.
func (k *Keyring) LogValue() slog.Value {
	if k == nil || k.primary == nil {
		return slog.StringValue("<nil>")
	}
	ids := make([]string, len(k.ids))
	for i, id := range k.ids {
		ids[i] = fmt.Sprintf("%#08x", id)
	}
	return slog.GroupValue(
		slog.String("primary", fmt.Sprintf("%#08x", k.primary.id)),
		slog.Any("key_ids", ids),
		slog.String("keys", redacted),
	)
}

// MarshalText writes String, never the keys.
func (k *Keyring) MarshalText() ([]byte, error) { return []byte(k.String()), nil }
