-- Deletes one artifact and its index entries (src/stores/redis/redis-artifacts.ts).
--
-- KEYS: artifact, expiry index. ARGV: member, raw key prefix P, encoded kind, id.
-- Returns 1 if the artifact existed, 0 otherwise.
local owner = redis.call('HGET', KEYS[1], 'g')
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], ARGV[1])
if owner then
  redis.call('SREM', ARGV[2] .. 'g:' .. owner, ARGV[1])
  redis.call('ZREM', ARGV[2] .. 'gk:' .. ARGV[3] .. ':' .. owner, ARGV[4])
end
return 1
