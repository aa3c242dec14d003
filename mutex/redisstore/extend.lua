-- Extends a lock if the token holds it (compare-and-expire).
-- KEYS[1]: the lock; ARGV[1]: token, ARGV[2]: ttl in milliseconds
-- Returns 1 when extended, 0 when the lock is free or held by another.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
