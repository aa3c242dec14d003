-- Store a step only if it is greater than the stored one (TOTP replay guard).
-- KEYS[1] step key; ARGV[1] step, ARGV[2] ttl ms. Returns 1 if stored.
local cur = tonumber(redis.call('GET', KEYS[1]))
if cur and cur >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
