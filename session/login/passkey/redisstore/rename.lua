-- Rename a passkey. KEYS[1] the account's passkey hash; ARGV[1] id, ARGV[2] name.
-- Returns 0 when the passkey is absent.
if redis.call('HEXISTS', KEYS[1], 'd:' .. ARGV[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'n:' .. ARGV[1], ARGV[2])
return 1
