-- Takes a lock if it is free and hands out its next fencing token.
-- KEYS[1]: the lock (holder's token, with the lock's TTL)
-- KEYS[2]: the lock's fencing counter (no TTL: it must only ever grow)
-- ARGV[1]: token, ARGV[2]: ttl in milliseconds
-- Returns the new fencing token (>= 1), or 0 when the lock is held.
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return redis.call('INCR', KEYS[2])
end
return 0
