-- Compare-and-swap the sealed data of a session, keeping its deadlines.
-- KEYS[1] session hash; ARGV[1] old data, ARGV[2] new data
if redis.call('HGET', KEYS[1], 'd') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'd', ARGV[2])
  return 1
end
return 0
