"""The Lua steps of stitching. Each touches the keys of ONE hash tag, so each works on
Redis Cluster, and each can be redone: a crash between two steps leaves pointers that
readers follow and that the next stitch of the same person completes."""

from __future__ import annotations

from stores.redis import Script

# Create or extend a profile: fields set only where missing ('!name' overwrites, '+name'
# joins two comma lists, '~consent' keeps the later of two lawful basis records), then
# the identities it does not hold yet, refused as a whole when one kind would pass its
# cap. A profile merged away answers where it went, so the caller follows it.
# ARGV: now, merged-from, ncaps, (kind, cap)*, nfields, (field, value)*, identity*
ABSORB = Script(
    """
local h = KEYS[1]
local into = redis.call('HGET', h, 'merged_into')
if into then return {'merged', into} end
local i = 0
local function take() i = i + 1; return ARGV[i] end
local now = take()
local merged = take()
local caps = {}
for _ = 1, tonumber(take()) do local kind = take(); caps[kind] = tonumber(take()) end
local fields = {}
for _ = 1, tonumber(take()) do fields[#fields + 1] = take(); fields[#fields + 1] = take() end
i = i + 1
local creating = false
for j = 1, #fields, 2 do if fields[j] == 'id' then creating = true end end
if redis.call('EXISTS', h) == 0 then
  if not creating then return {'missing', ''} end
elseif creating then
  return {'taken', ''}  -- a new id that is not new: never give one person's profile to another
elseif redis.call('HEXISTS', h, 'erased_at') == 1 then
  return {'missing', ''}
end
local new = {}
for j = i, #ARGV do
  if redis.call('HEXISTS', h, 'i:' .. ARGV[j]) == 0 then new[#new + 1] = ARGV[j] end
end
if #new > 0 then
  -- An Argentine phone's two forms (+54 9 ... and +54 ...) are one line: counted once.
  local counts, lines = {}, {}
  local function count(key)
    local line = string.gsub(key, '^phone:%+549', 'phone:+54')
    if lines[line] then return nil end
    lines[line] = true
    local kind = string.match(key, '^([^:]+):')
    counts[kind] = (counts[kind] or 0) + 1
    return kind
  end
  for _, f in ipairs(redis.call('HKEYS', h)) do
    if string.sub(f, 1, 2) == 'i:' then count(string.sub(f, 3)) end
  end
  for _, key in ipairs(new) do
    local kind = count(key)
    if kind and caps[kind] and counts[kind] > caps[kind] then
      return {'refused', 'more than ' .. caps[kind] .. ' ' .. kind .. ' identities'}
    end
  end
end
for j = 1, #fields, 2 do
  local mark = string.sub(fields[j], 1, 1)
  if mark == '!' then
    redis.call('HSET', h, string.sub(fields[j], 2), fields[j + 1])
  elseif mark == '+' then  -- a list: the union of both
    local name = string.sub(fields[j], 2)
    local seen, list = {}, {}
    local both = (redis.call('HGET', h, name) or '') .. ',' .. fields[j + 1]
    for item in string.gmatch(both, '[^,;%s]+') do
      if not seen[item] then seen[item] = true; list[#list + 1] = item end
    end
    table.sort(list)
    if #list > 0 then redis.call('HSET', h, name, table.concat(list, ',')) end
  elseif mark == '~' then  -- a lawful basis record: basis, source, at
    local basis, source, at = string.match(fields[j + 1], '^([^\\n]*)\\n([^\\n]*)\\n([^\\n]*)$')
    local held = redis.call('HGET', h, 'f:consent')
    local held_at = tonumber(redis.call('HGET', h, 'consent_at') or '')
    local newer
    if not held then newer = true
    elseif tonumber(at) and held_at then newer = tonumber(at) > held_at
    else newer = basis == 'none' end  -- undated: a withdrawal is the safe one
    if basis and newer then
      redis.call('HSET', h, 'f:consent', basis)
      for _, pair in ipairs({{'consent_source', source}, {'consent_at', at}}) do
        if pair[2] == '' then redis.call('HDEL', h, pair[1])
        else redis.call('HSET', h, pair[1], pair[2]) end
      end
    end
  else
    redis.call('HSETNX', h, fields[j], fields[j + 1])
  end
end
for _, key in ipairs(new) do redis.call('HSET', h, 'i:' .. key, now) end
if merged ~= '' then redis.call('HSET', h, 'm:' .. merged, now) end
return {'ok', tostring(#new)}
"""
)

# Point a merged profile at its survivor, once. The answer lists the identities it held
# at that moment ('i:<key>'), and its conversations ('c:<id>'), so the caller moves every
# one, including any that arrived meanwhile.
# Two merges of one pair the opposite ways (a new profile folding into the other while
# a third sighting merges them the other way) would point each at the other: a loop
# that no reader can follow. The one that absorbed the other already ('m:<survivor>')
# is not pointed at it when it is the older: the merge the older survives goes on.
POINT = Script(
    """
local into = redis.call('HGET', KEYS[1], 'merged_into')
if into and into ~= ARGV[1] then return {'merged', into} end
local id = redis.call('HGET', KEYS[1], 'id')
if id and id < ARGV[1] and redis.call('HEXISTS', KEYS[1], 'm:' .. ARGV[1]) == 1 then
  return {'merged', ARGV[1]}
end
redis.call('HSET', KEYS[1], 'merged_into', ARGV[1], 'merged_at', ARGV[2])
local found = {'ok'}
for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do
  local kind = string.sub(f, 1, 2)
  if kind == 'i:' or kind == 'c:' then found[#found + 1] = f end
end
return found
"""
)

# Move (or, with an empty target, drop) an identity's index entry, only if it still
# points where the caller saw it: never undo a newer stitch.
REPOINT = Script(
    """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if ARGV[2] == '' then redis.call('DEL', KEYS[1]) else redis.call('SET', KEYS[1], ARGV[2]) end
return 1
"""
)

# Bring a conversation's record (its ``meta`` hash) to the profile its own was merged into,
# only if it still names the one merged away: never undo a newer stitch.
REPOINT_CONVERSATION = Script(
    """
if redis.call('HGET', KEYS[1], 'profile') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'profile', ARGV[2])
return 1
"""
)

# Erase a profile (PS-7): empty its hash but for its id (ARGV[2]) and when it was erased
# (ARGV[1]), and drop its refusals (KEYS[2]); answers the conversations the hash named at
# that moment, one begun while the erasure ran included.
EMPTY_ERASED = Script(
    """
local found = {}
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(name, 1, 2) == 'c:' then found[#found + 1] = string.sub(name, 3) end
end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], 'id', ARGV[2], 'erased_at', ARGV[1])
return found
"""
)
