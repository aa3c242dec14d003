-- Compare-and-delete a one-time token digest. KEYS[1] token key; ARGV[1] digest.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
