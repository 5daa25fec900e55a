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
 *       latest [[metric, "time", "value"], ...], origin [topic, partition, offset, key], windows]
 *       with windows [[member, metric, "windowStart", "windowEnd", [[time, value, unit?], ...]], ...]
 *       (numbers that are stored verbatim travel as strings: cjson would reformat them). Nothing
 *       travels as nested JSON text: the too-late context and readings are only written as JSON
 *       on the rare too-late path, by the script.
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

-- State read once per call and written back once at its end: a call holds several records of
-- many devices, and one record per Redis command pair was most of the script's time.
local fences, fenceOrder = {}, {}
local windows, windowOrder = {}, {}
local latests, latestOrder = {}, {}

local function fenceOf(key, partition)
  local fence = fences[key]
  if fence == nil then
    fence = {key = key, offsets = {}, changed = {}}
    fences[key] = fence
    fenceOrder[#fenceOrder + 1] = fence
  end
  local offset = fence.offsets[partition]
  if offset == nil then
    offset = tonumber(redis.call('HGET', key, partition)) or false
    fence.offsets[partition] = offset
  end
  return fence, offset
end

local function windowOf(rec, w)
  local key = prefix .. w[1]
  local window = windows[key]
  if window == nil then
    local s = redis.call('HMGET', key, 'count', 'sum', 'min', 'max', 'first', 'firstTime',
      'last', 'lastTime', 'closed')
    window = {key = key, member = w[1], tenant = rec[5], device = rec[6], metric = w[2],
      windowStart = w[3], windowEndText = w[4], windowEnd = tonumber(w[4]),
      isNew = s[1] == false, closed = s[9] == '1', changed = false,
      count = tonumber(s[1]) or 0, sum = tonumber(s[2]) or 0, mn = tonumber(s[3]),
      mx = tonumber(s[4]), first = tonumber(s[5]), firstTime = tonumber(s[6]),
      last = tonumber(s[7]), lastTime = tonumber(s[8])}
    windows[key] = window
    windowOrder[#windowOrder + 1] = window
  end
  return window
end

-- The outbox entry's JSON, written here so records need not carry it: too late is rare.
local function tooLateContext(rec)
  local origin = rec[8]
  return cjson.encode({tenant = rec[5], device = rec[6], rawPartition = tonumber(rec[3]),
    rawOffset = rec[4],
    origin = {topic = origin[1], partition = origin[2], offset = origin[3], key = origin[4]}})
end

-- [[time, value, unit?], ...] with every digit kept (cjson.encode would round to 14 digits).
local function readingsJson(readings)
  local parts = {}
  for i, r in ipairs(readings) do
    local unit = ''
    if r[3] then unit = ',' .. cjson.encode(r[3]) end
    parts[i] = '[' .. fmt(r[1]) .. ',' .. fmt(r[2]) .. unit .. ']'
  end
  return '[' .. table.concat(parts, ',') .. ']'
end

local function applyWindow(rec, w)
  local window = windowOf(rec, w)
  local readings = w[5]
  if window.closed or now >= window.windowEnd + lateness then
    redis.call('XADD', KEYS[2], '*', 'ctx', tooLateContext(rec), 'metric', w[2],
      'windowStart', w[3], 'readings', readingsJson(readings))
    return 0, #readings
  end
  local count, sum = window.count, window.sum
  local mn, mx = window.mn, window.mx
  local first, firstTime = window.first, window.firstTime
  local last, lastTime = window.last, window.lastTime
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
  window.count, window.sum, window.mn, window.mx = count, sum, mn, mx
  window.first, window.firstTime, window.last, window.lastTime = first, firstTime, last, lastTime
  window.changed = true
  return #readings, 0
end

-- Latest values: one HMGET per device and call for the metrics not read yet.
local function applyLatest(rec)
  local latest = rec[7]
  if #latest == 0 then return end
  local key = prefix .. rec[2]
  local entry = latests[key]
  if entry == nil then
    entry = {key = key, times = {}, texts = {}, changed = {}}
    latests[key] = entry
    latestOrder[#latestOrder + 1] = entry
  end
  local unread = {}
  for _, l in ipairs(latest) do
    if entry.times[l[1]] == nil then unread[#unread + 1] = l[1] end
  end
  if #unread > 0 then
    local current = redis.call('HMGET', key, unpack(unread))
    for i, metric in ipairs(unread) do
      -- HMGET answers false (not nil) for a missing field.
      local time = false
      if current[i] then time = tonumber(string.match(current[i], '^([^|]+)')) or false end
      entry.times[metric] = time
    end
  end
  for _, l in ipairs(latest) do
    local time = tonumber(l[2])
    local currentTime = entry.times[l[1]]
    if currentTime == false or time > currentTime then
      entry.times[l[1]] = time
      entry.texts[l[1]] = l[2] .. '|' .. l[3]
      entry.changed[l[1]] = true
    end
  end
end

local out = {}
for _, rec in ipairs(records) do
  local fence, offset = fenceOf(prefix .. rec[1], rec[3])
  local rawOffset = tonumber(rec[4])
  if offset and offset >= rawOffset then
    out[#out + 1] = 0
    out[#out + 1] = 0
    out[#out + 1] = 0
  else
    fence.offsets[rec[3]] = rawOffset
    fence.changed[rec[3]] = rec[4]
    local applied, tooLate = 0, 0
    for _, w in ipairs(rec[9]) do
      local a, l = applyWindow(rec, w)
      applied = applied + a
      tooLate = tooLate + l
    end
    applyLatest(rec)
    out[#out + 1] = 1
    out[#out + 1] = applied
    out[#out + 1] = tooLate
  end
end

for _, fence in ipairs(fenceOrder) do
  local fields = {}
  for partition, offsetText in pairs(fence.changed) do
    fields[#fields + 1] = partition
    fields[#fields + 1] = offsetText
  end
  if #fields > 0 then redis.call('HSET', fence.key, unpack(fields)) end
end
for _, w in ipairs(windowOrder) do
  if w.changed then
    local fields = {'count', w.count, 'sum', fmt(w.sum), 'min', fmt(w.mn), 'max', fmt(w.mx),
      'first', fmt(w.first), 'firstTime', fmt(w.firstTime), 'last', fmt(w.last),
      'lastTime', fmt(w.lastTime)}
    if w.isNew then
      for _, f in ipairs({'t', w.tenant, 'd', w.device, 'm', w.metric, 'ws', w.windowStart,
        'we', w.windowEndText}) do
        fields[#fields + 1] = f
      end
    end
    redis.call('HSET', w.key, unpack(fields))
    if w.isNew then
      redis.call('ZADD', KEYS[1], 'NX', w.windowEnd, w.member)
      -- Relative to the caller's clock (the same clock the lateness rule uses), not Redis's.
      redis.call('PEXPIRE', w.key, math.max(1, w.windowEnd + retention - now))
    end
  end
end
for _, entry in ipairs(latestOrder) do
  local fields = {}
  for metric in pairs(entry.changed) do
    fields[#fields + 1] = metric
    fields[#fields + 1] = entry.texts[metric]
  end
  if #fields > 0 then redis.call('HSET', entry.key, unpack(fields)) end
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
