-- One batch of purging (src/stores/redis/redis-artifacts.ts): takes up to `batch` entries of the
-- expiry index due by `now`, deletes the artifacts Redis has not yet dropped itself (and their owner
-- index entries), and removes the entries.
--
-- KEYS: expiry index. ARGV: now, raw key prefix P, batch. Returns how many entries it removed.
local now = tonumber(ARGV[1])
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, member in ipairs(members) do
  local key = ARGV[2] .. 'a:' .. member
  local f = redis.call('HMGET', key, 'e', 'g')
  if f[1] and tonumber(f[1]) <= now then
    redis.call('DEL', key)
    if f[2] then
      local sep = string.find(member, ':', 1, true)
      redis.call('SREM', ARGV[2] .. 'g:' .. f[2], member)
      redis.call('ZREM', ARGV[2] .. 'gk:' .. string.sub(member, 1, sep - 1) .. ':' .. f[2], string.sub(member, sep + 1))
    end
  end
  redis.call('ZREM', KEYS[1], member)
end
return #members
