package passkey

import (
	"context"
	"encoding/base64"
	"log/slog"
	"time"
)

// Credential is a passkey as a Store keeps it: the public key and what
// the authenticator said about itself at enrolment, never a secret.
// Times are in UTC; stores keep millisecond precision.
type Credential struct {
	// ID is the credential id the authenticator chose: 1 to MaxIDLen
	// bytes, unique among all accounts.
	ID []byte
	// UID is the account the passkey belongs to.
	UID string
	// Name is the label its owner gave it: 1 to MaxNameLen bytes of
	// printable UTF-8.
	Name string
	// PublicKey is the credential public key, COSE-encoded.
	PublicKey []byte
	// SignCount is the authenticator's signature counter at the last
	// accepted use (0 for authenticators without one, as synced passkeys).
	SignCount uint32
	// AAGUID identifies the authenticator model (zeros when it does not
	// say).
	AAGUID []byte
	// Transports are the transports the browser reported ("internal",
	// "hybrid", "usb" …), hints for later ceremonies.
	Transports []string
	// BackupEligible and BackupState are the authenticator's flags: a
	// passkey that may be synced to other devices, and one that is.
	BackupEligible, BackupState bool
	// UserVerified reports that the authenticator verified its user (PIN,
	// biometrics) at enrolment.
	UserVerified bool
	// AttestationFormat is the attestation statement format at enrolment
	// ("none" unless the host asks for attestation).
	AttestationFormat string
	// Created is the enrolment time; LastUsed the last accepted login
	// (zero: never).
	Created, LastUsed time.Time
}

// Limits of a Credential.
const (
	// MaxIDLen is the longest credential id WebAuthn allows, in bytes.
	MaxIDLen = 1023
	// MaxNameLen is the longest Name, in bytes.
	MaxNameLen = 64
)

// LogValue logs the passkey's id, owner and name.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", EncodeID(c.ID)), slog.String("uid", c.UID), slog.String("name", c.Name))
}

// EncodeID returns the base64url form (without padding) of a credential
// id, the form WebAuthn's JSON uses and the HTTP routes carry.
func EncodeID(id []byte) string { return base64.RawURLEncoding.EncodeToString(id) }

// DecodeID parses the base64url form of a credential id (ErrNotFound for
// anything that is not 1 to MaxIDLen bytes in that form).
func DecodeID(s string) ([]byte, error) {
	id, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(id) == 0 || len(id) > MaxIDLen {
		return nil, ErrNotFound
	}
	return id, nil
}

// Store keeps passkeys. Implementations must be safe for concurrent use.
// The MemoryStore, package passkey/redisstore and package
// passkey/sqlstore pass the conformance suite of package
// passkey/storetest. A method that cannot reach its backend returns an
// error; it never reports a passkey valid or absent in its place.
type Store interface {
	// Add stores c. It returns ErrExists when a passkey with c.ID is
	// stored, for any account, and stores nothing then.
	Add(ctx context.Context, c Credential) error
	// Get returns the passkey id of account uid, or ErrNotFound (also
	// when id belongs to another account).
	Get(ctx context.Context, uid string, id []byte) (Credential, error)
	// List returns the passkeys of account uid, oldest first (ties by
	// id); none is an empty list and no error.
	List(ctx context.Context, uid string) ([]Credential, error)
	// Rename sets the name of passkey id of account uid, or returns
	// ErrNotFound.
	Rename(ctx context.Context, uid string, id []byte, name string) error
	// Remove deletes passkey id of account uid, or returns ErrNotFound.
	Remove(ctx context.Context, uid string, id []byte) error
	// RemoveAll deletes every passkey of account uid and returns how
	// many there were.
	RemoveAll(ctx context.Context, uid string) (int, error)
	// Use records an accepted login with passkey id of account uid whose
	// authenticator reported signature counter count: when count is
	// greater than the stored counter, or both are 0 (an authenticator
	// without counter), it stores count, sets LastUsed to at and reports
	// true, atomically. Otherwise (the counter did not advance: a cloned
	// authenticator or a replay) it changes nothing and reports false.
	// ErrNotFound when absent.
	Use(ctx context.Context, uid string, id []byte, count uint32, at time.Time) (bool, error)
}
