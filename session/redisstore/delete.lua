-- Delete one session and its index entry, and tell the instances' caches.
-- KEYS[1] session key, KEYS[2] uid index; ARGV[1] id,
-- ARGV[2] invalidation channel, ARGV[3] message ("<uid> <id>")
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if n == 1 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
return n
