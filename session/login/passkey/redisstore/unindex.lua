-- Drop an id's owner index if it still names the owner. KEYS[1] index; ARGV[1] uid.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
