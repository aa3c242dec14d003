-- put: store one registry entry with a deadline.
-- KEYS[1] entries hash (field -> sealed value)
-- KEYS[2] deadlines sorted set (field -> deadline in ms, server time)
-- ARGV[1] field "<service>:<id>", ARGV[2] value, ARGV[3] ttl in ms
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, f in ipairs(expired) do
  redis.call('HDEL', KEYS[1], f)
end
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
-- Both keys live as long as the longest-lived entry, so an abandoned
-- registry disappears from Redis on its own.
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local until_ms = tonumber(last[2])
redis.call('PEXPIREAT', KEYS[1], until_ms)
redis.call('PEXPIREAT', KEYS[2], until_ms)
return 1
