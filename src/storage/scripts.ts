// The Lua scripts behind every write: each write is one script call, so it is atomic and can be
// resent after a lost reply without being applied twice (ioredis loads them with EVALSHA and
// falls back to EVAL after a restart of Redis).

/** Status codes of `journalAppend`. */
export const APPENDED = 1;
/** The same sequence number was already written: a resend after a lost reply. */
export const ALREADY_WRITTEN = 2;
/** A fill with the same idempotency key is already in the journal (under another sequence number). */
export const DUPLICATE_FILL = 3;
/**
 * The sequence number is behind the journal's and has no entry: a later entry was written
 * first, so this one can no longer go in its place (counted as rejected).
 */
export const OUT_OF_ORDER = 4;

/**
 * The error reply of a fenced write: `FENCED <writer's token> <market's token>`. A sharded
 * market's writes carry their lease's fencing token; one older than the market's counter (the
 * lease was taken by another daemon since) changes nothing and gets this reply instead.
 */
export const FENCED = 'FENCED';

/** A refused write's tokens, from its error reply; null for any other error. */
export function fencedTokens(err: Error): { readonly token: number; readonly current: number } | null {
  const m = /^FENCED (\d+) (\d+)$/.exec(err.message);
  return m === null ? null : { token: Number(m[1]), current: Number(m[2]) };
}

/**
 * The fencing check every write script starts with, before it reads or changes anything, so
 * the check and the write are one atomic step: KEYS[key] is the market's lease-token counter,
 * ARGV[arg] the writer's token ('0': not sharded, no check).
 */
function fence(key: number, arg: number): string {
  return `
local fence = tonumber(ARGV[${arg}])
if fence > 0 then
  local current = tonumber(redis.call('GET', KEYS[${key}]) or '0')
  if fence < current then return redis.error_reply('${FENCED} ' .. fence .. ' ' .. current) end
end`;
}

export const SCRIPTS = {
  /**
   * KEYS: journal stream, fill keys (zset), last seq, lease token. ARGV: seq, fill key ('' for
   * none), stream cap, fill key cap, fencing token, then the entry's field/value pairs. Returns
   * {status, seq}: for a duplicate fill, the sequence number of the entry that has it. A duplicate consumes no sequence number
   * in Redis, so a resend of it is recognised again as a duplicate. Entries go in in sequence
   * order: the writer sends them in order and resends a failed one before anything after it.
   */
  journalAppend: {
    numberOfKeys: 4,
    lua: `${fence(4, 5)}
local seq = tonumber(ARGV[1])
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
if seq <= last then
  if #redis.call('XRANGE', KEYS[1], '0-' .. ARGV[1], '0-' .. ARGV[1]) > 0 then return {${ALREADY_WRITTEN}, seq} end
  return {${OUT_OF_ORDER}, last}
end
local key = ARGV[2]
if key ~= '' then
  local prev = redis.call('ZSCORE', KEYS[2], key)
  if prev then return {${DUPLICATE_FILL}, tonumber(prev)} end
end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], '0-' .. ARGV[1], unpack(ARGV, 6))
if key ~= '' then
  redis.call('ZADD', KEYS[2], seq, key)
  if redis.call('ZCARD', KEYS[2]) > tonumber(ARGV[4]) then redis.call('ZREMRANGEBYRANK', KEYS[2], 0, 0) end
end
redis.call('SET', KEYS[3], ARGV[1])
return {${APPENDED}, seq}
`,
  },
  /**
   * KEYS: positions, orders, lease token. ARGV: throughSeq, atMs, position, cost, realised, fees,
   * volume, fencing token, then client id/order JSON pairs. Replaces both keys at once; an older checkpoint (a smaller
   * throughSeq) never overwrites a newer one. Returns 1 if written, 0 if older.
   */
  checkpoint: {
    numberOfKeys: 3,
    lua: `${fence(3, 8)}
local current = tonumber(redis.call('HGET', KEYS[1], 'throughSeq') or '-1')
if current > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'throughSeq', ARGV[1], 'atMs', ARGV[2], 'position', ARGV[3], 'cost', ARGV[4],
  'realised', ARGV[5], 'fees', ARGV[6], 'volume', ARGV[7])
redis.call('DEL', KEYS[2])
if #ARGV > 8 then redis.call('HSET', KEYS[2], unpack(ARGV, 9)) end
return 1
`,
  },
  /** KEYS: book, lease token. ARGV: ttl ms, fencing token, then field/value pairs. */
  saveBook: {
    numberOfKeys: 2,
    lua: `${fence(2, 2)}
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`,
  },
  /**
   * KEYS: predictions list, lease token. ARGV: cap, fencing token, then entries oldest first. Entries up to the one already
   * at the head were pushed by an earlier send whose reply was lost (a resend carries them
   * again, merged with newer ones): only those after it are pushed. Returns how many were.
   */
  pushPredictions: {
    numberOfKeys: 2,
    lua: `${fence(2, 2)}
local head = redis.call('LINDEX', KEYS[1], 0)
local from = 3
if head then
  for i = #ARGV, 3, -1 do
    if ARGV[i] == head then from = i + 1 break end
  end
end
if from > #ARGV then return 0 end
redis.call('LPUSH', KEYS[1], unpack(ARGV, from))
redis.call('LTRIM', KEYS[1], 0, tonumber(ARGV[1]) - 1)
return #ARGV - from + 1
`,
  },
} as const;
