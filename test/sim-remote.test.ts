// The simulated venue as its own process (`flashmm sim serve`) and the daemon's adapter for it:
// the core's EventBatch crosses the socket byte for byte, two daemons trade on one venue without
// seeing each other's orders, reports or positions, and a daemon that goes away leaves its
// orders resting and finds them, its fills and its position when it comes back.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { configSchema, type Config } from '../src/config/schema.js';
import { BinanceReader, EventBatch, OrderBook } from '../src/native.js';
import { createLogger } from '../src/telemetry/logger.js';
import { SimServer } from '../src/venues/sim-remote/server.js';
import { RemoteSimVenue, RefusedError } from '../src/venues/sim-remote/remote-venue.js';
import { marketInfo } from '../src/venues/create.js';
import type { OrderEvent, VenueListener } from '../src/venues/venue.js';

const DATA = process.env['FLASHMM_DATA_DIR'] ?? '../shared/data';
const MARKET = { symbol: 'SEI/USDC', tickSize: '0.0001', lotSize: '0.1', minSizeLots: 10, makerFeePpm: 100, takerFeePpm: 500 };
const log = createLogger({ level: 'silent' });

function config(extra: Record<string, unknown> = {}): Config {
  return configSchema.parse({
    markets: [MARKET], strategy: { orderSizeLots: 10, ladder: { levels: 1, sizesLots: [10] } },
    venue: { generator: { seed: 3, initialPrice: '0.4000' }, latency: { entryMs: 1, responseMs: 1 } }, ...extra,
  });
}

/** A listener that keeps a book from the market data and every order event. */
function recorder() {
  const book = new OrderBook('strict');
  const events: OrderEvent[] = [];
  const waiters: { pred: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of waiters.splice(0)) (w.pred() ? w.resolve() : waiters.push(w));
  };
  const listener: VenueListener = {
    onMarketData: (_symbol, batch) => {
      book.applyBatch(batch);
      check();
    },
    onOrderEvent: (e) => {
      events.push(e);
      check();
    },
    onConnection: () => undefined,
  };
  const until = (pred: () => boolean) => (pred() ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ pred, resolve })));
  return { book, events, listener, until };
}

function client(server: SimServer, name: string): RemoteSimVenue {
  return new RemoteSimVenue({ url: `ws://127.0.0.1:${server.port}`, client: name, markets: [marketInfo(config().markets[0]!)], log });
}

describe('EventBatch wire form', () => {
  it('round-trips a recording exactly and refuses frames that are not one', () => {
    const reader = new BinanceReader(`${DATA}/binance/spot_btcusdt_20240808.gz`);
    const batch = reader.nextBatch(3_000)!;
    const copy = EventBatch.fromBuffer(batch.toBuffer());
    for (const column of ['kinds', 'localTs', 'exchangeTs', 'firstId', 'lastId', 'prevId', 'flags', 'levelStart', 'bidCount', 'askCount', 'prices', 'sizes'] as const) {
      expect(copy[column], column).toEqual(batch[column]);
    }
    expect(copy.toBuffer().equals(batch.toBuffer())).toBe(true);
    const bytes = batch.toBuffer();
    expect(() => EventBatch.fromBuffer(bytes.subarray(0, bytes.length - 1))).toThrow(expect.objectContaining({ code: 'BAD_FRAME' }));
    expect(() => EventBatch.fromBuffer(Buffer.from('not a batch at all'))).toThrow(expect.objectContaining({ code: 'BAD_FRAME' }));
  });
});

describe('the remote sim venue', () => {
  let server: SimServer;

  beforeAll(async () => {
    server = await SimServer.start({ config: config(), log });
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves a book that late joiners can keep, and keeps two daemons apart', async () => {
    const a = client(server, 'alpha');
    const b = client(server, 'beta');
    const ra = recorder();
    const rb = recorder();
    await a.connect(ra.listener);
    // The second daemon joins later: it starts from the venue's snapshot, then the diffs.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await b.connect(rb.listener);
    await Promise.all([ra.until(() => ra.book.isValid), rb.until(() => rb.book.isValid)]);
    await rb.until(() => rb.book.counts().diffsApplied > 5);
    expect(rb.book.counts().gaps).toBe(0);

    // Both rest an order off the touch; b crosses the spread with one that takes (up to a limit
    // below its own resting sell: the venue refuses a self-trade).
    const bid = ra.book.bestBid()!;
    const ask = ra.book.bestAsk()!;
    await a.submit({ cancels: [], places: [{ clientId: 'a1', symbol: MARKET.symbol, side: 'buy', price: bid.price - 5, size: 10, postOnly: true }] });
    await b.submit({ cancels: [], places: [{ clientId: 'b1', symbol: MARKET.symbol, side: 'sell', price: ask.price + 100, size: 10, postOnly: true }] });
    await b.submit({ cancels: [], places: [{ clientId: 'b2', symbol: MARKET.symbol, side: 'buy', price: ask.price + 50, size: 10, postOnly: false }] });
    await ra.until(() => ra.events.some((e) => e.type === 'accepted'));
    await rb.until(() => rb.events.some((e) => e.type === 'fill' && e.fill.clientId === 'b2' && e.fill.leaves === 0));

    expect(ra.events.every((e) => (e.type === 'fill' ? e.fill.clientId : e.clientId) === 'a1')).toBe(true);
    expect(rb.events.every((e) => ['b1', 'b2'].includes(e.type === 'fill' ? e.fill.clientId : e.clientId))).toBe(true);
    expect((await a.openOrders(MARKET.symbol)).map((o) => o.clientId)).toEqual(['a1']);
    expect((await b.openOrders(MARKET.symbol)).map((o) => o.clientId)).toEqual(['b1']);

    // b's taker fills: its position is exactly their lots; a's is flat.
    const bFills = rb.events.flatMap((e) => (e.type === 'fill' ? [e.fill] : []));
    const bought = bFills.filter((f) => f.side === 'buy').reduce((n, f) => n + f.size, 0);
    const account = await b.accountSnapshot(MARKET.symbol, 0n);
    expect(account.positionLots).toBe(bought);
    expect(account.positionLots).toBe(10);
    expect(account.fills).toEqual(bFills);
    expect(account.fills.at(-1)?.fillId).toBe('10'); // cumulative filled lots after the fill
    expect((await a.accountSnapshot(MARKET.symbol, 0n)).positionLots).toBe(0);

    // cancel-all takes only the caller's orders.
    await b.cancelAll();
    await rb.until(() => rb.events.some((e) => e.type === 'cancelled' && e.clientId === 'b1'));
    expect((await a.openOrders(MARKET.symbol)).map((o) => o.clientId)).toEqual(['a1']);

    // a goes away: its order rests; back under the same name, it finds it.
    await a.close();
    const again = client(server, 'alpha');
    await again.connect(recorder().listener);
    expect((await again.openOrders(MARKET.symbol)).map((o) => o.clientId)).toEqual(['a1']);
    await again.cancelAll();
    await Promise.all([again.close(), b.close()]);
  });

  it('refuses a daemon whose market differs from the venue’s, naming the difference', async () => {
    const wrong = new RemoteSimVenue({
      url: `ws://127.0.0.1:${server.port}`, client: 'gamma', markets: [{ ...MARKET, tickSize: '0.001' }], log, connectTimeoutMs: 2_000,
    });
    await expect(wrong.connect(recorder().listener)).rejects.toThrow(new RefusedError('SEI/USDC: tickSize is 0.0001 on the sim venue, 0.001 in our config'));
    const unknown = new RemoteSimVenue({ url: `ws://127.0.0.1:${server.port}`, client: 'gamma', markets: [{ ...MARKET, symbol: 'X/Y' }], log });
    await expect(unknown.connect(recorder().listener)).rejects.toThrow(/no market X\/Y on this venue/);
  });
});

describe('flashmm sim serve', () => {
  it('listens, serves a daemon, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['dist/cli.js', 'sim', 'serve', '--port', '0'], {
      env: { ...process.env, FLASHMM_TELEMETRY__LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const first = await new Promise<string>((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
    const url = /^listening (ws:\/\/\S+)$/.exec(first)?.[1];
    expect(url).toBeDefined();
    const defaults = loadConfig().config; // what the command serves: the development config
    const venue = new RemoteSimVenue({ url: url!, client: 'cli', markets: defaults.markets.map(marketInfo), log });
    const r = recorder();
    await venue.connect(r.listener);
    await r.until(() => r.book.isValid);
    await venue.close();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).toBe(0);
  });
});
