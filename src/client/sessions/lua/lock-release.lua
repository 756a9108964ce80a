-- Compare-and-delete (src/client/sessions/redis-token-store.ts): a holder whose lock expired must not
-- free the lock of the next holder.
--
-- KEYS: lock. ARGV: the holder's token. Returns 1 if released, 0 otherwise.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
