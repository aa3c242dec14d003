-- Read a session; refresh its idle deadline when due.
-- KEYS[1] session hash
-- ARGV[1] idle ms (0: no idle timeout), ARGV[2] refresh-after ms
-- Returns false, or {data, absolute deadline ms, refreshed 0|1}.
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
local idle = tonumber(ARGV[1])
if idle > 0 and now - (tonumber(v[3]) or 0) >= tonumber(ARGV[2]) then
  local ttl = abs - now
  if idle < ttl then ttl = idle end
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('HSET', KEYS[1], 'r', string.format('%.0f', now))
  refreshed = 1
end
return {v[1], v[2], refreshed}
