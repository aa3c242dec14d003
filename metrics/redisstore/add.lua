-- Adds deltas to fields of a metric's hash, all in one step.
-- KEYS[1] metric hash; ARGV field1, delta1, field2, delta2, ...
for i = 1, #ARGV, 2 do
  redis.call('HINCRBYFLOAT', KEYS[1], ARGV[i], ARGV[i + 1])
end
return 1
