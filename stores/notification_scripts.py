"""The Lua steps of a notification run; each touches the keys of ONE notification's hash
tag, so each works on Redis Cluster."""

from __future__ import annotations

from stores.redis import Script

# The first state written wins; a deferred recipient is moved on only by a resume. The
# fencing token refuses a holder whose run lease has passed to another process. A queued
# recipient is findable by its send id (KEYS[4]); a skipped one is listed (KEYS[5]).
CLAIM = Script(
    """
local fence = tonumber(ARGV[6])
local held = tonumber(redis.call('HGET', KEYS[2], 'fence') or '0')
if fence < held then return false end
if fence > held then redis.call('HSET', KEYS[2], 'fence', ARGV[6]) end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  if ARGV[5] ~= '1' or string.sub(current, 1, 2) ~= 'd|' then return current end
  redis.call('HINCRBY', KEYS[2], 'deferred', -1)
else
  redis.call('HINCRBY', KEYS[2], 'recipients', 1)
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] == 'q' then
  redis.call('HINCRBY', KEYS[2], 'queued', 1)
  redis.call('HSET', KEYS[4], ARGV[7], ARGV[8])
elseif ARGV[3] == 'd' then
  redis.call('HINCRBY', KEYS[2], 'deferred', 1)
  redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
else
  redis.call('HINCRBY', KEYS[2], 'skipped:' .. ARGV[3], 1)
  redis.call('ZADD', KEYS[5], ARGV[9], ARGV[8])
end
return '+' .. ARGV[2]
"""
)

# sent < delivered < read; failed ends a send that was not delivered. The counters say
# where each send is now: sent counts the accepted and not failed, delivered and read
# are parts of it. A failure keeps the provider's error code after the word
# (``failed|131047``). The recipient (KEYS[4] names it by send id) is added to the
# outcome set of each level it reached (KEYS[5..8]: sent, delivered, read, failed): one
# write a receipt, as the sent set keeps a send that failed later (readers leave it out).
STATUS = Script(
    """
if redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
-- A run that finished keeps its statuses as long as its recipients: one written after
-- (a late receipt, a send that returned) takes the time they have left.
local keep = redis.call('PTTL', KEYS[3])
local function kept(key)
  if keep > 0 and redis.call('PTTL', key) == -1 then redis.call('PEXPIRE', key, keep) end
end
local rank = {sent = 1, delivered = 2, read = 3}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and string.sub(current, 1, 6) == 'failed' then return 0 end
local before = rank[current] or 0
if ARGV[2] == 'failed' then
  if before >= 2 then return 0 end
  local failed = 'failed'
  if ARGV[4] ~= '' then failed = 'failed|' .. ARGV[4] end
  redis.call('HSET', KEYS[1], ARGV[1], failed)
  if ARGV[4] == 'withdrawn' then
    -- Its campaign stopped before it went: counted apart, never among the failures.
    redis.call('HINCRBY', KEYS[2], 'withdrawn', 1)
    kept(KEYS[1])
    return 1
  end
  redis.call('HINCRBY', KEYS[2], 'failed', 1)
  if before == 1 then redis.call('HINCRBY', KEYS[2], 'sent', -1) end
  local who = redis.call('HGET', KEYS[4], ARGV[1])
  if who then redis.call('ZADD', KEYS[8], ARGV[3], who); kept(KEYS[8]) end
  kept(KEYS[1])
  return 1
end
local after = rank[ARGV[2]]
if not after or after <= before then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if before < 1 then redis.call('HINCRBY', KEYS[2], 'sent', 1) end
if before < 2 and after >= 2 then redis.call('HINCRBY', KEYS[2], 'delivered', 1) end
if after >= 3 then redis.call('HINCRBY', KEYS[2], 'read', 1) end
local who = redis.call('HGET', KEYS[4], ARGV[1])
if who then
  for level = before + 1, after do
    redis.call('ZADD', KEYS[4 + level], ARGV[3], who)
    kept(KEYS[4 + level])
  end
end
kept(KEYS[1])
return 1
"""
)

START = Script(
    """
local new = redis.call('HSETNX', KEYS[1], 'started_at', ARGV[2])
if new == 1 then
  redis.call('HSET', KEYS[1], 'status', 'sending')
  redis.call('ZADD', KEYS[2], 'NX', ARGV[1], ARGV[1])
end
return new
"""
)

# A run set aside and scheduled again is where it was: started (sending), or not yet.
REVIVE = Script(
    """
redis.call('HDEL', KEYS[1], 'failures', 'error', 'failed_at')
if redis.call('HEXISTS', KEYS[1], 'started_at') == 1 then
  redis.call('HSET', KEYS[1], 'status', 'sending')
else
  redis.call('HDEL', KEYS[1], 'status')
end
return 1
"""
)
