// Package crypto is apicrud's authenticated encryption: AES-256-GCM ciphers
// built from a passphrase or a random key, and a Keyring for key rotation.
//
// The package name clashes with the standard library's crypto package;
// files that import both use the alias apicrypto:
//
//	import apicrypto "github.com/apicrud-go/apicrud/crypto"
//
//	c, err := apicrypto.NewFromKey(key, apicrypto.WithPurpose("session"))
//
// # Overview
//
// A Cipher seals bytes (Seal, Open) and strings (SealString, OpenString,
// unpadded URL-safe base64) with one key. A Keyring holds several Ciphers:
// it seals with the primary and opens with whichever key the ciphertext
// names. Both have the method set
//
//	Seal(plaintext, additionalData []byte) ([]byte, error)
//	Open(ciphertext, additionalData []byte) ([]byte, error)
//
// that consumers (session, registry) declare as their own Sealer interface,
// so either can be passed to them. additionalData binds a ciphertext to its
// context (for example the Redis key it is stored under): it is
// authenticated, not stored, and Open fails unless given the same bytes.
//
// # Format
//
// Version 1 ciphertexts are
//
//	version 0x01 (1 byte) | key id (4 bytes, big endian) | nonce (12 bytes) | AES-GCM ciphertext | tag (16 bytes)
//
// Overhead is 33 bytes. The nonce is random per message (crypto/rand). The
// GCM additional data is the 5-byte header followed by the caller's
// additionalData, so the version and key id are authenticated too.
//
// # Key derivation
//
//   - New(passphrase): argon2id with fixed parameters (Argon2Time = 2,
//     Argon2Memory = 19 MiB, Argon2Threads = 1: OWASP's recommendation) and a
//     salt: the deployment's own from WithSalt, or else the fixed
//     DefaultSalt. The salt is not random per call, because every instance
//     of a service must derive the same key from the same configuration
//     without shared state; it should be random per deployment, generated
//     once and stored with the deployment's other secrets (the contacts
//     example keeps it in encryption_salt, generated into contacts.keys).
//     With DefaultSalt, which every apicrud user shares, one precomputed
//     table of guessed passphrases serves against all deployments. A
//     deployment that sealed data under DefaultSalt moves to its own salt
//     without re-sealing: a Keyring whose primary is the new Cipher and
//     whose older key is the DefaultSalt one seals with the first and
//     still opens what the second sealed (the key ids differ). The
//     parameters are part of the format and therefore not options. The
//     derivation runs once, in New (about 0.1 s and 19 MiB).
//     Passphrases shorter than 16 bytes are rejected (ErrShortPassphrase).
//   - NewFromKey(key): the key must be 32 bytes from a secure random source
//     (GenerateKey, ParseKey). No stretching is needed; an all-zero key is
//     rejected (ErrKeySize).
//
// In both cases the AES-256 key is then HKDF-SHA-256(master, info =
// "apicrud-go/crypto/v1 aes-256-gcm" + purpose), where the purpose comes
// from WithPurpose: one secret can serve several uses ("session",
// "registry", "totp") with unrelated keys. Unless WithKeyID sets it, the key
// id is a 32-bit HKDF fingerprint of the master secret and purpose (it
// reveals nothing a ciphertext's tag does not already let an attacker test).
//
// # Key rotation
//
//	next, _ := apicrypto.NewFromKey(newKey)
//	ring, _ = ring.Rotate(next) // seals with next, still opens the old ones
//	// ... once every old ciphertext has expired or been re-sealed:
//	ring, _ = ring.Retire(oldID)
//
// Keyrings are immutable: Rotate and Retire return new ones. A host swaps
// the Keyring it hands to its components (for example behind an
// atomic.Pointer) or restarts with the new key set.
//
// # Errors
//
// Open and OpenString return an error wrapping ErrDecrypt for any input that
// is not an authentic ciphertext for this key and additional data: empty,
// truncated, bad base64, unknown version, unknown or other key id, tampered,
// or sealed with other additional data. They never panic (fuzzed). The
// message says which structural check failed; an authentication failure
// carries no detail.
//
// # Concurrency
//
// Cipher, Keyring and Key are immutable values, safe for concurrent use.
//
// # Security
//
// This package replaces apicrud's AESEncrypt and AESEncryptBin, which used AES-CBC without a MAC (malleable: an
// attacker with Redis write access could flip a session's "user" into
// "admin"), an unsalted SHA-256 of the passphrase as key, and unvalidated
// padding. Here every message is authenticated, keys come from a real KDF,
// and keys are separated by purpose. The formats are deliberately not
// compatible with the Python ones: data sealed by the original cannot be
// opened, and must be re-created (sessions, registry entries expire on
// their own). apicrud's quirk of AESEncrypt failing on non-ASCII text does
// not exist: strings are sealed as their bytes.
//
// With random 96-bit nonces, seal at most 2^32 messages under one key
// (NIST SP 800-38D); rotate long before that. Key material never leaves a
// Cipher, Keyring or Key through fmt, log/slog or encoding/json: they print
// "[REDACTED]" and key ids only. Key.Encode is the one explicit way out.
//
// Decryption cost does not depend on the secret key beyond AES-GCM's own
// constant-time implementation; structural checks (length, version, key id)
// look only at public bytes.
package crypto
