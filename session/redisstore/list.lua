-- List the live sessions of a uid, pruning dead index entries.
-- KEYS[1] uid index; ARGV[1] session key prefix of the uid.
-- Returns a flat array: id, data, absolute deadline ms, last use ("" : none), ...
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local out = {}
for _, id in ipairs(ids) do
  local v = redis.call('HMGET', ARGV[1] .. id, 'd', 'a', 'l')
  if v[1] then
    out[#out + 1] = id
    out[#out + 1] = v[1]
    out[#out + 1] = v[2]
    out[#out + 1] = v[3] or ''
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return out
