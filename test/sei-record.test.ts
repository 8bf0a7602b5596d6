// `flashmm record --venue sei` on a real Sei chain (shared/sei/localnet.sh) with `flashmm sei
// traders` trading on it: the recorder follows the chain with no key, its parts rotate, SIGTERM
// closes them cleanly, and the recorder's own reader gives back exactly what the chain holds: at
// every recorded height the book the chain answers for that height (every level), and every
// settlement of that height's match result as one trade (price, size, aggressor), none else.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BinanceReader, MarketSpec, OrderBook, type EventBatch } from '../src/native.js';
import { SeiChain } from '../src/venues/sei/chain.js';
import { halfOf } from '../src/venues/sei/markets.js';
import { repoRoot } from './helpers/cargo.js';
import { startSeiChain, type SeiChainHandle } from './helpers/sei-chain.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const CLI = fileURLToPath(new URL('dist/cli.js', repoRoot));
const cwd = fileURLToPath(repoRoot);
const PAIR = { priceDenom: 'uusdc', assetDenom: 'usei' };

let chain: SeiChainHandle;
let rpc: SeiChain;
let dir: string;

beforeAll(async () => {
  chain = await startSeiChain();
  rpc = await SeiChain.connect(chain.info.rpc);
  dir = scratchDir('sei-record');
}, 240_000);

afterAll(async () => {
  rpc?.disconnect();
  await chain?.stop();
  if (dir !== undefined) removeDir(dir);
});

function started(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [CLI, ...args], { cwd, env });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

interface Snapshot { height: number; bids: [number, number][]; asks: [number, number][] }
interface Trade { id: number; price: number; size: number; buyerMaker: boolean }

/** The events of a recording part as the reader gives them: snapshots and trades, in order. */
function readPart(path: string): { snapshots: Snapshot[]; trades: Trade[]; events: number } {
  const reader = new BinanceReader(path);
  const snapshots: Snapshot[] = [];
  const trades: Trade[] = [];
  let events = 0;
  for (let b: EventBatch | null = reader.nextBatch(); b !== null; b = reader.nextBatch()) {
    events += b.length;
    const [kinds, starts, nbs, nas, prices, sizes, ids, flags] = [b.kinds, b.levelStart, b.bidCount, b.askCount, b.prices, b.sizes, b.firstId, b.flags];
    for (let i = 0; i < b.length; i++) {
      const start = starts[i] ?? 0;
      const level = (j: number): [number, number] => [prices[start + j] ?? 0, sizes[start + j] ?? 0];
      if (kinds[i] === 0) {
        const nb = nbs[i] ?? 0;
        const na = nas[i] ?? 0;
        snapshots.push({
          height: b.lastId[i] ?? 0,
          bids: Array.from({ length: nb }, (_, j) => level(j)).sort((x, y) => y[0] - x[0]),
          asks: Array.from({ length: na }, (_, j) => level(nb + j)).sort((x, y) => x[0] - y[0]),
        });
      } else if (kinds[i] === 2) {
        const [price, size] = level(0);
        trades.push({ id: ids[i] ?? 0, price, size, buyerMaker: ((flags[i] ?? 0) & 1) !== 0 });
      }
    }
  }
  return { snapshots, trades, events };
}

describe('flashmm record --venue sei', () => {
  test('records the chain\'s books and settlements, read back exactly, in rotated parts closed by SIGTERM', async () => {
    const out = join(dir, 'rec');
    const env = { ...process.env, FLASHMM_TRADER_MNEMONICS: `${chain.account('b').mnemonic};${chain.account('c').mnemonic}` };
    const sei = ['--rpc', chain.info.rpc, '--chain-id', chain.info.chainId, '--contract', chain.info.contract];
    // No FLASHMM_MNEMONIC: the recorder needs no key.
    const recorder = started(['record', '--venue', 'sei', ...sei, '--market', 'SEI/USDC=uusdc/usei', '--out-dir', out, '--name', 't', '--max-minutes', '0.1', '--summary', join(dir, 'summary.json')]);
    const traders = started(['sei', 'traders', ...sei, '--seed', '3', '--rate', '1', '--blocks', '120', '--log-format', 'json'], env);
    const t = await traders.done;
    expect(t.code, t.stderr).toBe(0);
    recorder.child.kill('SIGTERM');
    const r = await recorder.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^stopped \(SIGTERM\): \d+ events in \d+ part\(s\)$/m);
    expect(r.stderr).not.toMatch(/"level":50/);
    const parts = r.stdout.trim().split('\n');
    expect(parts.length).toBeGreaterThanOrEqual(3);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { reason: string; events: number; parts: string[]; books: { lastUpdateId: number; bids: unknown[]; asks: unknown[] }[] };
    expect(summary).toMatchObject({ reason: 'SIGTERM', parts });

    // The chain's grid, halved: settlements at the midpoint of two prices are exact on it.
    const registered = (await rpc.registeredPairs(chain.info.contract)).find((p) => p.priceDenom === PAIR.priceDenom && p.assetDenom === PAIR.assetDenom);
    const spec = new MarketSpec({ symbol: 'SEI/USDC', tickSize: halfOf(registered?.priceTick ?? ''), lotSize: registered?.quantityTick ?? '' });
    const whole = new OrderBook('binance-spot');
    const snapshots: Snapshot[] = [];
    const trades: Trade[] = [];
    let events = 0;
    const perPart: number[] = [];
    for (const [i, p] of parts.entries()) {
      expect(p).toBe(join(out, `spot_sei_usdc_t-${i + 1}.gz`));
      gunzipSync(readFileSync(p)); // a complete gzip member: throws on a missing trailer
      expect(JSON.parse(readFileSync(`${p}.spec.json`, 'utf8'))).toMatchObject({ tick_size: spec.tickSize, lot_size: spec.lotSize });
      const reader = new BinanceReader(p);
      const alone = new OrderBook('binance-spot');
      for (let b = reader.nextBatch(); b !== null; b = reader.nextBatch()) {
        whole.applyBatch(b);
        alone.applyBatch(b);
      }
      expect(alone.isValid, `part ${i + 1} replays on its own`).toBe(true);
      const read = readPart(p);
      // Each later part opens with the book as recorded at the rotation: the previous part's last height.
      if (i > 0) expect(read.snapshots[0]).toEqual(snapshots.at(-1));
      snapshots.push(...(i > 0 ? read.snapshots.slice(1) : read.snapshots));
      trades.push(...read.trades);
      events += read.events;
      perPart.push(read.events);
    }
    expect(events).toBe(summary.events);
    expect(whole.lastUpdateId).toBe(summary.books[0]?.lastUpdateId);

    // One snapshot per height followed live (a height caught up after a lag has its trades but
    // no book: the venue reads books at the latest height only), each the chain's book at that
    // height exactly.
    const heights = snapshots.map((s) => s.height);
    expect(heights.length).toBeGreaterThan(100);
    expect(heights.every((h, i) => i === 0 || h > (heights[i - 1] ?? 0))).toBe(true);
    const first = heights[0] ?? 0;
    const last = Math.max(heights.at(-1) ?? 0, ...trades.map((x) => Math.floor(x.id / 1_000)));
    expect(heights.length).toBeGreaterThan((last - first + 1) * 0.9);
    const ticks = (side: { prices: string[]; sizes: string[] }, order: 1 | -1): [number, number][] =>
      side.prices.map((px, i): [number, number] => [spec.priceToTicks(px), spec.sizeToLots(side.sizes[i] ?? '')]).sort((x, y) => order * (x[0] - y[0]));
    let levels = 0;
    for (const s of snapshots) {
      const book = await rpc.book(chain.info.contract, PAIR, s.height);
      expect({ height: s.height, bids: s.bids, asks: s.asks }).toEqual({ height: s.height, bids: ticks(book.bids, -1), asks: ticks(book.asks, 1) });
      levels += s.bids.length + s.asks.length;
    }
    expect(levels).toBeGreaterThan(heights.length * 5);

    // Every settlement of every recorded height, one trade each (its long side), in order; none else.
    const expected: Trade[] = [];
    for (let h = first; h <= last; h++) {
      const match = await rpc.matchResult(chain.info.contract, h);
      if (match === null) continue;
      const fresh = new Set(match.orders.map((o) => o.id ?? 0n));
      match.settlements
        .filter((x) => x.priceDenom === PAIR.priceDenom && x.assetDenom === PAIR.assetDenom && x.positionDirection === 'Long')
        .forEach((x, i) => expected.push({
          id: h * 1_000 + i, price: spec.priceToTicks(x.executionCostOrProceed), size: spec.sizeToLots(x.quantity), buyerMaker: !fresh.has(x.orderId),
        }));
    }
    expect(trades).toEqual(expected);
    expect(trades.length).toBeGreaterThan(10);
    // Midpoint settlements are among them, on the half-tick grid.
    expect(trades.some((x) => x.price % 2 === 1)).toBe(true);

    // The backtest reads a part whole.
    const bt = await promisify(execFile)(process.execPath, [CLI, 'backtest', parts[1] ?? '', '--no-cache'], { cwd, timeout: 60_000 });
    expect(bt.stdout).toMatch(new RegExp(`^SEI/USDC backtest of .*: [\\d.]+ s, ${perPart[1]} events, `, 'm'));
  }, 180_000);
});
