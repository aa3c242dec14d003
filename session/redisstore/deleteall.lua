-- Delete every session of a uid.
-- KEYS[1] uid index; ARGV[1] session key prefix of the uid ("<prefix>{<uid>}:s:").
-- The session keys share the index's hash tag, so they live in its Cluster slot.
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
local n = 0
for _, id in ipairs(ids) do
  n = n + redis.call('DEL', ARGV[1] .. id)
end
redis.call('DEL', KEYS[1])
return n
