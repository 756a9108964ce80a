-- Deletes a session (src/client/sessions/redis-token-store.ts), leaving a tombstone for the rest of
-- its lifetime: a write that was already under way (a refresh finishing after a logout) must not
-- bring the session back.
--
-- KEYS: session, tombstone. ARGV: member. Returns 1 if the session existed, 0 otherwise.
local pttl = redis.call('PTTL', KEYS[1])
if pttl > 0 then redis.call('SET', KEYS[2], '1', 'PX', pttl) end
for _, index in ipairs(redis.call('HMGET', KEYS[1], 'sub', 'sid')) do
  if index and index ~= '' then redis.call('SREM', index, ARGV[1]) end
end
return redis.call('DEL', KEYS[1])
