-- GCRA decision for one key; the same computation as ratelimit's gcra()
-- in Go, in microseconds of the server's clock.
-- KEYS[1]: the key's TAT (theoretical arrival time, Unix microseconds)
-- ARGV[1]: emission interval in microseconds (>= 1)
-- ARGV[2]: burst (>= 1)
-- ARGV[3]: n (0 <= n <= burst; 0 only reports)
-- Returns one integer: for an allowed request (and a report, n = 0), the
-- time until the bucket is full again in microseconds (>= 0); for a denied
-- one, minus the time until the same request would be allowed (< 0). The
-- rest of the result follows from it (ratelimit/redisstore decode).
-- Redis < 5 needs effects replication for a write after TIME; later
-- versions always do it (and keep the function as a no-op).
if redis.replicate_commands then
  redis.replicate_commands()
end

local t = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local n = tonumber(ARGV[3])

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])

local tat = tonumber(redis.call('GET', KEYS[1]))
if not tat or tat < now then
  tat = now
end

local new_tat = tat + n * t
local allow_at = new_tat - burst * t
if now < allow_at then
  return now - allow_at
end
if n > 0 then
  local ttl_ms = math.ceil((new_tat - now) / 1000)
  redis.call('SET', KEYS[1], string.format('%d', new_tat), 'PX', ttl_ms)
end
return new_tat - now
