-- Uncaches a key: drops its entry and bumps its generation, so loads in
-- flight cannot cache what they read before.
-- KEYS[1] entry, KEYS[2] generation; ARGV[1] generation ttl (ms)
redis.call('DEL', KEYS[1])
local g = redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return g
