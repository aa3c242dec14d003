-- Meters an amount for an account in a calendar period.
-- KEYS[1] period hash (uid -> amount), KEYS[2] metric hash (field used)
-- ARGV[1] uid, ARGV[2] amount, ARGV[3] ttl of a new period hash (ms, 0: none)
-- Returns the account's amount in the period (a string).
local total = redis.call('HINCRBYFLOAT', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3])
if ttl > 0 and redis.call('PTTL', KEYS[1]) == -1 then
  redis.call('PEXPIRE', KEYS[1], ttl)
end
redis.call('HINCRBYFLOAT', KEYS[2], 'used', ARGV[2])
return total
