// The short soak on a real Sei chain (shared/sei/localnet.sh): `flashmm sei traders` (accounts b
// and c, the core's ZI flow) and `flashmm run --venue sei` (account a) for SOAK_SECONDS (default
// 100): fills happen, the daemon's booked position and P&L equal the chain's settlements of our
// account block by block, SIGTERM leaves zero orders of ours on the chain, neither process
// logs at error level, and the venue timed decision → resting for its orders. The 30-minute version with the full report is bench/sei-soak.mjs.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Ledger, MarketSpec } from '../src/native.js';
import { SeiChain } from '../src/venues/sei/chain.js';
import { repoRoot } from './helpers/cargo.js';
import { startSeiChain, type SeiChainHandle } from './helpers/sei-chain.js';
import { chainOrders, DaemonProcess, daemonConfig, PAIR, settlementsOf, SPEC, SYMBOL, until, type LogLine } from './helpers/sei-daemon.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const SOAK_MS = Number(process.env.SOAK_SECONDS ?? 100) * 1_000;
const CLI = fileURLToPath(new URL('dist/cli.js', repoRoot));
const HALF_TICKS = new MarketSpec({ symbol: SYMBOL, tickSize: '0.00005', lotSize: '1' });
/** pino's level number of `error`. */
const ERROR = 50;

let chain: SeiChainHandle;
let rpc: SeiChain;
let dir: string;

beforeAll(async () => {
  chain = await startSeiChain();
  rpc = await SeiChain.connect(chain.info.rpc);
  dir = scratchDir('sei-soak');
}, 240_000);

afterAll(async () => {
  rpc?.disconnect();
  await chain?.stop();
  if (dir !== undefined) removeDir(dir);
});

test('traders and the daemon for the soak: fills, position = settlements, none of ours after SIGTERM, no error', async () => {
  const h0 = await rpc.latestHeight();
  const traders = spawn(process.execPath, [
    CLI, 'sei', 'traders', '--rpc', chain.info.rpc, '--chain-id', chain.info.chainId, '--contract', chain.info.contract, '--seed', '11', '--log-format', 'json',
  ], { env: { ...process.env, FLASHMM_TRADER_MNEMONICS: `${chain.account('b').mnemonic};${chain.account('c').mnemonic}` }, cwd: fileURLToPath(repoRoot) });
  let tradersOut = '';
  let tradersErr = '';
  traders.stdout.on('data', (b: Buffer) => (tradersOut += b.toString()));
  traders.stderr.on('data', (b: Buffer) => (tradersErr += b.toString()));
  const tradersExited = new Promise<number | null>((resolve) => traders.on('exit', resolve));
  try {
    await until(() => chainOrders(rpc, chain.info.contract, chain.account('b').address), (o) => o.length >= 3, 'the traders\' book', 30_000);
    // The deterministic quoter of the other Sei tests, one tick off the others' mid: inside their spread often.
    const config = daemonConfig(dir);
    writeFileSync(config, readFileSync(config, 'utf8').replace('halfSpread: 3', 'halfSpread: 1'));
    const soakStart = Date.now();
    const d = DaemonProcess.start([
      '--config', config, '--venue', 'sei', '--rpc', chain.info.rpc, '--chain-id', chain.info.chainId, '--contract', chain.info.contract,
      '--market', `${SYMBOL}=${PAIR.priceDenom}/${PAIR.assetDenom}`,
    ], { FLASHMM_MNEMONIC: chain.account('a').mnemonic });
    try {
      await d.next((l) => l.msg === 'sei venue open', 'venue open');
      await d.next((l) => l.msg === 'fill', 'a first fill', SOAK_MS);
      await new Promise((r) => setTimeout(r, Math.max(0, soakStart + SOAK_MS - Date.now()))); // the soak's length is the point
      // The venue timed its path: every order it placed rests one block or more after its decision.
      const page = await d.metricsPage();
      const series = (name: string) => Number(new RegExp(`^${name}\\{venue="sei"\\} (\\S+)$`, 'm').exec(page)?.[1]);
      const resting = series('flashmm_order_resting_seconds_count');
      expect(resting).toBeGreaterThan(0);
      expect(series('flashmm_order_resting_blocks_count')).toBe(resting);
      expect(series('flashmm_order_resting_blocks_sum')).toBeGreaterThanOrEqual(resting);
      expect(page).toMatch(/^flashmm_venue_broadcast_seconds_count\{venue="sei",from="(block|data|decision)"\} [1-9]/m);
      d.kill('SIGTERM');
      expect(await d.exited).toBe(0);
    } finally {
      d.kill('SIGKILL');
    }
    expect(d.lines.at(-1)).toMatchObject({ msg: 'stopped cleanly: no open orders', openOrders: 0 });
    expect(await chainOrders(rpc, chain.info.contract, chain.account('a').address)).toEqual([]);
    expect(d.lines.filter((l) => Number(l.level) >= ERROR)).toEqual([]);
    const fills = d.lines.filter((l) => l.msg === 'fill');
    expect(fills.length).toBeGreaterThan(0);
    const settlements = await settlementsOf(rpc, chain.info.contract, chain.account('a').address, h0, await rpc.latestHeight());
    expect(settlements.length).toBe(fills.length);
    expectBooked(d.lines, settlements);
  } finally {
    traders.kill('SIGTERM');
  }
  expect(await tradersExited).toBe(0);
  const summary = JSON.parse(tradersOut.trim().split('\n').at(-1) ?? '{}') as { txSent: number; txOk: number; failed: Record<string, number> };
  expect(summary.txSent).toBeGreaterThan(100);
  expect(summary.txOk).toBe(summary.txSent);
  expect(summary.failed).toEqual({});
  expect(tradersErr.split('\n').filter((l) => l.startsWith('{') && Number((JSON.parse(l) as LogLine).level) >= ERROR)).toEqual([]);
  for (const name of ['b', 'c'] as const) expect(await chainOrders(rpc, chain.info.contract, chain.account(name).address)).toEqual([]);
}, SOAK_MS + 120_000);

/** The daemon's final position and P&L (exact money units) equal a ledger fed the chain's settlements. */
function expectBooked(lines: readonly LogLine[], settlements: readonly { side: 'buy' | 'sell'; price: string; quantity: string }[]): void {
  const final = lines.find((l) => l.msg === 'final state' && l.symbol === SYMBOL) as (LogLine & { position: number; mid2: number; pnlUnits: Record<string, string> }) | undefined;
  expect(final).toBeDefined();
  if (final === undefined) return;
  const ledger = new Ledger();
  let position = 0;
  for (const s of settlements) {
    const lots = SPEC.sizeToLots(s.quantity);
    ledger.applyFill(s.side, HALF_TICKS.priceToTicks(s.price) / 2, lots, 0n);
    position += (s.side === 'buy' ? 1 : -1) * lots;
  }
  const pnl = ledger.pnl(final.mid2);
  expect(final.position).toBe(position);
  expect(final.pnlUnits).toEqual({ realised: String(pnl.realised), unrealised: String(pnl.unrealised), fees: '0', net: String(pnl.net) });
}
