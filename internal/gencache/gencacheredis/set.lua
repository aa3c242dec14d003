-- Caches a value unless its key was uncached since the load began.
-- KEYS[1] entry, KEYS[2] generation
-- ARGV[1] generation the load began with, ARGV[2] encoded value, ARGV[3] ttl (ms)
local g = redis.call('GET', KEYS[2]) or '0'
if g ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
