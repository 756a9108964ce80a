-- Writes a session (src/client/sessions/redis-token-store.ts). A session is a hash: `data` (the
-- encrypted session), and the names of the `sub` and `sid` index sets it belongs to, so that deleting
-- it (by id or by a match) can leave those sets atomically. Index sets live at least as long as their
-- longest-lived member. A tombstone (a deleted session) refuses the write; so does a missing session
-- when only updating.
--
-- KEYS: session, tombstone, sub index[, sid index]. ARGV: member, data, ttl ms, '1' to update only.
-- Returns 1 if written, 0 if refused.
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[4] == '1' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local sid = KEYS[4] or ''
local old = redis.call('HMGET', KEYS[1], 'sub', 'sid')
for _, index in ipairs(old) do
  if index and index ~= '' and index ~= KEYS[3] and index ~= sid then redis.call('SREM', index, ARGV[1]) end
end
local ttl = tonumber(ARGV[3])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'data', ARGV[2], 'sub', KEYS[3], 'sid', sid)
redis.call('PEXPIRE', KEYS[1], ttl)
local function add(index)
  redis.call('SADD', index, ARGV[1])
  if redis.call('PTTL', index) < ttl then redis.call('PEXPIRE', index, ttl) end
end
add(KEYS[3])
if sid ~= '' then add(sid) end
return 1
