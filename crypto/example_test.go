package crypto_test

import (
	"errors"
	"fmt"
	"log"

	apicrypto "github.com/apicrud-go/apicrud/crypto"
)

// A random key, kept in a secret store, makes a Cipher for strings.
func Example() {
	key, err := apicrypto.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	c, err := apicrypto.NewFromKey(key.Bytes(), apicrypto.WithPurpose("session"))
	if err != nil {
		log.Fatal(err)
	}
	token, err := c.SealString(`{"uid":"x-1234"}`)
	if err != nil {
		log.Fatal(err)
	}
	plain, err := c.OpenString(token)
	fmt.Println(plain, err)

	// Anything else (here, a changed version byte) fails with ErrDecrypt.
	_, err = c.OpenString("B" + token[1:])
	fmt.Println(errors.Is(err, apicrypto.ErrDecrypt))
	fmt.Println(key) // keys redact themselves
	// Output:
	// {"uid":"x-1234"} <nil>
	// true
	// [REDACTED]
}

// A passphrase is stretched once with argon2id; passphrases shorter than 16
// bytes are refused.
func ExampleNew() {
	_, err := apicrypto.New("too short")
	fmt.Println(errors.Is(err, apicrypto.ErrShortPassphrase))

	c, err := apicrypto.New("a long and random configured passphrase")
	if err != nil {
		log.Fatal(err)
	}
	ct, _ := c.Seal([]byte("backup codes"), nil)
	pt, err := c.Open(ct, nil)
	fmt.Println(string(pt), err)
	// Output:
	// true
	// backup codes <nil>
}

// Additional data binds a ciphertext to where it is stored: moving it to
// another key fails.
func ExampleCipher_Seal() {
	key, _ := apicrypto.GenerateKey()
	c, _ := apicrypto.NewFromKey(key.Bytes())

	ct, _ := c.Seal([]byte(`{"auth":"user"}`), []byte("ses:alice"))
	_, err := c.Open(ct, []byte("ses:bob"))
	fmt.Println(errors.Is(err, apicrypto.ErrDecrypt))
	pt, _ := c.Open(ct, []byte("ses:alice"))
	fmt.Println(string(pt))
	// Output:
	// true
	// {"auth":"user"}
}

// Rotation: the new key seals, the old one still opens old messages until
// it is retired.
func ExampleKeyring_Rotate() {
	k1, _ := apicrypto.GenerateKey()
	k2, _ := apicrypto.GenerateKey()
	old, _ := apicrypto.NewFromKey(k1.Bytes(), apicrypto.WithKeyID(1))
	next, _ := apicrypto.NewFromKey(k2.Bytes(), apicrypto.WithKeyID(2))

	ring, _ := apicrypto.NewKeyring(old)
	sealedBefore, _ := ring.SealString("sealed before rotation")

	ring, err := ring.Rotate(next)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ring.PrimaryID(), ring.KeyIDs())
	s, err := ring.OpenString(sealedBefore)
	fmt.Println(s, err)

	ring, _ = ring.Retire(1)
	_, err = ring.OpenString(sealedBefore)
	fmt.Println(errors.Is(err, apicrypto.ErrDecrypt))
	// Output:
	// 2 [1 2]
	// sealed before rotation <nil>
	// true
}
