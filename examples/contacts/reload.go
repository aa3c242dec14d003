package main

import (
	"context"
	"errors"
	"sync"
)

// The grant defaults (default_grants, ratelimit_requests) change without
// a restart: SIGHUP makes an instance read its configuration again and
// apply the new defaults, and, on Redis, publish a reload notice that
// every other instance of the deployment receives and acts on the same
// way, so one signal reloads the whole service. Overrides and their
// cache do not depend on the defaults; the rate limiter keeps an
// account's limit for limit_cache_ttl (default 1 s), after which it reads
// the new one.

// reloadChannel is the Redis channel of reload notices.
func (a *app) reloadChannel() string { return a.cfg.RedisPrefix + "contacts:reload-grants" }

// reloadGrants reads the configuration again (with load, which run sets)
// and applies its grant defaults. With publish, it also tells the other
// instances to do the same.
func (a *app) reloadGrants(ctx context.Context, publish bool) error {
	if a.loadConfig == nil {
		return errors.New("reload: the configuration cannot be read again")
	}
	cfg, err := a.loadConfig()
	if err != nil {
		return err
	}
	d, err := grantDefaults(cfg)
	if err != nil {
		return err
	}
	a.grants.SetDefaults(d)
	a.log.InfoContext(ctx, "grant defaults reloaded", "grants", d.Names())
	if publish && a.be.rdb != nil {
		if err := a.be.rdb.Publish(ctx, a.reloadChannel(), a.reloadSender).Err(); err != nil {
			return errors.Join(errors.New("reload: telling the other instances"), err)
		}
	}
	return nil
}

// watchReloads, on Redis, applies the reload notices of the other
// instances until the returned stop function is called (which waits for
// it to end).
func (a *app) watchReloads(ctx context.Context) (stop func(context.Context) error) {
	if a.be.rdb == nil {
		return func(context.Context) error { return nil }
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	sub := a.be.rdb.Subscribe(ctx, a.reloadChannel())
	var wg sync.WaitGroup
	wg.Go(func() {
		for msg := range sub.Channel() {
			if msg.Payload == a.reloadSender {
				continue // this instance's own notice: it has reloaded already
			}
			if err := a.reloadGrants(ctx, false); err != nil {
				a.log.ErrorContext(ctx, "grant defaults not reloaded", "err", err)
			}
		}
	})
	return func(context.Context) error {
		cancel()
		err := sub.Close() // closes the channel: the loop ends
		wg.Wait()
		return err
	}
}
