/**
 * The speed layer's Lua scripts. They live in TypeScript strings (not .lua files) so they travel
 * with the compiled/bundled code; ioredis loads them with defineCommand (EVALSHA, falling back to
 * EVAL/SCRIPT LOAD after a Redis restart).
 *
 * Numbers are written with `%.17g`: Lua's default `tostring` keeps 14 significant digits, which
 * would silently round sums and values; 17 digits round-trip every IEEE double exactly.
 */

/**
 * Applies ONE clean record (one device batch) atomically: fence check, window updates, latest
 * values. A record whose raw offset is not above the device's fence for its raw partition is a
 * replay (transformer or aggregator restart) and changes nothing.
 *
 * KEYS: 1 fence hash, 2 latest hash, 3 open-windows zset, 4 too-late stream, 4+i window hash i
 * ARGV: 1 rawPartition, 2 rawOffset, 3 nowMs, 4 allowedLatenessMs, 5 retentionMs, 6 tenant,
 *       7 device, 8 latest JSON [[metric, "time", "value"], ...], 9 too-late context JSON,
 *       then per window i (5 each): member, metric, windowStart, windowEnd, readings JSON
 *       [[time, value, unit?], ...]
 * Returns {1 if applied else 0 (fenced), readings applied, readings refused as too late}
 */
export const APPLY_BATCH_LUA = `
local fence = redis.call('HGET', KEYS[1], ARGV[1])
if fence and tonumber(fence) >= tonumber(ARGV[2]) then
  return {0, 0, 0}
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])

local function fmt(x) return string.format('%.17g', x) end

local now = tonumber(ARGV[3])
local lateness = tonumber(ARGV[4])
local retention = tonumber(ARGV[5])
local applied, tooLate = 0, 0

for i = 1, #KEYS - 4 do
  local key = KEYS[4 + i]
  local base = 9 + (i - 1) * 5
  local windowEnd = tonumber(ARGV[base + 4])
  local readings = cjson.decode(ARGV[base + 5])
  local state = redis.call('HMGET', key, 'count', 'sum', 'min', 'max', 'first', 'firstTime',
    'last', 'lastTime', 'closed')
  if state[9] == '1' or now >= windowEnd + lateness then
    redis.call('XADD', KEYS[4], '*', 'ctx', ARGV[9], 'metric', ARGV[base + 2],
      'windowStart', ARGV[base + 3], 'readings', ARGV[base + 5])
    tooLate = tooLate + #readings
  else
    local count = tonumber(state[1])
    local isNew = count == nil
    count = count or 0
    local sum = tonumber(state[2]) or 0
    local mn, mx = tonumber(state[3]), tonumber(state[4])
    local first, firstTime = tonumber(state[5]), tonumber(state[6])
    local last, lastTime = tonumber(state[7]), tonumber(state[8])
    for _, r in ipairs(readings) do
      local t, v = r[1], r[2]
      count = count + 1
      sum = sum + v
      if mn == nil or v < mn then mn = v end
      if mx == nil or v > mx then mx = v end
      -- Ties keep the earlier arrival, like the raw table's ON CONFLICT DO NOTHING.
      if firstTime == nil or t < firstTime then first, firstTime = v, t end
      if lastTime == nil or t > lastTime then last, lastTime = v, t end
    end
    local fields = {'count', count, 'sum', fmt(sum), 'min', fmt(mn), 'max', fmt(mx),
      'first', fmt(first), 'firstTime', fmt(firstTime), 'last', fmt(last), 'lastTime', fmt(lastTime)}
    if isNew then
      for _, f in ipairs({'t', ARGV[6], 'd', ARGV[7], 'm', ARGV[base + 2], 'ws', ARGV[base + 3],
        'we', ARGV[base + 4]}) do fields[#fields + 1] = f end
    end
    redis.call('HSET', key, unpack(fields))
    if isNew then
      redis.call('ZADD', KEYS[3], 'NX', windowEnd, ARGV[base + 1])
      -- Relative to the caller's clock (the same clock the lateness rule uses), not Redis's.
      redis.call('PEXPIRE', key, math.max(1, windowEnd + retention - now))
    end
    applied = applied + #readings
  end
end

-- Latest values: one HMGET and at most one HSET for all metrics of the record.
local latest = cjson.decode(ARGV[8])
if #latest > 0 then
  local metrics = {}
  for i, l in ipairs(latest) do metrics[i] = l[1] end
  local current = redis.call('HMGET', KEYS[2], unpack(metrics))
  local updates = {}
  for i, l in ipairs(latest) do
    -- HMGET answers false (not nil) for a missing field.
    local currentTime = nil
    if current[i] then currentTime = tonumber(string.match(current[i], '^([^|]+)')) end
    if currentTime == nil or tonumber(l[2]) > currentTime then
      updates[#updates + 1] = l[1]
      updates[#updates + 1] = l[2] .. '|' .. l[3]
    end
  end
  if #updates > 0 then redis.call('HSET', KEYS[2], unpack(updates)) end
end

return {1, applied, tooLate}
`;

/**
 * Claims up to ARGV[2] windows whose end is <= ARGV[1]: marks each closed (so later readings are
 * too late) and pushes its score to ARGV[3], a lease, so concurrent closers skip it until the lease
 * ends. The caller publishes and then ZREMs the members; a crash in between lets the lease expire
 * and the window is published again, identical, since a closed window no longer changes.
 *
 * KEYS: 1 open-windows zset.  ARGV: 1 dueScore, 2 limit, 3 leaseScore, 4 key prefix of the client
 * (members are unprefixed keys; the script has to build the full key itself).
 * Returns a flat list: member, HGETALL of the window, member, HGETALL, ...
 */
export const CLAIM_CLOSED_WINDOWS_LUA = `
local members = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
local out = {}
for _, member in ipairs(members) do
  local key = ARGV[4] .. member
  local window = redis.call('HGETALL', key)
  if #window == 0 then
    redis.call('ZREM', KEYS[1], member)
  else
    redis.call('HSET', key, 'closed', '1')
    redis.call('ZADD', KEYS[1], ARGV[3], member)
    out[#out + 1] = member
    out[#out + 1] = window
  end
end
return out
`;
