"""The Lua steps of drip sequences; each touches the keys of ONE sequence's hash tag (or,
``HAND_OVER``, of one notification's), so each works on Redis Cluster.

An enrolment is a JSON object in the sequence's ``en`` hash: ``status`` (active, finished,
stopped), ``step`` (the next step's index), ``entry`` (the audience entry its steps go
to), ``enrolled_at``, ``last_at`` (when its last step was handed to a run), ``reason`` and
``ended_at``."""

from __future__ import annotations

from stores.redis import Script

# KEYS: en, due, m. ARGV: member, entry, now, first due, again (1: a finished or stopped
# enrolment starts over), then other names the customer may be enrolled as already (a
# phone enrolled by hand before it had a profile). 1 enrolled, 0 already (active, or ended
# and not again, or under another name).
ENROL = Script(
    """
local function uncount(was)
  if was.status == 'finished' then
    redis.call('HINCRBY', KEYS[3], 'finished', -1)
  else
    redis.call('HINCRBY', KEYS[3], 'stopped:' .. (was.reason or 'manual'), -1)
  end
end
local ended = {}
for i = 6, #ARGV do
  local alias = redis.call('HGET', KEYS[1], ARGV[i])
  if alias then
    local was = cjson.decode(alias)
    if was.status == 'active' or ARGV[5] ~= '1' then return 0 end
    ended[#ended + 1] = {ARGV[i], was}
  end
end
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local was = cjson.decode(current)
  if was.status == 'active' or ARGV[5] ~= '1' then return 0 end
  uncount(was)
end
for _, alias in ipairs(ended) do
  -- enrolled before under another of their names (a phone, before their profile): the
  -- one who starts over is this member now
  redis.call('HDEL', KEYS[1], alias[1])
  redis.call('ZREM', KEYS[2], alias[1])
  uncount(alias[2])
end
local state = {status = 'active', step = 0, entry = ARGV[2], enrolled_at = tonumber(ARGV[3]),
  last_at = 0}
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(state))
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'active', 1)
redis.call('HINCRBY', KEYS[3], 'enrolled', 1)
return 1
"""
)

# KEYS: en, due, m. ARGV: the members a person erased (PS-7) may be enrolled as. Each of
# their enrolments is gone, and uncounted; how many there were.
FORGET = Script(
    """
local gone = 0
for i = 1, #ARGV do
  local raw = redis.call('HGET', KEYS[1], ARGV[i])
  if raw then
    local was = cjson.decode(raw)
    if was.status == 'active' then
      redis.call('HINCRBY', KEYS[3], 'active', -1)
    elseif was.status == 'finished' then
      redis.call('HINCRBY', KEYS[3], 'finished', -1)
    else
      redis.call('HINCRBY', KEYS[3], 'stopped:' .. (was.reason or 'manual'), -1)
    end
    redis.call('HINCRBY', KEYS[3], 'enrolled', -1)
    redis.call('HDEL', KEYS[1], ARGV[i])
    gone = gone + 1
  end
  redis.call('ZREM', KEYS[2], ARGV[i])
end
return gone
"""
)

# KEYS: en, due, m. ARGV: member, reason, now. 1 when an active enrolment ended here, or
# a finished one whose last step quiet hours hold back still (``goes_at`` to come): that
# step does not go then.
STOP = Script(
    """
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return 0 end
local state = cjson.decode(current)
local now = tonumber(ARGV[3])
local waiting = state.status == 'finished' and (tonumber(state.goes_at) or 0) > now
if state.status ~= 'active' and not waiting then return 0 end
redis.call('HINCRBY', KEYS[3], state.status, -1)
state.status = 'stopped'
state.reason = ARGV[2]
state.ended_at = now
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(state))
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HINCRBY', KEYS[3], 'stopped:' .. ARGV[2], 1)
return 1
"""
)

# KEYS: en, due, m, pend. ARGV: fence, now, waits (JSON: seconds before each step), then
# the members whose step is due. Each due active member's step is taken off the schedule
# and put in a batch of its step, its next step scheduled (or the enrolment finished),
# and each batch is kept under a run number of its own (``pend``) until it is handed over
# to the step's notification: the claim and the batch are one write, so a crash after it
# loses nothing (the batch is handed over by the next tick) and sends nothing twice (the
# steps are no longer due). false when ``fence`` is older than one seen already.
CLAIM = Script(
    """
local fence = tonumber(ARGV[1])
local held = tonumber(redis.call('HGET', KEYS[3], 'fence') or '0')
if fence < held then return false end
if fence > held then redis.call('HSET', KEYS[3], 'fence', ARGV[1]) end
local now = tonumber(ARGV[2])
local waits = cjson.decode(ARGV[3])
local batches, order = {}, {}
for i = 4, #ARGV do
  local member = ARGV[i]
  local due = redis.call('ZSCORE', KEYS[2], member)
  local raw = redis.call('HGET', KEYS[1], member)
  if due and tonumber(due) <= now then
    redis.call('ZREM', KEYS[2], member)
    local state = raw and cjson.decode(raw)
    if state and state.status == 'active' then
      local step = state.step
      if step < #waits then
        if not batches[step] then
          batches[step] = {}
          order[#order + 1] = step
        end
        local entries = batches[step]
        entries[#entries + 1] = state.entry
        state.step = step + 1
        state.last_at = now
      end
      if state.step < #waits then
        redis.call('ZADD', KEYS[2], now + waits[state.step + 1], member)
      else
        state.status = 'finished'
        state.ended_at = now
        redis.call('HINCRBY', KEYS[3], 'active', -1)
        redis.call('HINCRBY', KEYS[3], 'finished', 1)
      end
      redis.call('HSET', KEYS[1], member, cjson.encode(state))
    end
  end
end
local made = {}
for _, step in ipairs(order) do
  local run = redis.call('HINCRBY', KEYS[3], 'batches', 1)
  local batch = cjson.encode({step = step, entries = batches[step]})
  redis.call('HSET', KEYS[4], run, batch)
  made[#made + 1] = run
  made[#made + 1] = batch
end
return made
"""
)

# KEYS: the run's meta and audience. ARGV: the entries. The audience is written once: a
# batch handed over again after a crash finds it there, and the run as it goes.
HAND_OVER = Script(
    """
if redis.call('HEXISTS', KEYS[1], 'snap') == 1 then
  return redis.call('HGET', KEYS[1], 'status') or 'new'
end
redis.call('DEL', KEYS[2])
for i = 1, #ARGV, 500 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 499, #ARGV)))
end
redis.call('HSET', KEYS[1], 'snap', 1, 'total', #ARGV)
return 'new'
"""
)

# KEYS: due, en. ARGV: the time, when the deferred step goes, then the members it may be
# enrolled as (its profile, its audience entry). The first one with a next step
# scheduled has it moved to the time, if that is later (a step deferred by quiet hours
# keeps the next one's wait), and notes when its step goes (``goes_at``). With none, the
# first one finished (the deferred step was its last: claiming it finished the
# enrolment) notes when it goes, so that it can still be stopped until then.
PUSH_BACK = Script(
    """
local at = tonumber(ARGV[1])
local function note(member)
  local raw = redis.call('HGET', KEYS[2], member)
  if raw then
    local state = cjson.decode(raw)
    state.goes_at = tonumber(ARGV[2])
    redis.call('HSET', KEYS[2], member, cjson.encode(state))
  end
end
for i = 3, #ARGV do
  local due = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if due then
    if tonumber(due) < at then redis.call('ZADD', KEYS[1], at, ARGV[i]) end
    note(ARGV[i])
    return 1
  end
end
for i = 3, #ARGV do
  local raw = redis.call('HGET', KEYS[2], ARGV[i])
  if raw and cjson.decode(raw).status == 'finished' then
    note(ARGV[i])
    return 1
  end
end
return 0
"""
)

# KEYS: en, due, m. ARGV: reason, now, then the members the customer may be enrolled as
# (their profile, their conversation's entry). The first one's enrolment ends for the
# reason if it is active and a step went to it already (a message before any step is no
# reply to one). 1 when one ended here.
STOP_ANSWERED = Script(
    """
for i = 3, #ARGV do
  local current = redis.call('HGET', KEYS[1], ARGV[i])
  if current then
    local state = cjson.decode(current)
    if state.status ~= 'active' then return 0 end
    -- A reply answers a step that went: not one that waits out quiet hours, nor none.
    -- An opt-out ends it whether a step went or not.
    if ARGV[1] ~= 'opt_out' then
      if state.step < 1 then return 0 end
      if state.step == 1 and tonumber(state.goes_at or 0) > tonumber(ARGV[2]) then return 0 end
    end
    state.status = 'stopped'
    state.reason = ARGV[1]
    state.ended_at = tonumber(ARGV[2])
    redis.call('HSET', KEYS[1], ARGV[i], cjson.encode(state))
    redis.call('ZREM', KEYS[2], ARGV[i])
    redis.call('HINCRBY', KEYS[3], 'active', -1)
    redis.call('HINCRBY', KEYS[3], 'stopped:' .. ARGV[1], 1)
    return 1
  end
end
return 0
"""
)
