"""The Lua steps of the delivery queues; each touches the keys of ONE service's hash tag
(its stream, retry set and dead letters), so each works on Redis Cluster."""

from __future__ import annotations

from stores.redis import Script

# Due retries go back on the service's stream; all three keys share the service's tag.
# Answers how many moved, and when the next retry is due (nil when none waits).
MOVE_DUE = Script(
    """
local due = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, item in ipairs(due) do
  redis.call('ZREM', KEYS[2], item)
  local d = cjson.decode(item)
  redis.call('XADD', KEYS[1], '*', 'e', d['e'], 'i', d['i'] or '', 'a', d['a'], 't', d['t'])
end
local next = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
return {#due, next[2]}
"""
)

# Failed deliveries leave the stream for the retry set (or the dead letters) only if they
# are still on the stream: one taken off meanwhile (rewritten by an erasure, or finished by
# another process) must not come back from the stale copy the caller holds. ARGV: the
# group, then a triple per delivery (entry id, item, when due); one call for a batch.
RETRY = Script(
    """
for i = 2, #ARGV, 3 do
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
  if redis.call('XDEL', KEYS[1], ARGV[i]) == 1 then
    redis.call('ZADD', KEYS[2], ARGV[i + 2], ARGV[i + 1])
  end
end
"""
)

# Dead letters are kept, the oldest dropped past ARGV[2] (a service down for days). ARGV:
# the group, the cap, then a pair per delivery (entry id, item).
DEAD_LETTER = Script(
    """
local cap = tonumber(ARGV[2])
for i = 3, #ARGV, 2 do
  redis.call('XACK', KEYS[1], ARGV[1], ARGV[i])
  if redis.call('XDEL', KEYS[1], ARGV[i]) == 1 then
    if redis.call('RPUSH', KEYS[2], ARGV[i + 1]) > cap then
      redis.call('LTRIM', KEYS[2], -cap, -1)
    end
  end
end
"""
)

# Every delivery of a service, wherever it is (on the stream, pending or not; in the retry
# set; in the dead letters), whose event holds one of ARGV: one atomic look, so that none
# is missed while it moves from one to another. It holds Redis for about 6 us per queued
# delivery (60 ms for a backlog of 10,000); only erasures run it, never the deliveries.
SCRUB_FIND = Script(
    """
local function holds(text)
  for _, needle in ipairs(ARGV) do
    if string.find(text, needle, 1, true) then return true end
  end
  return false
end
local found = {}
for _, entry in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do
  local f = {}
  for i = 1, #entry[2], 2 do f[entry[2][i]] = entry[2][i + 1] end
  if f['e'] and holds(f['e']) then
    table.insert(found, {'s', entry[1], f['e'], f['i'] or '', f['a'] or '0', f['t'] or '0'})
  end
end
local retries = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
for i = 1, #retries, 2 do
  if holds(retries[i]) then table.insert(found, {'r', retries[i], retries[i + 1]}) end
end
for i, item in ipairs(redis.call('LRANGE', KEYS[3], 0, -1)) do
  if holds(item) then table.insert(found, {'d', tostring(i - 1), item}) end
end
return found
"""
)

# Rewrite what _SCRUB_FIND found, each only if it is still where it was found; answers how
# many had moved (the caller looks again). A stream entry gets a new id at the end, and
# leaves the pending list: whoever holds the old one can no longer settle it.
SCRUB_APPLY = Script(
    """
local moved, i = 0, 1
while i <= #ARGV do
  local kind = ARGV[i]
  if kind == 's' then
    if redis.call('XDEL', KEYS[1], ARGV[i + 1]) == 1 then
      redis.call('XACK', KEYS[1], ARGV[i + 6], ARGV[i + 1])
      redis.call('XADD', KEYS[1], '*', 'e', ARGV[i + 2], 'i', ARGV[i + 3],
                 'a', ARGV[i + 4], 't', ARGV[i + 5])
    else
      moved = moved + 1
    end
    i = i + 7
  elseif kind == 'r' then
    if redis.call('ZREM', KEYS[2], ARGV[i + 1]) == 1 then
      redis.call('ZADD', KEYS[2], ARGV[i + 3], ARGV[i + 2])
    else
      moved = moved + 1
    end
    i = i + 4
  else
    if redis.call('LINDEX', KEYS[3], ARGV[i + 1]) == ARGV[i + 2] then
      redis.call('LSET', KEYS[3], ARGV[i + 1], ARGV[i + 3])
    else
      moved = moved + 1
    end
    i = i + 4
  end
end
return moved
"""
)

# Dead letters back on the stream, with fresh attempts, in the order they were first
# queued: they died in the order their last retries fell due, each with its own jitter.
REPLAY = Script(
    """
local items = redis.call('LRANGE', KEYS[2], 0, -1)
local letters = {}
for i, item in ipairs(items) do
  letters[i] = {cjson.decode(item), i}
end
table.sort(letters, function(a, b)
  local at, bt = tonumber(a[1]['t']) or 0, tonumber(b[1]['t']) or 0
  if at ~= bt then return at < bt end
  return a[2] < b[2]
end)
for _, letter in ipairs(letters) do
  local d = letter[1]
  redis.call('XADD', KEYS[1], '*', 'e', d['e'], 'i', d['i'] or '', 'a', 0, 't', ARGV[1])
end
redis.call('DEL', KEYS[2])
return #items
"""
)

# Reset the idle time of entries a consumer is still delivering (a post waiting for its
# chat's turn), so that no reclaim takes them meanwhile; one another consumer has taken
# since stays theirs. ARGV: group, consumer, entry id*
KEEP = Script(
    """
local kept = 0
for i = 3, #ARGV do
  local mine = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2])
  if #mine > 0 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    kept = kept + 1
  end
end
return kept
"""
)
