-- SET NX for an artifact and its indexes (src/stores/redis/redis-artifacts.ts). An artifact already
-- expired by the store's clock is not written: it would be invisible, and Redis would drop it at once
-- anyway. An existing artifact expired by the store's clock does not conflict: it is replaced.
--
-- KEYS: artifact, expiry index[, owner set, owner+kind sorted set].
-- ARGV: value JSON, expiresAt, now (store clock), member `{kind}:{id}`, id, ownerId or '',
--       raw artifact key prefix `P a:{kind}:`, encoded kind.
-- Returns 0 on a conflict, 1 otherwise.

-- How many dead entries of an owner's index one put tidies at most.
local PRUNE_BATCH = 16

-- Redis's own clock in milliseconds.
local function redis_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- Expire `key` no earlier than `deadline`.
local function expire_no_earlier(key, deadline, now_ms)
  local left = redis.call('PTTL', key)
  if left < 0 or now_ms + left < deadline then redis.call('PEXPIREAT', key, deadline) end
end

if redis.call('EXISTS', KEYS[1]) == 1 then
  -- Only a live artifact conflicts: one expired by the store's clock is replaced, as if purged.
  local previous = tonumber(redis.call('HGET', KEYS[1], 'e'))
  if previous == nil or previous > tonumber(ARGV[3]) then return 0 end
  redis.call('DEL', KEYS[1])
end
local expires_at = tonumber(ARGV[2])
local left = math.ceil(expires_at - tonumber(ARGV[3]))
if left <= 0 then return 1 end
local now_ms = redis_now_ms()
local deadline = now_ms + left
if KEYS[3] then
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2], 'g', ARGV[6])
else
  redis.call('HSET', KEYS[1], 'v', ARGV[1], 'e', ARGV[2])
end
redis.call('PEXPIREAT', KEYS[1], deadline)
redis.call('ZADD', KEYS[2], expires_at, ARGV[4])
expire_no_earlier(KEYS[2], deadline, now_ms)
if KEYS[3] then
  -- Tidy a few entries that are past their time and whose artifact Redis has dropped (or that
  -- another owner reused), so a long-lived owner's indexes do not collect dead members.
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', ARGV[3], 'LIMIT', 0, PRUNE_BATCH)) do
    if redis.call('HGET', ARGV[7] .. id, 'g') ~= ARGV[6] then
      redis.call('ZREM', KEYS[4], id)
      redis.call('SREM', KEYS[3], ARGV[8] .. ':' .. id)
    end
  end
  redis.call('SADD', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[4], expires_at, ARGV[5])
  expire_no_earlier(KEYS[3], deadline, now_ms)
  expire_no_earlier(KEYS[4], deadline, now_ms)
end
return 1
