-- Compare-and-swap the sealed data of a session, keeping its deadlines,
-- and tell the instances' caches.
-- KEYS[1] session hash; ARGV[1] old data, ARGV[2] new data,
-- ARGV[3] invalidation channel, ARGV[4] message ("<uid> <id>")
if redis.call('HGET', KEYS[1], 'd') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'd', ARGV[2])
  redis.call('PUBLISH', ARGV[3], ARGV[4])
  return 1
end
return 0
