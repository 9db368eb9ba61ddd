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

# A failed delivery leaves the stream for the retry set, or the dead letters, at once.
RETRY = Script(
    """
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
"""
)

DEAD_LETTER = Script(
    """
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
"""
)

REPLAY = Script(
    """
local items = redis.call('LRANGE', KEYS[2], 0, -1)
for _, item in ipairs(items) do
  local d = cjson.decode(item)
  redis.call('XADD', KEYS[1], '*', 'e', d['e'], 'i', d['i'] or '', 'a', 0, 't', ARGV[1])
end
redis.call('DEL', KEYS[2])
return #items
"""
)
