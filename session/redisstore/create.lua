-- Create a session and index it under its uid. The session hash and its
-- index entry must change together (a concurrent DeleteAll sees both or
-- neither).
-- KEYS[1] session hash, KEYS[2] uid index (sorted set: id -> absolute deadline)
-- ARGV[1] id, ARGV[2] sealed data, ARGV[3] idle ms (0: none), ARGV[4] absolute ms,
-- ARGV[5] invalidation channel, ARGV[6] uid
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local absms, idle = tonumber(ARGV[4]), tonumber(ARGV[3])
local abs = now + absms
local ttl = ARGV[4]
if idle > 0 and idle < absms then ttl = ARGV[3] end
-- Numbers go to Redis as strings, formatted once with %d (a C long: exact
-- on 64-bit Redis); a Lua number would be formatted as a double (%.17g)
-- at each call, which costs more than most of the commands here.
local a, r = string.format('%d', abs), string.format('%d', now)
-- A new hash gains its 3 fields. Fewer means that a live session had
-- this id (never the case of a fresh random id): it is replaced whole
-- (its last use goes) and the instances' caches are told.
if redis.call('HSET', KEYS[1], 'd', ARGV[2], 'a', a, 'r', r) < 3 then
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[1], 'd', ARGV[2], 'a', a, 'r', r)
  redis.call('PUBLISH', ARGV[5], ARGV[6] .. ' ' .. ARGV[1])
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], a, ARGV[1])
-- Dead entries are pruned each time the index reaches a multiple of 64
-- entries: it never holds more than 63 entries besides those live at its
-- last pruning.
if redis.call('ZCARD', KEYS[2]) % 64 == 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', r) end
-- The index expires with its last session: raised, never lowered; a new
-- index (no expiry, which GT takes for an infinite one) gets it with NX.
if redis.call('PEXPIREAT', KEYS[2], a, 'GT') == 0 then redis.call('PEXPIREAT', KEYS[2], a, 'NX') end
return 1
