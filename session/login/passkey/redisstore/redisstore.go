package redisstore

import (
	"context"
	_ "embed" // Lua scripts
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/apicrud-go/apicrud/internal/rediskey"
	"github.com/apicrud-go/apicrud/session/login/passkey"
)

// DefaultPrefix is the key prefix unless WithPrefix changes it.
const DefaultPrefix = "apicrud:passkey:"

var (
	//go:embed use.lua
	useSrc string
	//go:embed rename.lua
	renameSrc string
	//go:embed remove.lua
	removeSrc string
	//go:embed removeall.lua
	removeAllSrc string
	//go:embed unindex.lua
	unindexSrc string

	useScript       = redis.NewScript(useSrc)
	renameScript    = redis.NewScript(renameSrc)
	removeScript    = redis.NewScript(removeSrc)
	removeAllScript = redis.NewScript(removeAllSrc)
	unindexScript   = redis.NewScript(unindexSrc)
)

// Client is what the Store needs of a go-redis client: a *redis.Client,
// *redis.ClusterClient, a Sentinel failover client or a *redis.Ring
// satisfy it.
type Client interface {
	redis.Scripter
	HSet(ctx context.Context, key string, values ...any) *redis.IntCmd
	HMGet(ctx context.Context, key string, fields ...string) *redis.SliceCmd
	HGetAll(ctx context.Context, key string) *redis.MapStringStringCmd
	SetNX(ctx context.Context, key string, value any, expiration time.Duration) *redis.BoolCmd
}

// Store is the Redis passkey.Store. It is safe for concurrent use. It
// does not own the client. Use New; the zero value is not usable.
//
// An account's passkeys are one hash, <prefix>{<uid>}:pk, so that every
// change to them is one atomic script; <prefix>id:<id> names the owner of
// each credential id, which keeps ids unique across accounts. Get, List,
// Rename and Use are one round trip; Add and Remove two (the owner index
// lives in another Cluster slot), RemoveAll one plus one per passkey. A crash between the two
// round trips of Remove leaves an index entry that keeps the id from
// being enrolled again, never a passkey that logs in.
type Store struct {
	rdb    Client
	prefix string
}

var _ passkey.Store = (*Store)(nil)

// Option configures New.
type Option func(*Store) error

// WithPrefix sets the key prefix (default DefaultPrefix): 1 to 128 bytes
// without "{", "}", spaces or control characters (ErrOption).
func WithPrefix(prefix string) Option {
	return func(s *Store) error {
		if err := rediskey.CheckPrefix(prefix); err != nil {
			return fmt.Errorf("%w: %w", ErrOption, err)
		}
		s.prefix = prefix
		return nil
	}
}

// New returns a Store on rdb.
func New(rdb Client, opts ...Option) (*Store, error) {
	if rdb == nil {
		return nil, fmt.Errorf("%w: nil client", ErrOption)
	}
	s := &Store{rdb: rdb, prefix: DefaultPrefix}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *Store) hash(uid string) string { return rediskey.Tagged(s.prefix, uid, ":pk") }

func (s *Store) index(id string) string { return s.prefix + "id:" + id }

func wrap(op string, err error) error { return fmt.Errorf("passkeyredis: %s: %w", op, err) }

// static is the part of a passkey that never changes after enrolment.
type static struct {
	PublicKey  []byte   `json:"k"`
	AAGUID     []byte   `json:"a,omitempty"`
	Transports []string `json:"t,omitempty"`
	BE         bool     `json:"be,omitempty"`
	BS         bool     `json:"bs,omitempty"`
	UV         bool     `json:"uv,omitempty"`
	Format     string   `json:"f,omitempty"`
	Created    int64    `json:"c"`
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Add implements passkey.Store: two round trips (the owner index, then
// the passkey).
func (s *Store) Add(ctx context.Context, c passkey.Credential) error {
	id := passkey.EncodeID(c.ID)
	d, err := json.Marshal(static{PublicKey: c.PublicKey, AAGUID: c.AAGUID, Transports: c.Transports, BE: c.BackupEligible,
		BS: c.BackupState, UV: c.UserVerified, Format: c.AttestationFormat, Created: millis(c.Created)})
	if err != nil {
		return wrap("add", err)
	}
	ok, err := s.rdb.SetNX(ctx, s.index(id), c.UID, 0).Result()
	if err != nil {
		return wrap("add", err)
	}
	if !ok {
		return passkey.ErrExists
	}
	if err := s.rdb.HSet(ctx, s.hash(c.UID), "d:"+id, d, "n:"+id, c.Name, "c:"+id, c.SignCount, "t:"+id, millis(c.LastUsed)).Err(); err != nil {
		_ = unindexScript.Run(context.WithoutCancel(ctx), s.rdb, []string{s.index(id)}, c.UID).Err()
		return wrap("add", err)
	}
	return nil
}

// decode builds a passkey from its four fields.
func decode(uid, id, d, name, count, used string) (passkey.Credential, error) {
	raw, err := passkey.DecodeID(id)
	if err != nil {
		return passkey.Credential{}, fmt.Errorf("passkeyredis: corrupt id %q", id)
	}
	var st static
	if err := json.Unmarshal([]byte(d), &st); err != nil {
		return passkey.Credential{}, fmt.Errorf("passkeyredis: passkey %s: corrupt record: %w", id, err)
	}
	n, err1 := strconv.ParseUint(count, 10, 32)
	t, err2 := strconv.ParseInt(used, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return passkey.Credential{}, fmt.Errorf("passkeyredis: passkey %s: corrupt counter: %w", id, err)
	}
	return passkey.Credential{
		ID: raw, UID: uid, Name: name, PublicKey: st.PublicKey, SignCount: uint32(n), AAGUID: st.AAGUID,
		Transports: st.Transports, BackupEligible: st.BE, BackupState: st.BS, UserVerified: st.UV,
		AttestationFormat: st.Format, Created: fromMillis(st.Created), LastUsed: fromMillis(t),
	}, nil
}

// Get implements passkey.Store: one round trip.
func (s *Store) Get(ctx context.Context, uid string, raw []byte) (passkey.Credential, error) {
	id := passkey.EncodeID(raw)
	vals, err := s.rdb.HMGet(ctx, s.hash(uid), "d:"+id, "n:"+id, "c:"+id, "t:"+id).Result()
	if err != nil {
		return passkey.Credential{}, wrap("get", err)
	}
	var f [4]string
	for i, v := range vals {
		str, ok := v.(string)
		if !ok {
			return passkey.Credential{}, passkey.ErrNotFound
		}
		f[i] = str
	}
	return decode(uid, id, f[0], f[1], f[2], f[3])
}

// List implements passkey.Store: one round trip.
func (s *Store) List(ctx context.Context, uid string) ([]passkey.Credential, error) {
	all, err := s.rdb.HGetAll(ctx, s.hash(uid)).Result()
	if err != nil {
		return nil, wrap("list", err)
	}
	out := make([]passkey.Credential, 0, len(all)/4)
	for field, d := range all {
		if len(field) < 2 || field[:2] != "d:" {
			continue
		}
		id := field[2:]
		c, err := decode(uid, id, d, all["n:"+id], all["c:"+id], all["t:"+id])
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	passkey.SortCredentials(out)
	return out, nil
}

// Rename implements passkey.Store: one round trip.
func (s *Store) Rename(ctx context.Context, uid string, raw []byte, name string) error {
	n, err := renameScript.Run(ctx, s.rdb, []string{s.hash(uid)}, passkey.EncodeID(raw), name).Int64()
	if err != nil {
		return wrap("rename", err)
	}
	if n == 0 {
		return passkey.ErrNotFound
	}
	return nil
}

// Remove implements passkey.Store: two round trips.
func (s *Store) Remove(ctx context.Context, uid string, raw []byte) error {
	id := passkey.EncodeID(raw)
	n, err := removeScript.Run(ctx, s.rdb, []string{s.hash(uid)}, id).Int64()
	if err != nil {
		return wrap("remove", err)
	}
	if n == 0 {
		return passkey.ErrNotFound
	}
	if err := unindexScript.Run(ctx, s.rdb, []string{s.index(id)}, uid).Err(); err != nil {
		return wrap("remove", err)
	}
	return nil
}

// RemoveAll implements passkey.Store: one round trip, then one per
// passkey removed (its owner index).
func (s *Store) RemoveAll(ctx context.Context, uid string) (int, error) {
	ids, err := removeAllScript.Run(ctx, s.rdb, []string{s.hash(uid)}).StringSlice()
	if err != nil {
		return 0, wrap("remove all", err)
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, unindexScript.Run(ctx, s.rdb, []string{s.index(id)}, uid).Err())
	}
	if err := errors.Join(errs...); err != nil {
		return len(ids), wrap("remove all", err)
	}
	return len(ids), nil
}

// Use implements passkey.Store: one round trip.
func (s *Store) Use(ctx context.Context, uid string, raw []byte, count uint32, at time.Time) (bool, error) {
	n, err := useScript.Run(ctx, s.rdb, []string{s.hash(uid)}, passkey.EncodeID(raw), count, at.UnixMilli()).Int64()
	switch {
	case err != nil:
		return false, wrap("use", err)
	case n < 0:
		return false, passkey.ErrNotFound
	}
	return n == 1, nil
}
