-- Create a session and index it under its uid. The session hash and its
-- index entry must change together (a concurrent DeleteAll sees both or
-- neither); the index pruning rides along.
-- KEYS[1] session hash, KEYS[2] uid index (sorted set: id -> absolute deadline)
-- ARGV[1] id, ARGV[2] sealed data, ARGV[3] idle ms (0: none), ARGV[4] absolute ms,
-- ARGV[5] invalidation channel, ARGV[6] message ("<uid> <id>"), published when a session is replaced
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local absms = tonumber(ARGV[4])
local idle = tonumber(ARGV[3])
local abs = now + absms
local ttl = absms
if idle > 0 and idle < ttl then ttl = idle end
if redis.call('DEL', KEYS[1]) == 1 then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'a', string.format('%.0f', abs), 'r', string.format('%.0f', now))
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('ZADD', KEYS[2], abs, ARGV[1])
if redis.call('PEXPIRETIME', KEYS[2]) < abs then redis.call('PEXPIREAT', KEYS[2], abs) end
return 1
