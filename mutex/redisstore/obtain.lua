-- Takes a lock if it is free and hands out its next fencing token.
-- KEYS[1]: the lock (holder's token, with the lock's TTL)
-- KEYS[2]: the lock's fencing counter: the last token handed out
-- ARGV[1]: token, ARGV[2]: ttl in milliseconds, ARGV[3]: how long the
-- counter outlives the server clock's reaching it, in milliseconds
-- Returns the new fencing token, or 0 when the lock is held.
--
-- The token is max(counter + 1, now in microseconds of the server's TIME),
-- and the counter expires when the clock has passed it by ARGV[3]: a
-- counter created again after it expired starts from the clock, which is
-- then past every token handed out before. So tokens only ever grow, while
-- the counters of names no longer locked go away.
if redis.replicate_commands then
  redis.replicate_commands()
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return 0
end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local fence = (tonumber(redis.call('GET', KEYS[2])) or 0) + 1
if fence < now then
  fence = now
end
local keep = math.ceil((fence - now) / 1000) + tonumber(ARGV[3])
redis.call('SET', KEYS[2], string.format('%d', fence), 'PX', keep)
return fence
