// On a venue whose public book shows our own orders, the quote loop tracks them in the market
// state's own-order book, so decisions read the book net of our liquidity: our order alone at
// the best bid is not taken for the market's best bid.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load.js';
import { recording } from '../src/config/data-dir.js';
import { MarketLoop, marketStateOptions } from '../src/engine/market-loop.js';
import { BinanceReader, MarketState } from '../src/native.js';
import { createLogger } from '../src/telemetry/logger.js';
import { makeHarness, quote, SYMBOL } from './helpers/trading-harness.js';

describe('the quote loop on a venue whose book shows our orders', () => {
  it('reads the book net of our liquidity, and sees it again once our order is gone', async () => {
    const h = await makeHarness({ limits: { maxPositionLots: 1_000_000_000, maxNotional: 10n ** 30n } });
    const file = recording('usdm_btcusdt_20240808.gz');
    const reader = new BinanceReader(file);
    const { config } = loadConfig({ env: 'development' });
    const state = new MarketState({ ...marketStateOptions(config.strategy, reader.sequenceRule, 10), netOfOwn: true });
    const market = h.venue.markets()[0];
    if (market === undefined) throw new Error('no market');
    const loop = new MarketLoop({
      market, state, strategy: config.strategy, maxPositionLots: 10, risk: h.risk, orders: h.orders, positions: h.positions,
      send: (b) => h.submit(b), log: createLogger({ level: 'silent' }),
    });
    for (let b = reader.nextBatch(); b !== null && state.top() === null; b = reader.nextBatch()) state.apply(b);
    const before = state.top();
    expect(before).not.toBeNull();
    if (before === null) return;

    // We rest the whole best bid (the venue shows it as the level's size).
    h.risk.onMarketData(SYMBOL, h.clock.nowMs());
    await h.step([quote('buy', before.bid.price, before.bid.size)]);
    const events = h.venue.takeEvents();
    for (const e of events) {
      h.orders.onEvent(e);
      loop.onOwnOrderEvent(e, h.orders.order(e.type === 'fill' ? e.fill.clientId : e.clientId));
    }
    expect(events.map((e) => e.type)).toEqual(['accepted']);
    const net = state.top();
    expect(net?.bid.price).toBeLessThan(before.bid.price);
    expect(net?.ask).toEqual(before.ask);

    // Cancelled: the level is someone else's again.
    await h.step([]);
    for (const e of h.venue.takeEvents()) {
      h.orders.onEvent(e);
      loop.onOwnOrderEvent(e, h.orders.order(e.type === 'fill' ? e.fill.clientId : e.clientId));
    }
    expect(state.top()?.bid).toEqual(before.bid);
  });
});
