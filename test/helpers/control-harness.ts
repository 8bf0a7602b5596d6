// One market's quote loop wired the way the daemon wires it — a real MarketState (the core's
// book, own-order book and estimators), the MarketLoop with its quoter and controls, the risk
// manager, the order manager and the ledger — against the ScriptedVenue, so a test states the
// book and the fills and reads the exact batches that come out.
import { ManualClock } from '../../src/execution/clock.js';
import { ClientIdGenerator } from '../../src/execution/client-id.js';
import { OrderManager } from '../../src/execution/order-manager.js';
import { PositionTracker } from '../../src/execution/position.js';
import { EventBatchBuilder, MarketSpec, MarketState } from '../../src/native.js';
import { type DecisionRecord, MarketLoop } from '../../src/engine/market-loop.js';
import type { RiskLimits } from '../../src/risk/limits.js';
import { RiskManager } from '../../src/risk/risk-manager.js';
import { quotingConfigSchema, type QuotingConfigInput } from '../../src/strategy/config.js';
import { createLogger } from '../../src/telemetry/logger.js';
import type { OrderBatch, PlaceRequest } from '../../src/venues/venue.js';
import { ScriptedVenue, TEST_MARKET } from './scripted-venue.js';
import { START_MS, SYMBOL, TEST_LIMITS } from './trading-harness.js';

export { SYMBOL };

/** A fixed-spread quoter with no inventory skew: prices are the mid ± 2 ticks, exactly. */
export const FIXED: QuotingConfigInput = {
  kind: 'fixed', fixed: { halfSpread: 2, skewTicksPerOrder: 0 }, orderSizeLots: 1, ladder: { sizesLots: [1] },
};

export interface ControlHarnessOptions {
  readonly limits?: Partial<RiskLimits>;
  /** The venue's feed shows our orders: the state is net of them and tracks them in its own-order book. */
  readonly netOfOwn?: boolean;
}

type Levels = readonly (readonly [price: number, size: number])[];

export async function makeControlHarness(strategy: QuotingConfigInput, options: ControlHarnessOptions = {}) {
  const clock = new ManualClock(START_MS);
  const venue = new ScriptedVenue(clock);
  const positions = new PositionTracker();
  const risk = new RiskManager({ [SYMBOL]: { ...TEST_LIMITS, ...options.limits } }, clock.nowMs());
  const orders = new OrderManager({
    clock, ids: new ClientIdGenerator('ctl'), positions, markets: venue.markets(), ackTimeoutMs: 60_000, orphanPolicy: 'cancel',
  });
  const netOfOwn = options.netOfOwn ?? false;
  const state = new MarketState({ sequenceRule: 'strict', netOfOwn });
  const loop = new MarketLoop({
    market: TEST_MARKET, state, strategy: quotingConfigSchema.parse(strategy), maxPositionLots: TEST_LIMITS.maxPositionLots,
    risk, orders, positions, send: (batch) => venue.submit(batch), log: createLogger({ level: 'silent' }),
  });
  // As the daemon routes them: the order manager first, then the own-order book and the controls.
  await venue.connect({
    onMarketData: () => undefined,
    onOrderEvent: (event) => {
      orders.onEvent(event);
      if (netOfOwn) loop.onOwnOrderEvent(event, orders.order(event.type === 'fill' ? event.fill.clientId : event.clientId));
      if (event.type === 'fill') loop.onFill(event.fill, clock.nowMs());
    },
    onConnection: (s) => risk.onConnection(s, clock.nowMs()),
  });

  const spec = new MarketSpec({ ...TEST_MARKET });
  const builder = new EventBatchBuilder(spec);
  let updateId = 0;
  const price = (ticks: number): string => (ticks / 10).toFixed(1);
  const size = (lots: number): string => (lots / 1000).toFixed(3);

  /** The public book becomes exactly these levels (one snapshot). */
  const book = (bids: Levels, asks: Levels): void => {
    updateId += 1;
    const ns = clock.nowNs();
    builder.pushSnapshot(updateId, ns, ns, bids.map(([p]) => price(p)), bids.map(([, s]) => size(s)), asks.map(([p]) => price(p)), asks.map(([, s]) => size(s)));
    loop.onMarketData(builder.finish(), clock.nowMs());
  };

  /** One decision after `advanceMs`; its batch is delivered to the venue and the venue's answers to us. */
  const decide = async (advanceMs = 200): Promise<DecisionRecord> => {
    clock.advance(advanceMs);
    risk.onMarketData(SYMBOL, clock.nowMs());
    const record = await loop.decide(clock.nowMs(), clock.nowNs());
    if (record === null) throw new Error('decision failed');
    venue.deliver();
    return record;
  };

  /** The market trades through one of our orders (a maker fill), delivered at once. */
  const fill = (clientId: string, lots: number): void => {
    venue.fill(clientId, lots);
    venue.deliver();
  };

  const restingIds = (side: 'buy' | 'sell'): string[] =>
    orders.liveOrders(SYMBOL).filter((o) => o.side === side && (o.state === 'open' || o.state === 'partially-filled')).map((o) => o.clientId);

  return { clock, venue, positions, risk, orders, state, loop, book, decide, fill, restingIds };
}

/** A batch as its places ([side, price, size]) and the ids it cancels, sorted. */
export function summary(batch: OrderBatch): { places: [string, number, number][]; cancels: string[] } {
  return { places: batch.places.map((p: PlaceRequest) => [p.side, p.price, p.size]), cancels: batch.cancels.map((c) => c.clientId).sort() };
}
