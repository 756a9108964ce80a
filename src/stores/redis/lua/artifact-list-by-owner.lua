-- An owner's live artifacts of one kind, newest expiry first (ties: id descending, as ZREVRANGE
-- orders them); src/stores/redis/redis-artifacts.ts. Entries whose artifact is gone or belongs to
-- another owner are skipped.
--
-- KEYS: owner+kind sorted set. ARGV: now (store clock), limit, raw artifact key prefix `P a:{kind}:`,
--       ownerId. Returns a flat list: id, value, expiresAt, consumedAt or '' per artifact.
local out = {}
local limit = tonumber(ARGV[2])
local found = 0
local offset = 0
while found < limit do
  local ids = redis.call('ZREVRANGEBYSCORE', KEYS[1], '+inf', '(' .. ARGV[1], 'LIMIT', offset, limit - found)
  if #ids == 0 then break end
  offset = offset + #ids
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', ARGV[3] .. id, 'v', 'e', 'g', 'c')
    if f[1] and f[3] == ARGV[4] then
      found = found + 1
      out[#out + 1] = id
      out[#out + 1] = f[1]
      out[#out + 1] = f[2]
      out[#out + 1] = f[4] or ''
    end
  end
end
return out
