-- Take attempts back. KEYS[1] throttle hash; ARGV[1] "1": all (delete), "0": the last one.
if ARGV[1] == '1' then
  redis.call('DEL', KEYS[1])
  return 0
end
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if n and n > 0 then
  redis.call('HSET', KEYS[1], 'n', n - 1)
end
return 0
