-- list: drop expired entries, then return the live ones whose field starts
-- with ARGV[1] ("" for all) as a flat array {field, value, field, value...}.
-- KEYS[1] entries hash, KEYS[2] deadlines sorted set
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, f in ipairs(expired) do
  redis.call('HDEL', KEYS[1], f)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local all = redis.call('HGETALL', KEYS[1])
local p = ARGV[1]
local n = string.len(p)
local out = {}
for i = 1, #all, 2 do
  if n == 0 or string.sub(all[i], 1, n) == p then
    out[#out + 1] = all[i]
    out[#out + 1] = all[i + 1]
  end
end
return out
