-- Reserve an attempt unless the key is waiting or busy.
-- KEYS[1] throttle hash {n: failures, u: wait-until ms, r:<id>: reservation deadline ms}
-- ARGV[1] reservation id, ARGV[2] hold ms, ARGV[3] free attempts, ARGV[4] window ms, ARGV[5..] delays ms
-- Returns 0: reserved; > 0: the wait left in ms; -1: busy (the attempts
-- in flight would make this one wait if they all failed).
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local st = redis.call('HGETALL', KEYS[1])
local n, u, r = 0, 0, 0
for i = 1, #st, 2 do
  local f, v = st[i], tonumber(st[i + 1])
  if f == 'n' then
    n = v
  elseif f == 'u' then
    u = v
  elseif v <= now then
    redis.call('HDEL', KEYS[1], f)
  else
    r = r + 1
  end
end
if now < u then return u - now end
if r > 0 then
  local k = n + r - tonumber(ARGV[3])
  local nd = #ARGV - 4
  if k >= 1 and nd > 0 then
    if k > nd then k = nd end
    if tonumber(ARGV[4 + k]) > 0 then return -1 end
  end
end
local hold = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'r:' .. ARGV[1], string.format('%.0f', now + hold))
if redis.call('PTTL', KEYS[1]) < hold then
  redis.call('PEXPIRE', KEYS[1], hold)
end
return 0
