-- Deletes every artifact an owner has, and its indexes (src/stores/redis/redis-artifacts.ts). A
-- member whose key now belongs to another owner (an id reused after expiry) is left alone.
--
-- KEYS: owner set, expiry index. ARGV: ownerId, raw key prefix P.
-- Returns how many artifacts it deleted.
local count = 0
local kinds = {}
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[2] .. 'a:' .. member
  if redis.call('HGET', key, 'g') == ARGV[1] then
    count = count + redis.call('DEL', key)
    redis.call('ZREM', KEYS[2], member)
  end
  kinds[string.sub(member, 1, string.find(member, ':', 1, true) - 1)] = true
end
for kind in pairs(kinds) do redis.call('DEL', ARGV[2] .. 'gk:' .. kind .. ':' .. ARGV[1]) end
redis.call('DEL', KEYS[1])
return count
