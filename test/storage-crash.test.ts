// Crash recovery against a real Redis: a child process runs the fill path (journal → book →
// checkpoint → acknowledge) flat out and is SIGKILLed at random moments, six times; after each
// kill the state restored from Redis must hold every acknowledged fill exactly once, and the
// ledger rebuilt from checkpoint + journal tail must equal the ledger of the whole journal.
// Needs the built code (`npm run build:ts`, run by `npm test`'s pretest).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PositionTracker } from '../src/execution/position.js';
import { decodeEntry, fillKey, type FillRecord } from '../src/storage/records.js';
import { RedisStore } from '../src/storage/redis-store.js';
import { repoRoot } from './helpers/cargo.js';
import { startRedis, type TestRedis } from './helpers/redis.js';

const SYMBOL = 'SEI/USDC';
const PREFIX = 'crash:';
const WRITER = fileURLToPath(new URL('test/helpers/journal-writer.mjs', repoRoot));
const SESSIONS = 6;

let redis: TestRedis;
let raw: Redis;

beforeAll(async () => {
  if (!existsSync(fileURLToPath(new URL('dist/storage/redis-store.js', repoRoot)))) throw new Error('dist/ is missing: run npm run build:ts');
  redis = await startRedis();
  raw = new Redis(redis.url, { lazyConnect: true });
  await raw.connect();
});

afterAll(async () => {
  raw?.disconnect();
  await redis?.dispose();
});

/** A small seeded generator: the kill moments are random but reproducible from the printed seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

interface Session {
  readonly acked: readonly { readonly key: string; readonly seq: number }[];
  readonly killedAfterMs: number;
}

async function runAndKill(session: number, delayMs: number): Promise<Session> {
  const child = spawn(process.execPath, [WRITER, redis.url, PREFIX, String(session)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const acked: { key: string; seq: number }[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let firstAck: () => void = () => undefined;
  const gotFirstAck = new Promise<void>((resolve) => (firstAck = resolve));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const [word, key, seq] = line.split(' ');
    if (word === 'ack') {
      acked.push({ key: key!, seq: Number(seq) });
      firstAck();
    } else if (word === 'error') stderr += line;
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await Promise.race([gotFirstAck, exited]);
  await new Promise((resolve) => setTimeout(resolve, delayMs));
  child.kill('SIGKILL');
  await exited;
  clearTimeout(timeout);
  if (acked.length === 0) throw new Error(`session ${session} acknowledged nothing: ${stderr}`);
  return { acked, killedAfterMs: delayMs };
}

async function journalFills(): Promise<{ seq: number; fill: FillRecord }[]> {
  const entries = (await raw.xrange(`${PREFIX}journal:{${SYMBOL}}`, '-', '+')).map(([id, f]) => decodeEntry(id, f));
  return entries.flatMap((e) => (e.type === 'fill' ? [{ seq: e.seq, fill: e.fill }] : []));
}

describe('restore after SIGKILL mid-write', () => {
  it(`loses nothing acknowledged and books nothing twice, over ${SESSIONS} kills`, async () => {
    const seed = Number(process.env['FLASHMM_CRASH_SEED'] ?? Date.now() % 1_000_000);
    const random = rng(seed);
    const everAcked = new Set<string>();
    for (let session = 1; session <= SESSIONS; session += 1) {
      const delayMs = Math.round(5 + random() * 150);
      const { acked } = await runAndKill(session, delayMs);
      const context = `seed ${seed}, session ${session}, killed ${delayMs} ms after its first ack`;
      for (const { key } of acked) everAcked.add(key);

      const journal = await journalFills();
      const keys = journal.map(({ fill }) => fillKey(fill.clientId, fill.fillId));
      expect(new Set(keys).size, `no fill twice (${context})`).toBe(keys.length);
      const missing = [...everAcked].filter((k) => !keys.includes(k));
      expect(missing, `every acknowledged fill is in the journal (${context})`).toEqual([]);
      for (const key of keys) expect(key, context).toMatch(/^fm-s\d+-\d+\/[123]$/);
      // Sequence numbers of the journal are increasing.
      expect(journal.map((j) => j.seq), context).toEqual([...journal.map((j) => j.seq)].sort((a, b) => a - b));

      // What a restart restores equals the ledger of the whole journal, to the unit.
      const store = new RedisStore({
        url: redis.url, keyPrefix: PREFIX, onDisconnect: 'halt', maxBufferedWrites: 100, commandTimeoutMs: 1_000, maxReconnectDelayMs: 100, journalMaxEntries: 1_000_000,
      });
      const outcome = await store.restore([SYMBOL]);
      if (!outcome.ok) throw new Error(outcome.reason);
      const restored = outcome.markets.get(SYMBOL)!;
      expect(restored.problems, context).toEqual([]);
      expect(restored.gaps, context).toEqual([]);
      const fromRestore = new PositionTracker();
      if (restored.checkpoint !== null) fromRestore.restore(SYMBOL, restored.checkpoint.position);
      for (const f of restored.fillsToReplay) fromRestore.applyFill(SYMBOL, f.side, f.price, f.lots, f.fee);
      const fromJournal = new PositionTracker();
      for (const { fill: f } of journal) fromJournal.applyFill(SYMBOL, f.side, f.price, f.lots, f.fee);
      expect(fromRestore.snapshot(SYMBOL), context).toEqual(fromJournal.snapshot(SYMBOL));
      expect(fromJournal.snapshot(SYMBOL).volumeLots, context).toBe(journal.reduce((n, j) => n + j.fill.lots, 0));
      await store.close();
    }
    expect(everAcked.size).toBeGreaterThan(SESSIONS);
  }, 120_000);
});
