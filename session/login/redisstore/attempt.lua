-- Throttle: count an attempt unless the key is waiting.
-- KEYS[1] throttle hash {n: attempts, u: wait-until ms}
-- ARGV[1] free attempts, ARGV[2] window ms, ARGV[3..] delays ms
-- Returns the wait left in ms (0: the attempt was counted and may proceed).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local st = redis.call('HMGET', KEYS[1], 'n', 'u')
local n = tonumber(st[1]) or 0
local u = tonumber(st[2]) or 0
if now < u then return u - now end
n = n + 1
local k = n - tonumber(ARGV[1])
local nd = #ARGV - 2
local d = 0
if k >= 1 and nd > 0 then
  if k > nd then k = nd end
  d = tonumber(ARGV[2 + k])
end
redis.call('HSET', KEYS[1], 'n', n, 'u', string.format('%.0f', now + d))
local ttl = tonumber(ARGV[2])
if d > ttl then ttl = d end
redis.call('PEXPIRE', KEYS[1], ttl)
return 0
