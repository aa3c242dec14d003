-- Settle a reserved attempt.
-- KEYS[1] throttle hash (see reserve.lua)
-- ARGV[1] reservation id, ARGV[2] outcome: "f" failed (counted), "p" passed
-- (reservation dropped), "c" cleared (failures and wait forgotten too),
-- ARGV[3] free attempts, ARGV[4] window ms, ARGV[5..] delays ms
redis.call('HDEL', KEYS[1], 'r:' .. ARGV[1])
if ARGV[2] == 'c' then
  redis.call('HDEL', KEYS[1], 'n', 'u')
  return 0
end
if ARGV[2] ~= 'f' then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local st = redis.call('HMGET', KEYS[1], 'n', 'u')
local n = (tonumber(st[1]) or 0) + 1
local u = tonumber(st[2]) or 0
local k = n - tonumber(ARGV[3])
local nd = #ARGV - 4
local d = 0
if k >= 1 and nd > 0 then
  if k > nd then k = nd end
  d = tonumber(ARGV[4 + k])
end
if now + d > u then u = now + d end
redis.call('HSET', KEYS[1], 'n', n, 'u', string.format('%.0f', u))
local ttl = tonumber(ARGV[4])
if d > ttl then ttl = d end
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
return 0
