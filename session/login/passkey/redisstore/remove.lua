-- Remove a passkey. KEYS[1] the account's passkey hash; ARGV[1] id.
-- Returns 0 when the passkey is absent.
local id = ARGV[1]
return redis.call('HDEL', KEYS[1], 'd:' .. id, 'n:' .. id, 'c:' .. id, 't:' .. id) > 0 and 1 or 0
