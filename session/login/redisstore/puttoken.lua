-- Store a one-time token digest. KEYS[1] token key; ARGV[1] digest, ARGV[2] ttl ms.
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
