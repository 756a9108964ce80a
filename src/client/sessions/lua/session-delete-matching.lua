-- Ends the sessions of one index set, optionally only those also in another index
-- (src/client/sessions/redis-token-store.ts); drops members whose session is gone or moved. Session
-- keys are derived from the members (one Redis, or a prefix with a cluster hash tag).
--
-- KEYS: the index to walk. ARGV: its field ('sub' | 'sid'), the other field or '', the other index,
-- the raw session key prefix, the raw tombstone key prefix. Returns how many sessions it ended.
local count = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[4] .. member
  local fields = redis.call('HMGET', key, 'sub', 'sid')
  local own = fields[2]
  if ARGV[1] == 'sub' then own = fields[1] end
  local other = fields[1]
  if ARGV[2] == 'sid' then other = fields[2] end
  if own ~= KEYS[1] then
    redis.call('SREM', KEYS[1], member)
  elseif ARGV[2] == '' or other == ARGV[3] then
    local pttl = redis.call('PTTL', key)
    if pttl > 0 then redis.call('SET', ARGV[5] .. member, '1', 'PX', pttl) end
    for _, index in ipairs(fields) do
      if index and index ~= '' then redis.call('SREM', index, member) end
    end
    count = count + redis.call('DEL', key)
  end
end
return count
