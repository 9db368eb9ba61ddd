"""The Lua steps of a conversation's thread; each touches the keys of ONE conversation's
hash tag, so each works on Redis Cluster."""

from __future__ import annotations

from stores.redis import Script

# Append a message once: a redo of the same work finds its id and changes nothing. The
# answer is the message's ordinal in its direction, the same on a redo, so that "first
# contact" is decided the same way however often the work is redone.
RECORD = Script(
    """
local meta, log, ids = KEYS[1], KEYS[2], KEYS[3]
local seen = redis.call('HGET', ids, ARGV[1])
if seen then return {0, tonumber(seen)} end
redis.call('RPUSH', log, ARGV[2])
local count = redis.call('HINCRBY', meta, ARGV[4], 1)
redis.call('HSET', ids, ARGV[1], count)
local at = tonumber(ARGV[3])
if redis.call('HSETNX', meta, 'created_at', ARGV[3]) == 1 then
  redis.call('HSET', meta, 'number', ARGV[5], 'customer', ARGV[6], 'channel', ARGV[7])
elseif ARGV[4] == 'inbound' and redis.call('HGET', meta, 'customer') == 'erased' then
  redis.call('HSET', meta, 'customer', ARGV[6])  -- an erased customer who writes again
end
if at > tonumber(redis.call('HGET', meta, 'last_at') or '0') then
  redis.call('HSET', meta, 'last_at', ARGV[3])
end
if ARGV[4] == 'inbound' and at > tonumber(redis.call('HGET', meta, 'last_inbound_at') or '0') then
  redis.call('HSET', meta, 'last_inbound_at', ARGV[3])
end
if ARGV[8] ~= '' then redis.call('HSET', meta, 'profile', ARGV[8]) end
-- Meta's free entry point: a customer writes from a click-to-WhatsApp ad or a Page
-- call-to-action (ARGV[9], the referral), the business answers within 24 hours, and that
-- answer opens 72 hours in which every message is free.
if ARGV[4] == 'inbound' and ARGV[9] ~= '' then
  redis.call('HSET', meta, 'referral_at', ARGV[3])
elseif ARGV[4] == 'outbound' then
  local referral_at = tonumber(redis.call('HGET', meta, 'referral_at') or '')
  local opened = tonumber(redis.call('HGET', meta, 'entry_point_opened_at') or '0')
  if referral_at and opened < referral_at and at >= referral_at and at - referral_at <= 86400 then
    redis.call('HSET', meta, 'entry_point_opened_at', ARGV[3], 'free_until', at + 259200)
  end
end
return {1, count}
"""
)

# Statuses arrive out of order; a message never goes back from read to delivered.
STATUS = Script(
    """
local rank = {queued = 0, sent = 1, delivered = 2, read = 3, failed = 4}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and (rank[current] or 0) >= (rank[ARGV[2]] or 0) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
)

# Checked and claimed in one step, so a STOP that lands first always wins. The claim
# says when it was made, on Redis's clock, which every process shares.
CLAIM_SEND = Script(
    """
if ARGV[2] ~= '1' and redis.call('HGET', KEYS[1], 'opted_out') == '1' then return -1 end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
return redis.call('HSETNX', KEYS[2], ARGV[1], 'sending|' .. now_ms)
"""
)

# A claim older than ARGV[2] ms is an attempt a crash cut short: the send is failed for
# the reason ARGV[3]. The answer: -1 no claim, -2 sent or failed already, 0 failed here,
# else the ms until the claim is that old. A claim without its time predates them.
SETTLE_CLAIM = Script(
    """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value then return -1 end
if string.sub(value, 1, 7) ~= 'sending' then return -2 end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local age = now_ms - (tonumber(string.sub(value, 9)) or 0)
if age < tonumber(ARGV[2]) then return tonumber(ARGV[2]) - age end
redis.call('HSET', KEYS[1], ARGV[1], 'failed:' .. ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], 'failed')
return 0
"""
)

# Only a claim is let go: a send that went out or failed keeps its record.
RELEASE_SEND = Script(
    """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if value and string.sub(value, 1, 7) == 'sending' then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""
)
