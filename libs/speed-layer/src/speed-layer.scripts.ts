/**
 * The speed layer's Lua scripts. They live in TypeScript strings (not .lua files) so they travel
 * with the compiled/bundled code; ioredis loads them with defineCommand (EVALSHA, falling back to
 * EVAL/SCRIPT LOAD after a Redis restart).
 *
 * Numbers are written with `%.17g`: Lua's default `tostring` keeps 14 significant digits, which
 * would silently round sums and values; 17 digits round-trip every IEEE double exactly.
 */

/**
 * Applies clean records (device batches) in order, each atomically: fence check, window updates,
 * latest values. A record whose raw offset is not above its device's fence for its raw partition is
 * a replay (transformer or aggregator restart) and changes nothing. Many records go in ONE call so
 * the per-command cost (client encoding, EVALSHA dispatch) is paid per chunk, not per record.
 *
 * KEYS: 1 open-windows zset, 2 too-late stream.
 * ARGV: 1 key prefix of the client (record keys are unprefixed; the script builds full keys itself,
 *       like the claim script), 2 nowMs, 3 allowedLatenessMs, 4 retentionMs,
 *       5 JSON array of records, each [fenceKey, latestKey, rawPartition, rawOffset, tenant, device,
 *       latest [[metric, "time", "value"], ...], too-late context JSON, windows] with windows
 *       [[member, metric, "windowStart", "windowEnd", readings JSON [[time, value, unit?], ...]], ...]
 *       (numbers that are stored verbatim travel as strings: cjson would reformat them).
 * Returns a flat list, per record: 1 if applied else 0 (fenced), readings applied, readings refused
 * as too late.
 */
export const APPLY_BATCH_LUA = `
local prefix = ARGV[1]
local now = tonumber(ARGV[2])
local lateness = tonumber(ARGV[3])
local retention = tonumber(ARGV[4])
local records = cjson.decode(ARGV[5])

local function fmt(x) return string.format('%.17g', x) end

local function applyWindow(rec, w)
  local key = prefix .. w[1]
  local windowEnd = tonumber(w[4])
  local readings = cjson.decode(w[5])
  local state = redis.call('HMGET', key, 'count', 'sum', 'min', 'max', 'first', 'firstTime',
    'last', 'lastTime', 'closed')
  if state[9] == '1' or now >= windowEnd + lateness then
    redis.call('XADD', KEYS[2], '*', 'ctx', rec[8], 'metric', w[2], 'windowStart', w[3],
      'readings', w[5])
    return 0, #readings
  end
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
    for _, f in ipairs({'t', rec[5], 'd', rec[6], 'm', w[2], 'ws', w[3], 'we', w[4]}) do
      fields[#fields + 1] = f
    end
  end
  redis.call('HSET', key, unpack(fields))
  if isNew then
    redis.call('ZADD', KEYS[1], 'NX', windowEnd, w[1])
    -- Relative to the caller's clock (the same clock the lateness rule uses), not Redis's.
    redis.call('PEXPIRE', key, math.max(1, windowEnd + retention - now))
  end
  return #readings, 0
end

local out = {}
for _, rec in ipairs(records) do
  local fenceKey = prefix .. rec[1]
  local fence = redis.call('HGET', fenceKey, rec[3])
  if fence and tonumber(fence) >= tonumber(rec[4]) then
    out[#out + 1] = 0
    out[#out + 1] = 0
    out[#out + 1] = 0
  else
    redis.call('HSET', fenceKey, rec[3], rec[4])
    local applied, tooLate = 0, 0
    for _, w in ipairs(rec[9]) do
      local a, l = applyWindow(rec, w)
      applied = applied + a
      tooLate = tooLate + l
    end

    -- Latest values: one HMGET and at most one HSET for all metrics of the record.
    local latest = rec[7]
    if #latest > 0 then
      local latestKey = prefix .. rec[2]
      local metrics = {}
      for i, l in ipairs(latest) do metrics[i] = l[1] end
      local current = redis.call('HMGET', latestKey, unpack(metrics))
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
      if #updates > 0 then redis.call('HSET', latestKey, unpack(updates)) end
    end
    out[#out + 1] = 1
    out[#out + 1] = applied
    out[#out + 1] = tooLate
  end
end
return out
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
