package registry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/apicrud-go/apicrud/registry"
)

// fixedStore is a Store whose List returns the one record under test.
type fixedStore struct{ rec registry.Record }

func (s *fixedStore) Put(context.Context, string, []byte, time.Duration) error { return nil }
func (s *fixedStore) Delete(context.Context, string, []byte) (bool, error)     { return false, nil }
func (s *fixedStore) List(context.Context, string) ([]registry.Record, error) {
	return []registry.Record{s.rec}, nil
}

// FuzzFind feeds Find arbitrary stored entries: raw bytes (a writer
// without the key) and arbitrary plaintext sealed with the right key for
// the given store key (a buggy writer with the key). Find must never
// panic; every entry is either returned (then it is valid and matches its
// key) or rejected with ErrInvalidEntry or ErrStaleEntry.
func FuzzFind(f *testing.F) {
	sealer := newCipher(f, 1)
	store := &fixedStore{}
	var last *registry.EntryError
	c, err := registry.New(sealer, registry.WithStore(store),
		registry.WithRejectFunc(func(_ context.Context, err *registry.EntryError) { last = err }))
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	f.Add("main:a", []byte(`{"v":1,"instance":{"service":"main","id":"a","endpoints":["person"],"public_url":"https://x.example.com"},"heartbeat":"`+now+`","ttl":60000000000}`), true)
	f.Add("main:a", []byte(`{"v":1,"instance":{"service":"main","id":"b"},"heartbeat":"`+now+`","ttl":1}`), true)
	f.Add("main:a", []byte(`{"v":1}`), true)
	f.Add("main:a", []byte(`null`), true)
	f.Add("x", []byte{1, 2, 3}, false)
	f.Add("", []byte{}, false)
	f.Fuzz(func(t *testing.T, key string, data []byte, seal bool) {
		value := data
		if seal {
			v, err := sealer.Seal(data, []byte("apicrud-go/registry/v1\x00"+key))
			if err != nil {
				t.Fatal(err)
			}
			value = v
		}
		store.rec = registry.Record{Key: key, Value: value}
		last = nil
		res, err := c.Find(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		switch len(res.Instances) {
		case 0:
			if last == nil || !(errors.Is(last, registry.ErrInvalidEntry) || errors.Is(last, registry.ErrStaleEntry)) {
				t.Fatalf("entry neither returned nor rejected with a sentinel: %v", last)
			}
		case 1:
			if !seal {
				t.Fatalf("unsealed bytes accepted as an entry")
			}
			inst := res.Instances[0]
			if inst.Service+":"+inst.ID != key {
				t.Fatalf("entry for %s:%s accepted under key %q", inst.Service, inst.ID, key)
			}
		default:
			t.Fatalf("%d instances from one record", len(res.Instances))
		}
	})
}
