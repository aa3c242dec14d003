-- KEYS[1]: the record; ARGV[1]: the reservation (JSON), ARGV[2]: lock TTL (ms).
-- Returns the existing record, or false after reserving the key.
local v = redis.call('GET', KEYS[1])
if v then
  return v
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
