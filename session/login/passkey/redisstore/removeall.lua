-- Remove every passkey of an account. KEYS[1] the account's passkey hash.
-- Returns the ids it held.
local ids = {}
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(f, 1, 2) == 'd:' then
    ids[#ids + 1] = string.sub(f, 3)
  end
end
redis.call('DEL', KEYS[1])
return ids
