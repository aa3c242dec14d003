-- Record a login: store the signature counter if it advances.
-- KEYS[1] the account's passkey hash; ARGV[1] id, ARGV[2] count, ARGV[3] time (unix ms).
-- Returns -1 when the passkey is absent, 1 when stored, 0 when the counter did not advance.
local id = ARGV[1]
if redis.call('HEXISTS', KEYS[1], 'd:' .. id) == 0 then
  return -1
end
local stored = tonumber(redis.call('HGET', KEYS[1], 'c:' .. id) or '0') or 0
local count = tonumber(ARGV[2])
if count > stored or (count == 0 and stored == 0) then
  redis.call('HSET', KEYS[1], 'c:' .. id, ARGV[2], 't:' .. id, ARGV[3])
  return 1
end
return 0
