-- Read a session; refresh it when due: push its idle deadline and store
-- its last use.
-- KEYS[1] session hash
-- ARGV[1] idle ms (0: no idle timeout), ARGV[2] refresh-after ms,
-- ARGV[3] sealed last use ("" : none)
-- Returns false, or {data, absolute deadline ms, refreshed 0|1, ms since the
-- last refresh, ms until the key expires}.
local v = redis.call('HMGET', KEYS[1], 'd', 'a', 'r')
if not v[1] then return false end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local abs = tonumber(v[2])
if abs == nil or now >= abs then
  redis.call('DEL', KEYS[1])
  return false
end
local refreshed = 0
local age = now - (tonumber(v[3]) or 0)
local idle = tonumber(ARGV[1])
if (idle > 0 or ARGV[3] ~= '') and age >= tonumber(ARGV[2]) then
  if idle > 0 then
    local ttl = abs - now
    if idle < ttl then ttl = idle end
    redis.call('PEXPIRE', KEYS[1], ttl)
  end
  if ARGV[3] ~= '' then
    redis.call('HSET', KEYS[1], 'r', string.format('%.0f', now), 'l', ARGV[3])
  else
    redis.call('HSET', KEYS[1], 'r', string.format('%.0f', now))
  end
  refreshed = 1
  age = 0
end
return {v[1], v[2], refreshed, age, redis.call('PTTL', KEYS[1])}
