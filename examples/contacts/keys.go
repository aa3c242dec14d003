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

	"github.com/apicrud-go/apicrud/config"
)

// devKeys are the secrets generated for a single-process service.
type devKeys struct {
	JWTKey               string `json:"jwt_key"`
	EncryptionPassphrase string `json:"encryption_passphrase"`
}

// withDevelopmentKeys lets `make run` work on a fresh machine without
// weakening the rule that a service never starts with default or empty
// secrets: when jwt_key or encryption_passphrase is not configured and the
// service runs alone (SQLite, no Redis), it generates random ones once and
// keeps them in contacts.keys beside the database, readable by its owner
// only, so sessions survive a restart. Otherwise lookup is returned as it
// is, and loading the configuration names the missing secret.
func withDevelopmentKeys(file string, lookup func(string) (string, bool)) (func(string) (string, bool), error) {
	probe := func(k string) (string, bool) {
		if k == "APICRUD_DEVELOPMENT" {
			return "true", true // only to read the configuration as it stands
		}
		return lookup(k)
	}
	cfg, err := config.LoadAs[serviceConfig](file, probe)
	if err != nil {
		return nil, err
	}
	if cfg.JWTKey().IsSet() && cfg.EncryptionPassphrase().IsSet() {
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
	keys, err := loadDevKeys(filepath.Join(filepath.Dir(path), "contacts.keys"))
	if err != nil {
		return nil, err
	}
	return func(k string) (string, bool) {
		if v, ok := lookup(k); ok {
			return v, ok
		}
		switch k {
		case "APICRUD_JWT_KEY":
			return keys.JWTKey, true
		case "APICRUD_ENCRYPTION_PASSPHRASE":
			return keys.EncryptionPassphrase, true
		}
		return "", false
	}, nil
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
		return k, nil
	case !errors.Is(err, fs.ErrNotExist):
		return k, err
	}
	k = devKeys{JWTKey: rand.Text() + rand.Text(), EncryptionPassphrase: rand.Text() + rand.Text()}
	data, _ = json.Marshal(k)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) { // another process was first
			return loadDevKeys(path)
		}
		return k, err
	}
	_, err = f.Write(data)
	return k, errors.Join(err, f.Close())
}
