// One market's risk manager + order manager + position tracker wired to a ScriptedVenue, the
// way the engine wires them: filter → sync → submit; venue events → order manager.
import { ClientIdGenerator } from '../../src/execution/client-id.js';
import { ManualClock } from '../../src/execution/clock.js';
import { OrderManager, type OrphanPolicy } from '../../src/execution/order-manager.js';
import { PositionTracker } from '../../src/execution/position.js';
import type { ReconcileReport } from '../../src/execution/reconcile.js';
import type { DesiredQuote, Side } from '../../src/market/types.js';
import type { RiskTransition } from '../../src/risk/events.js';
import type { RiskLimits } from '../../src/risk/limits.js';
import { RiskManager } from '../../src/risk/risk-manager.js';
import type { FilterResult } from '../../src/risk/quote-filter.js';
import type { OrderBatch, VenueOrder } from '../../src/venues/venue.js';
import { ScriptedVenue, TEST_MARKET } from './scripted-venue.js';
import { errorMessage } from '../../src/errors.js';

export const SYMBOL = TEST_MARKET.symbol;
export const START_MS = 1_700_000_000_000;

export const TEST_LIMITS: RiskLimits = {
  maxPositionLots: 10,
  maxNotional: 10n ** 15n,
  maxDailyLoss: 10n ** 12n,
  maxDrawdown: 10n ** 12n,
  maxOrdersPerSecond: 1_000,
  orderBurst: 1_000,
  maxOpenOrders: 50,
  staleBookMs: 1_000,
  disconnectMs: 500,
  maxErrors: 100,
  errorWindowMs: 1_000,
  autoKillOn: [],
};

export function quote(side: Side, price: number, size: number, level = 0): DesiredQuote {
  return { side, price, size, level, postOnly: true };
}

export interface HarnessOptions {
  readonly ackTimeoutMs?: number;
  readonly orphanPolicy?: OrphanPolicy;
  readonly limits?: Partial<RiskLimits>;
  readonly bootId?: string;
  readonly clock?: ManualClock;
  readonly venue?: ScriptedVenue;
}

export async function makeHarness(options: HarnessOptions = {}) {
  const clock = options.clock ?? new ManualClock(START_MS);
  const venue = options.venue ?? new ScriptedVenue(clock);
  const positions = new PositionTracker();
  const transitions: RiskTransition[] = [];
  const risk = new RiskManager({ [SYMBOL]: { ...TEST_LIMITS, ...options.limits } }, clock.nowMs(), {
    onTransition: (event) => transitions.push(event),
  });
  const orders = new OrderManager({
    clock,
    ids: new ClientIdGenerator(options.bootId ?? 'boot1'),
    positions,
    markets: venue.markets(),
    ackTimeoutMs: options.ackTimeoutMs ?? 1_000,
    orphanPolicy: options.orphanPolicy ?? 'cancel',
  });
  await venue.connect({
    onMarketData: () => undefined,
    onOrderEvent: (event) => orders.onEvent(event),
    onConnection: (state) => risk.onConnection(state, clock.nowMs()),
  });

  const submit = async (batch: OrderBatch): Promise<void> => {
    if (batch.cancels.length === 0 && batch.places.length === 0) return;
    try {
      await venue.submit(batch);
    } catch (error) {
      orders.onSubmitFailed(batch, errorMessage(error), clock.nowMs());
    }
  };

  /** One quote round: risk filter, diff, submit. */
  const step = async (desired: readonly DesiredQuote[]): Promise<{ batch: OrderBatch; filtered: FilterResult }> => {
    const now = clock.nowMs();
    const filtered = risk.filter(SYMBOL, desired, { positionLots: positions.position(SYMBOL), live: orders.liveOrders(SYMBOL) }, now);
    const { batch } = orders.sync(SYMBOL, filtered.allowed, now);
    await submit(batch);
    return { batch, filtered };
  };

  const reconcile = async (): Promise<ReconcileReport> => {
    const report = orders.reconcile(SYMBOL, await venue.openOrders(SYMBOL), clock.nowMs());
    await submit(report.batch);
    return report;
  };

  const sorted = (list: readonly VenueOrder[]): VenueOrder[] => [...list].sort((a, b) => a.clientId.localeCompare(b.clientId));
  /** The manager's live orders and the venue's open orders, both sorted, for toEqual. */
  const compare = async (): Promise<{ local: VenueOrder[]; venue: VenueOrder[] }> => ({
    local: sorted(orders.openOrders(SYMBOL)),
    venue: sorted(await venue.openOrders(SYMBOL)),
  });

  return { clock, venue, positions, risk, orders, transitions, step, submit, reconcile, compare };
}

export type Harness = Awaited<ReturnType<typeof makeHarness>>;
