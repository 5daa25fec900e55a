/**
 * Token bucket in one Redis round trip, atomic across gateway instances. KEYS[1] = the bucket hash
 * (`tokens`, `ts`); ARGV = rate (tokens/s), burst (capacity), cost, now (ms). The clock is the
 * caller's, not Redis' TIME, so tests can drive it; instances' clocks only need to agree to well
 * under a second. Returns {allowed (1/0), tokens left (floor), ms until `cost` tokens are there}.
 * A cost above the burst can never be paid at once: it is allowed when the bucket is full and drives
 * the balance negative (the key then waits for the debt), so one large body is not refused forever.
 */
export const TOKEN_BUCKET_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then
  tokens = burst
  ts = now
end
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate / 1000)
  ts = now
end
local allowed = 0
local wait = 0
if tokens >= cost or (cost > burst and tokens >= burst) then
  tokens = tokens - cost
  allowed = 1
else
  wait = math.ceil((math.min(cost, burst) - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', ts)
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) * 1000 / rate) + 1000)
return {allowed, math.floor(tokens), wait}
`;
