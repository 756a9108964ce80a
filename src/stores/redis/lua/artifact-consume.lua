-- Single use (src/stores/redis/redis-artifacts.ts): exists, not expired by the store's clock, not
-- consumed -> mark consumed and return it. The artifact keeps its expiry, so a replay is told apart
-- from an unknown id until then.
--
-- KEYS: artifact. ARGV: now (store clock), consumedAt.
-- Returns { value, expiresAt, has owner '1'|'0', ownerId, consumedAt } or nil.
local f = redis.call('HMGET', KEYS[1], 'v', 'e', 'g', 'c')
if not f[1] or f[4] or tonumber(f[2]) <= tonumber(ARGV[1]) then return false end
redis.call('HSET', KEYS[1], 'c', ARGV[2])
if f[3] then return { f[1], f[2], '1', f[3], ARGV[2] } end
return { f[1], f[2], '0', '', ARGV[2] }
