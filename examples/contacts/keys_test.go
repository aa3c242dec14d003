package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
)

// TestDeploymentSalt: the passphrase's key is derived with the
// deployment's own salt, kept in contacts.keys (added to a file written
// before salts), and what was sealed under the fixed default salt still
// opens.
func TestDeploymentSalt(t *testing.T) {
	dir := t.TempDir()
	fresh, err := loadDevKeys(filepath.Join(dir, "fresh.keys"))
	if err != nil {
		t.Fatal(err)
	}
	if len(fresh.EncryptionSalt) < apicrypto.MinSaltLen {
		t.Fatalf("a new keys file has salt %q, want at least %d bytes", fresh.EncryptionSalt, apicrypto.MinSaltLen)
	}

	old := filepath.Join(dir, "old.keys")
	legacy := devKeys{JWTKey: "j0123456789abcdef0123456789abcdef", EncryptionPassphrase: "p0123456789abcdef"}
	data, _ := json.Marshal(legacy)
	if err := os.WriteFile(old, data, 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := loadDevKeys(old)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadDevKeys(old)
	if err != nil {
		t.Fatal(err)
	}
	if k.JWTKey != legacy.JWTKey || k.EncryptionPassphrase != legacy.EncryptionPassphrase || len(k.EncryptionSalt) < apicrypto.MinSaltLen || again != k {
		t.Fatalf("an old keys file became %+v then %+v: want its secrets kept and one salt added", k, again)
	}
	if fi, err := os.Stat(old); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file mode: %v %v", fi.Mode(), err)
	}

	before, err := apicrypto.New(k.EncryptionPassphrase, apicrypto.WithPurpose("contacts")) // the key before salts
	if err != nil {
		t.Fatal(err)
	}
	sealedBefore, err := before.Seal([]byte("totp secret"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := newSealer(k.EncryptionPassphrase, k.EncryptionSalt)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ring.Open(sealedBefore, []byte("ad")); err != nil || string(got) != "totp secret" {
		t.Fatalf("data sealed before the salt: %q, %v", got, err)
	}
	sealed, err := ring.Seal([]byte("new"), []byte("ad"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := before.Open(sealed, []byte("ad")); err == nil {
		t.Fatal("new data is sealed with the default-salt key")
	}
	other, err := newSealer(k.EncryptionPassphrase, fresh.EncryptionSalt)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(sealed, []byte("ad")); err == nil {
		t.Fatal("another deployment's salt opens this deployment's data")
	}
}
