-- Takes n units of an account's grant-style credit.
-- KEYS[1] credit hash {left, limit}, KEYS[2] metric hash (fields used, refused)
-- ARGV[1] limit (>= 0), ARGV[2] n (>= 1), ARGV[3] period (ms, 0: no expiry)
-- Returns {ok, left, pttl, started}.
local limit = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'left', 'limit')
local started = v[1] ~= false
local left = limit
if started then
  left = tonumber(v[1]) or 0
  local old = tonumber(v[2]) or limit
  if old ~= limit then
    -- The limit changed during the period: units already used stay used.
    left = left + (limit - old)
    if left < 0 then left = 0 end
  end
end
if left < n then
  redis.call('HINCRBYFLOAT', KEYS[2], 'refused', 1)
  local ttl = -1
  if started then ttl = redis.call('PTTL', KEYS[1]) end
  return {0, left, ttl, started and 1 or 0}
end
left = left - n
redis.call('HSET', KEYS[1], 'left', left, 'limit', limit)
if not started and period > 0 then
  redis.call('PEXPIRE', KEYS[1], period)
end
redis.call('HINCRBYFLOAT', KEYS[2], 'used', n)
return {1, left, redis.call('PTTL', KEYS[1]), 1}
