// `flashmm run --venue sei` end to end on a real Sei chain (shared/sei/localnet.sh): the daemon
// quotes both sides of the pair around other participants' book (its own orders netted out), a
// second account's orders fill ours at the chain's midpoint prices, the daemon's position and P&L
// equal the chain's settlements to the money unit, and SIGTERM and the kill switch (SIGUSR2)
// each leave zero open orders of ours on the chain, as the chain itself reports. Also: observe
// mode (no key, no orders) and the refusal of pacific-1.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Ledger, MarketSpec } from '../src/native.js';
import { SeiChain } from '../src/venues/sei/chain.js';
import { startSeiChain, type SeiChainHandle } from './helpers/sei-chain.js';
import {
  chainOrders, DaemonProcess, daemonConfig, PAIR, settlementsOf, SPEC, SYMBOL, Trader, until, type LogLine,
} from './helpers/sei-daemon.js';
import { removeDir, scratchDir } from './helpers/servers.js';

/** The pair's grid at half a tick: settlement prices are exact on it. */
const HALF_TICKS = new MarketSpec({ symbol: SYMBOL, tickSize: '0.00005', lotSize: '1' });

let chain: SeiChainHandle;
let rpc: SeiChain;
let taker: Trader;
let dir: string;
let config: string;
const running: DaemonProcess[] = [];

function seiArgs(extra: readonly string[] = []): string[] {
  return [
    '--config', config, '--venue', 'sei', '--rpc', chain.info.rpc, '--chain-id', chain.info.chainId, '--contract', chain.info.contract,
    '--market', `${SYMBOL}=${PAIR.priceDenom}/${PAIR.assetDenom}`, ...extra,
  ];
}

function start(args: readonly string[], env: Record<string, string> = { FLASHMM_MNEMONIC: chain.account('a').mnemonic }): DaemonProcess {
  const d = DaemonProcess.start(args, env);
  running.push(d);
  return d;
}

const maker = () => chain.account('a').address;
const ours = () => chainOrders(rpc, chain.info.contract, maker());
const sorted = <T extends { side: string }>(xs: T[]) => [...xs].sort((x, y) => x.side.localeCompare(y.side));

/** Our orders on the chain become exactly `quotes` and stay so for five more blocks. */
async function steady(quotes: readonly { side: string; price: string; quantity: string }[]): Promise<void> {
  const view = async () => sorted(await ours()).map(({ side, price, quantity }) => ({ side, price, quantity }));
  await until(view, (o) => JSON.stringify(o) === JSON.stringify(quotes), `quotes ${JSON.stringify(quotes)} on chain`);
  const at = await rpc.latestHeight();
  await until(() => rpc.latestHeight(), (h) => h >= at + 5, 'five more blocks');
  expect(await view()).toEqual(quotes);
}

beforeAll(async () => {
  chain = await startSeiChain();
  rpc = await SeiChain.connect(chain.info.rpc);
  taker = await Trader.connect(chain, 'b');
  // Other participants' book: 1.0000 bid, 1.0100 ask (mid 10 050 ticks).
  await taker.place([{ side: 'buy', price: '1', quantity: '10' }, { side: 'sell', price: '1.01', quantity: '10' }]);
  dir = scratchDir('sei-daemon');
  config = daemonConfig(dir);
}, 240_000);

afterAll(async () => {
  for (const d of running) d.kill('SIGKILL');
  taker?.disconnect();
  rpc?.disconnect();
  await chain?.stop();
  if (dir !== undefined) removeDir(dir);
});

describe('flashmm run --venue sei', () => {
  test('quotes both sides; a taker fills ours; position and P&L equal the chain settlements; SIGTERM leaves none', async () => {
    const h0 = await rpc.latestHeight();
    const d = start(seiArgs());
    await d.next((l) => l.msg === 'sei venue open', 'venue open');
    expect((await d.next((l) => l.msg === 'sei venue open', 'venue open')).node).toMatchObject({ version: 'v5.5.5', chainId: 'sei-local' });
    // Around the others' mid (10 050 ticks) ± 3, skewed by the inventory; our own orders are in the
    // public book too, and must not move that mid (the view net of ours), so the quotes stay put.
    await steady([{ side: 'buy', price: '1.0047', quantity: '5' }, { side: 'sell', price: '1.0053', quantity: '5' }]);
    // The taker sells 2 through our bid: both settle at the midpoint of the two limits, half a tick off the grid.
    await taker.place([{ side: 'sell', price: '1.004', quantity: '2' }]);
    expect(await d.next((l) => l.msg === 'fill', 'our buy fill')).toMatchObject({ side: 'buy', price: 10_043.5, size: 2, liquidity: 'maker', position: 2 });
    await steady([{ side: 'buy', price: '1.0045', quantity: '5' }, { side: 'sell', price: '1.0051', quantity: '5' }]); // long 2: 2 ticks lower
    await taker.place([{ side: 'buy', price: '1.006', quantity: '3' }]);
    expect(await d.next((l) => l.msg === 'fill' && l.side === 'sell', 'our sell fill')).toMatchObject({ price: 10_055.5, size: 3, liquidity: 'maker', position: -1 });
    await steady([{ side: 'buy', price: '1.0048', quantity: '5' }, { side: 'sell', price: '1.0054', quantity: '5' }]); // short 1
    d.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(d.lines.at(-1)).toMatchObject({ msg: 'stopped cleanly: no open orders', openOrders: 0, reason: 'SIGTERM' });
    expect(await ours()).toEqual([]);
    // The chain's settlements of our account, read block by block from the match results.
    const settlements = await settlementsOf(rpc, chain.info.contract, maker(), h0, await rpc.latestHeight());
    expect(settlements.map(({ side, price, quantity }) => ({ side, price, quantity }))).toEqual([
      { side: 'buy', price: '1.00435', quantity: '2' },
      { side: 'sell', price: '1.00555', quantity: '3' },
    ]);
    expectBooked(d.lines, settlements);
  }, 90_000);

  test('the kill switch cancels every order of ours on the chain and stops quoting', async () => {
    const d = start(seiArgs());
    await until(ours, (o) => o.length === 2, 'quoted on chain');
    d.kill('SIGUSR2');
    const settled = await d.next((l) => l.msg === 'kill switch settled', 'kill switch settled');
    expect(settled.outcome).toMatchObject({ ok: true });
    expect(await ours()).toEqual([]);
    // Blocks go on, nothing is placed again.
    const status = await d.status();
    const at = status.venue?.height ?? 0;
    await until(() => d.status(), (s) => (s.venue?.height ?? 0) >= at + 5, 'five blocks after the kill');
    expect(await ours()).toEqual([]);
    expect((await d.status()).killed).toBe(true);
    d.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(await ours()).toEqual([]);
  }, 60_000);

  test('--observe follows the book with no key and places nothing', async () => {
    const d = start(seiArgs(['--observe']), {});
    await d.next((l) => l.msg === 'sei venue open: observing (no key, no orders)', 'observing');
    const status = await until(() => d.status(), (s) => s.venue !== null && s.venue.height > 0 && s.markets[0]?.risk === 'active', 'book followed');
    expect(status.venue?.address).toBeNull();
    d.kill('SIGTERM');
    expect(await d.exited).toBe(0);
    expect(d.lines.filter((l) => l.msg === 'first quote sent')).toEqual([]);
    expect(await ours()).toEqual([]);
  }, 60_000);

  test('pacific-1 is refused at once, saying why', async () => {
    const d = start(['--config', config, '--venue', 'sei', '--preset', 'pacific-1', '--contract', chain.info.contract, '--market', `${SYMBOL}=uusdc/usei`]);
    expect(await d.exited).toBe(1);
    expect(d.stderr.join('\n')).toMatch(/pacific-1 cannot be traded by the sei venue: Sei mainnet: EVM-only \(SIP-3\).*sei-chain v5\.5\.x or older/);
  }, 30_000);
});

/**
 * The daemon's booked position and P&L (its final-state log, exact money units) equal a ledger
 * fed the chain's settlements, and the cash flow of the settlements marked at the same mid.
 */
function expectBooked(lines: readonly LogLine[], settlements: readonly { side: 'buy' | 'sell'; price: string; quantity: string }[]): void {
  const final = lines.find((l) => l.msg === 'final state' && l.symbol === SYMBOL) as (LogLine & { position: number; mid2: number; pnlUnits: Record<string, string> }) | undefined;
  expect(final).toBeDefined();
  if (final === undefined) return;
  const ledger = new Ledger();
  let position = 0;
  let cash2 = 0n; // half-tick × lot units: exact at midpoint prices
  for (const s of settlements) {
    const price = HALF_TICKS.priceToTicks(s.price) / 2;
    const lots = SPEC.sizeToLots(s.quantity);
    ledger.applyFill(s.side, price, lots, 0n);
    const sign = s.side === 'buy' ? 1 : -1;
    position += sign * lots;
    cash2 -= BigInt(sign * lots) * BigInt(price * 2);
  }
  const pnl = ledger.pnl(final.mid2);
  expect(final.position).toBe(position);
  expect(final.pnlUnits).toEqual({ realised: String(pnl.realised), unrealised: String(pnl.unrealised), fees: '0', net: String(pnl.net) });
  // Independently: realised + unrealised = the cash flow plus the position marked at mid2 / 2.
  expect(pnl.realised + pnl.unrealised).toBe((cash2 + BigInt(position) * BigInt(final.mid2)) * 500_000n);
}
