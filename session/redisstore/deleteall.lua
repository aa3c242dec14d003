-- Delete every session of a uid but one.
-- KEYS[1] uid index; ARGV[1] session key prefix of the uid ("<prefix>{<uid>}:s:"),
-- ARGV[2] the id of the session to keep ("": none), ARGV[3] invalidation
-- channel, ARGV[4] message ("<uid>"), published to the instances' caches.
-- The session keys share the index's hash tag, so they live in its Cluster slot.
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local n = 0
local kept = false
for _, id in ipairs(ids) do
  if id == ARGV[2] then
    kept = true
  else
    n = n + redis.call('DEL', ARGV[1] .. id)
    redis.call('ZREM', KEYS[1], id)
  end
end
if not kept then redis.call('DEL', KEYS[1]) end
if n > 0 then redis.call('PUBLISH', ARGV[3], ARGV[4]) end
return n
