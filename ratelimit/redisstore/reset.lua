-- Forgets one key. KEYS[1]: the key's TAT.
return redis.call('DEL', KEYS[1])
