package main

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
)

// devKeys are the secrets generated for a single-process service.
type devKeys struct {
	JWTKey               string `json:"jwt_key"`
	EncryptionPassphrase string `json:"encryption_passphrase"`
	// EncryptionSalt is the deployment's own argon2id salt for the
	// passphrase (added to a keys file written before it had one).
	EncryptionSalt string `json:"encryption_salt,omitempty"`
}

// withDevelopmentKeys lets `make run` work on a fresh machine without
// weakening the rule that a service never starts with default or empty
// secrets: when jwt_key or encryption_passphrase is not configured and the
// service runs alone (SQLite, no Redis), it generates random ones once and
// keeps them in contacts.keys beside the database, readable by its owner
// only, so sessions survive a restart. Otherwise lookup is returned as it
// is, and loading the configuration names the missing secret.
func withDevelopmentKeys(file string, lookup func(string) (string, bool)) (func(string) (string, bool), error) {
	cfg, err := loadConfig(file, developmentProbe(lookup))
	if err != nil {
		return nil, err
	}
	if cfg.JWTKey().IsSet() && cfg.EncryptionPassphrase().IsSet() && cfg.EncryptionSalt != "" {
		return lookup, nil
	}
	db := cfg.DatabaseURL()
	if cfg.RedisURL() != "" || db != "" && !strings.HasPrefix(db, "sqlite:") {
		return lookup, nil // several instances: the secrets must be given
	}
	path := strings.TrimPrefix(strings.TrimPrefix(db, "sqlite:"), "//")
	if path == "" {
		path = "contacts.db"
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("DATABASE_URL: the directory of the SQLite database %s does not exist", path)
	}
	keys, err := loadDevKeys(filepath.Join(filepath.Dir(path), "contacts.keys"))
	if err != nil {
		return nil, err
	}
	// Only the secret that is not configured is supplied: one set in the
	// file or the environment is never replaced.
	jwt, pass, salt := !cfg.JWTKey().IsSet(), !cfg.EncryptionPassphrase().IsSet(), cfg.EncryptionSalt == ""
	return func(k string) (string, bool) {
		if v, ok := lookup(k); ok {
			return v, ok
		}
		switch {
		case k == "APICRUD_JWT_KEY" && jwt:
			return keys.JWTKey, true
		case k == "APICRUD_ENCRYPTION_PASSPHRASE" && pass:
			return keys.EncryptionPassphrase, true
		case k == "APICRUD_ENCRYPTION_SALT" && salt:
			return keys.EncryptionSalt, true
		}
		return "", false
	}, nil
}

// developmentProbe is lookup in development mode, only to read the
// configuration as it stands before the secrets are settled.
func developmentProbe(lookup func(string) (string, bool)) func(string) (string, bool) {
	return func(k string) (string, bool) {
		if k == "APICRUD_DEVELOPMENT" {
			return "true", true
		}
		return lookup(k)
	}
}

// loadDevKeys reads the keys file, creating it with fresh random secrets
// when it does not exist.
func loadDevKeys(path string) (devKeys, error) {
	var k devKeys
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &k); err != nil || len(k.JWTKey) < 32 || len(k.EncryptionPassphrase) < 16 {
			return k, fmt.Errorf("%s: not a keys file; delete it to generate new keys", path)
		}
		if k.EncryptionSalt == "" { // written before salts: add one, keep the rest
			k.EncryptionSalt = rand.Text()
			data, _ = json.Marshal(k)
			tmp := path + "." + rand.Text()[:8]
			if err := os.WriteFile(tmp, data, 0o600); err != nil {
				return k, err
			}
			if err := os.Rename(tmp, path); err != nil {
				_ = os.Remove(tmp)
				return k, err
			}
			return loadDevKeys(path) // a process adding one at the same time may have won
		}
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return k, err
	}
	k = devKeys{JWTKey: rand.Text() + rand.Text(), EncryptionPassphrase: rand.Text() + rand.Text(), EncryptionSalt: rand.Text()}
	data, _ = json.Marshal(k)
	// Written whole under a temporary name, then linked into place: a
	// process starting at the same time sees no file or a complete one.
	tmp := path + "." + rand.Text()[:8]
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return k, err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process was first
			return loadDevKeys(path)
		}
		return k, err
	}
	return k, nil
}

// newSealer returns the service's sealer: a Keyring whose primary cipher
// derives its key from passphrase with the deployment's own salt, so that
// a passphrase reused elsewhere, or guessed, does not open this
// deployment's data with a table precomputed for DefaultSalt. It still
// opens what was sealed before the deployment had a salt (the cipher of
// DefaultSalt, an older key of the ring). Without a salt (an older
// configuration) the DefaultSalt cipher is the only one.
func newSealer(passphrase, salt string) (*apicrypto.Keyring, error) {
	legacy, err := apicrypto.New(passphrase, apicrypto.WithPurpose("contacts"))
	if err != nil {
		return nil, fmt.Errorf("encryption_passphrase: %w", err)
	}
	if salt == "" {
		return apicrypto.NewKeyring(legacy)
	}
	primary, err := apicrypto.New(passphrase, apicrypto.WithPurpose("contacts"), apicrypto.WithSalt([]byte(salt)))
	if err != nil {
		return nil, fmt.Errorf("encryption_salt: %w", err)
	}
	return apicrypto.NewKeyring(primary, legacy)
}
