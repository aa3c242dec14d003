-- KEYS[1]: the record; ARGV[1]: the reservation it must still hold (JSON),
-- ARGV[2]: the answer (JSON), ARGV[3]: its TTL (ms).
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
