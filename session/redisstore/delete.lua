-- Delete one session and its index entry.
-- KEYS[1] session hash, KEYS[2] uid index; ARGV[1] id
local n = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return n
