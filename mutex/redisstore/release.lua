-- Frees a lock if the token holds it (compare-and-delete).
-- KEYS[1]: the lock; ARGV[1]: token
-- Returns 1 when freed, 0 when the lock is free or held by another.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
