"""The Lua steps of a conversation's thread; each touches the keys of ONE conversation's
hash tag, so each works on Redis Cluster."""

from __future__ import annotations

from stores.redis import Script

# Append a message once: a redo of the same work finds its id and changes nothing. The
# answer is [new, the message's ordinal in its direction, auto_at, drip]: the ordinal is
# the same on a redo, so that "first contact" is decided the same way however often the
# work is redone; auto_at and drip are the thread's (nil when not set), which the
# automation reads, so that it needs no read of its own.
RECORD_PARTS = ("meta", "log", "ids", "status", "sent", "provider_ids")
"""The keys of a conversation ``RECORD`` is given, in its order."""
RECORD = Script(
    """
local meta, log, ids = KEYS[1], KEYS[2], KEYS[3]
local dir = ARGV[4]
-- One read and one write of the thread's fields, whatever changes, and the message's
-- ordinal set only if absent: a redo reads the ordinal it was given the first time. The
-- read takes what the automation looks up too: when the contact last got an automated
-- answer, whether a drip step went to them since their last message, and whether they
-- opted out (m[8], m[9], m[10]).
local m = redis.call('HMGET', meta, dir, 'created_at', 'customer', 'last_at',
  'last_inbound_at', 'referral_at', 'entry_point_opened_at', 'auto_at', 'drip', 'opted_out')
if dir == 'inbound' and m[3] == 'erased' then
  -- An erased customer who writes again is a new customer (PS-7): the skeleton of the
  -- erased conversation is not theirs, and goes; only an opt-out stays.
  local opted_out = redis.call('HGET', meta, 'opted_out')
  redis.call('DEL', meta, log, ids, KEYS[4], KEYS[5], KEYS[6])
  if opted_out then redis.call('HSET', meta, 'opted_out', opted_out) end
  m = {false, false, false, false, false, false, false, false, false, opted_out}
end
local count = (tonumber(m[1]) or 0) + 1
if redis.call('HSETNX', ids, ARGV[1], count) == 0 then
  return {0, tonumber(redis.call('HGET', ids, ARGV[1])), m[8], m[9], m[10]}
end
redis.call('RPUSH', log, ARGV[2])
local at = tonumber(ARGV[3])
local set = {dir, count}
local function put(field, value) set[#set + 1] = field; set[#set + 1] = value end
if not m[2] then
  put('created_at', ARGV[3]); put('number', ARGV[5]); put('customer', ARGV[6])
  put('channel', ARGV[7])
end
if at > tonumber(m[4] or '0') then put('last_at', ARGV[3]) end
-- A notice of the provider's (WhatsApp's system message) is kept, but opens no window:
-- the customer wrote nothing (ARGV[10]).
if dir == 'inbound' and ARGV[10] ~= '0' and at > tonumber(m[5] or '0') then
  put('last_inbound_at', ARGV[3])
end
if ARGV[8] ~= '' then put('profile', ARGV[8]) end
-- Meta's free entry point: a customer writes from a click-to-WhatsApp ad or a Page
-- call-to-action (ARGV[9], the referral), the business answers within 24 hours, and that
-- answer opens 72 hours in which every message is free.
if dir == 'inbound' and ARGV[9] ~= '' then
  put('referral_at', ARGV[3])
elseif dir == 'outbound' then
  local referral_at = tonumber(m[6] or '')
  local opened = tonumber(m[7] or '0')
  if referral_at and opened < referral_at and at >= referral_at and at - referral_at <= 86400 then
    put('entry_point_opened_at', ARGV[3]); put('free_until', at + 259200)
  end
end
redis.call('HSET', meta, unpack(set))
return {1, count, m[8], m[9], m[10]}
"""
)

# Edits arrive out of order (Meta resends a webhook it got no 200 for): a customer's new
# wording of a message ARGV[1], edited at ARGV[3], replaces one kept of an earlier time
# only; of two of one second, the one that came last.
EDIT = Script(
    """
local kept = redis.call('HGET', KEYS[1], ARGV[1])
if kept and (cjson.decode(kept).edited_at or 0) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
)

# Statuses arrive out of order; a message never goes back from read to delivered.
STATUS_RANK = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
"""How far a sent message has come; it never goes back (``STATUS`` has the same ranks)."""
STATUS = Script(
    """
local rank = {queued = 0, sent = 1, delivered = 2, read = 3, failed = 4}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and (rank[current] or 0) >= (rank[ARGV[2]] or 0) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""
)

# A receipt for a message we had no record of when it was looked up: kept under the
# provider's id for a day (COMPLETE_SEND takes it to our id; a message another tool sent
# from the number gets receipts too, and never a record), unless the send's record was
# made meanwhile, when the answer is 1 and nothing is kept: the caller tells it. The
# receipt (ARGV[2]) is JSON: its status, and Meta's pricing and error when it had them;
# the furthest one is kept, with the pricing of one behind it when it brought none, so
# that the send is billed as Meta says whatever the order ("read" without pricing after
# "delivered" with it). One kept as a status word alone predates the JSON.
EARLY_KEPT_MS = 86_400_000
EARLY_STATUS = Script(
    """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end
local rank = {queued = 0, sent = 1, delivered = 2, read = 3, failed = 4}
local receipt = ARGV[2]
local current = redis.call('HGET', KEYS[2], ARGV[1])
if current then
  local new = cjson.decode(receipt)
  local kept = {status = current}
  if string.sub(current, 1, 1) == '{' then kept = cjson.decode(current) end
  if (rank[kept.status] or 0) >= (rank[new.status] or 0) then
    if kept.pricing or not new.pricing then return 0 end
    kept.pricing = new.pricing
    receipt = cjson.encode(kept)
  elseif kept.pricing and not new.pricing then
    new.pricing = kept.pricing
    receipt = cjson.encode(new)
  end
end
redis.call('HSET', KEYS[2], ARGV[1], receipt)
-- The day counts from the first kept: a tool writing each day would else keep all for good.
if redis.call('PTTL', KEYS[2]) < 0 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
return 0
"""
)

# A send went out: its provider's id both ways, and "sent", or further (never back). A
# receipt Meta sent before this record was made (delivered, read: its webhook can come
# before its API's answer) was kept under the provider's id; it moves to our id here, and
# is the answer (as kept, its pricing and error with it; nil when there was none), for
# the caller to tell.
COMPLETE_SEND = Script(
    """
local rank = {queued = 0, sent = 1, delivered = 2, read = 3, failed = 4}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
local early = redis.call('HGET', KEYS[4], ARGV[2])
local status
if early then
  redis.call('HDEL', KEYS[4], ARGV[2])
  status = early
  if string.sub(early, 1, 1) == '{' then status = cjson.decode(early).status end
end
local reached = 'sent'
if status and (rank[status] or 0) > rank[reached] then reached = status end
local current = redis.call('HGET', KEYS[3], ARGV[1])
if not current or (rank[current] or 0) < rank[reached] then
  redis.call('HSET', KEYS[3], ARGV[1], reached)
end
if status and (rank[status] or 0) > rank['sent'] then return early end
return false
"""
)

# Our id of the message a provider's id names, and the status it has: a status update is
# told to the services only when it moves the message on (they arrive out of order).
STATUS_OF = Script(
    """
local id = redis.call('HGET', KEYS[1], ARGV[1])
if not id then return {} end
local erased = ''
if redis.call('HGET', KEYS[3], 'customer') == 'erased' then erased = '1' end
return {id, redis.call('HGET', KEYS[2], id) or '', erased}
"""
)

# Checked and claimed in one step, so a STOP that lands first always wins over a send not
# yet started; one started already is refused as such, and one to a customer erased since
# it was queued goes nowhere (-2), a required one included. The claim says when it was
# made, on Redis's clock, which every process shares, and the attempt that made it (ARGV[4],
# optional: digits), so that this attempt alone may let go of it. The attempt follows the
# time as its decimals: the release before reads the claim's age from the whole as a number.
CLAIM_SEND = Script(
    """
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 0 end
local meta = redis.call('HMGET', KEYS[1], 'customer', 'opted_out', 'last_inbound_at')
if meta[1] == 'erased' then return -2 end
if ARGV[2] ~= '1' and meta[2] == '1' then return -1 end
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local window = tonumber(ARGV[3] or '0')
if window > 0 and now_ms / 1000 - tonumber(meta[3] or '0') > window then return -3 end
local claim = 'sending|' .. now_ms
if ARGV[4] and ARGV[4] ~= '' then claim = claim .. '.' .. ARGV[4] end
return redis.call('HSETNX', KEYS[2], ARGV[1], claim)
"""
)

# A change of the customer's that a provider tells with its time: the flag ARGV[3] set
# (ARGV[1] '1') or cleared ('0') at ARGV[2] (unix seconds), kept beside its time in
# ARGV[4]: of two, the later holds, whichever came first. Only an existing conversation of
# a customer not erased keeps it: -1 none, -2 erased, 0 older, 1 kept.
SET_FLAG_AT = Script(
    """
local customer = redis.call('HGET', KEYS[1], 'customer')
if not customer then return -1 end
if customer == 'erased' then return -2 end
if tonumber(ARGV[2]) < tonumber(redis.call('HGET', KEYS[1], ARGV[4]) or '0') then
  return 0
end
redis.call('HSET', KEYS[1], ARGV[4], ARGV[2])
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], ARGV[3], '1')
else redis.call('HDEL', KEYS[1], ARGV[3]) end
return 1
"""
)

# The customer opted back in (START): the outbound messages the thread had by then are
# kept ('opted_in_after'), so that a carrier's refusal of one of them, told late, opts
# them out no more (CARRIER_OPT_OUT).
OPT_IN = Script(
    """
redis.call('HDEL', KEYS[1], 'opted_out')
redis.call('HSET', KEYS[1], 'opted_in_after', redis.call('HGET', KEYS[1], 'outbound') or '0')
"""
)

# A carrier refused our message ARGV[1] as the customer is on its STOP list (Twilio's
# 21610, in a status callback): they are opted out, as their STOP would have done, unless
# the message went before they last opted in (its ordinal among the thread's outbound
# messages, in KEYS[2], is no later than 'opted_in_after'): of two changes the later
# holds, whenever the callback comes. A message we have no record of yet went lately.
# Only an existing conversation keeps it: -1 none, 0 older, 1 kept.
CARRIER_OPT_OUT = Script(
    """
local meta = redis.call('HMGET', KEYS[1], 'customer', 'opted_in_after')
if not meta[1] then return -1 end
local sent = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '')
if sent and sent <= tonumber(meta[2] or '0') then return 0 end
redis.call('HSET', KEYS[1], 'opted_out', '1')
return 1
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
local age = now_ms - (tonumber(string.match(value, '^sending|(%d+)')) or 0)
if age < tonumber(ARGV[2]) then return tonumber(ARGV[2]) - age end
redis.call('HSET', KEYS[1], ARGV[1], 'failed:' .. ARGV[3])
redis.call('HSET', KEYS[2], ARGV[1], 'failed')
return 0
"""
)

# Only a claim is let go: a send that went out or failed keeps its record. With ARGV[2],
# only the claim of that attempt.
RELEASE_SEND = Script(
    """
local value = redis.call('HGET', KEYS[1], ARGV[1])
if not value or string.sub(value, 1, 7) ~= 'sending' then return 0 end
if ARGV[2] and string.sub(value, -(#ARGV[2] + 1)) ~= '.' .. ARGV[2] then return 0 end
return redis.call('HDEL', KEYS[1], ARGV[1])
"""
)
