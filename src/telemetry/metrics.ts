// The daemon's Prometheus metrics: one private Registry (never prom-client's global one, so
// tests and several daemons in one process do not collide), every name `flashmm_*`, and a
// typed accessor object so callers never spell a metric or label name as a string.
// Label values must come from fixed vocabularies (market symbols, enum codes such as a risk
// reason code), never from free text: each distinct value is a new time series.
// Secrets never become label values.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
// flashmm_risk_state is breakerStateValue: ordered by severity, so alerts can say `> 0`.
import { breakerStateValue, type BreakerState } from '../risk/events.js';

export const METRIC_PREFIX = 'flashmm_';

/** Stages of the hot path timed by flashmm_tick_to_decision_seconds. */
export type DecisionStage = 'features' | 'predict' | 'quote' | 'risk' | 'diff' | 'total';

/** 10 µs to 100 ms: the hot path's budget is microseconds, its worst case a GC pause. */
export const DECISION_BUCKETS = [1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 1e-1];
/**
 * 1 ms to 10 s: a venue round trip, from a local simulator to a congested chain. 0.35 is a
 * bound so that the seed's p95 > 350 ms alert reads an exact bucket, not an interpolation.
 */
export const VENUE_BUCKETS = [1e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.35, 0.5, 1, 2.5, 5, 10];
/** 50 ms to 10 s: an order from the decision to resting on a book, one block (~0.2–0.4 s on Sei) to a congested chain. */
export const RESTING_BUCKETS = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.8, 1, 1.5, 2, 3, 5, 10];
/** Whole blocks: the next block is 1. */
export const RESTING_BLOCK_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20];
/** 100 µs to 1 s: an event in to the transaction's bytes out; the budget is 2 ms at p99 without the network. */
export const BROADCAST_BUCKETS = [1e-4, 2.5e-4, 5e-4, 7.5e-4, 1e-3, 1.5e-3, 2e-3, 3e-3, 5e-3, 7.5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1];
/** 100 µs to 1 s: one Redis command or one time-series batch, loopback to a remote region. */
export const STORAGE_BUCKETS = [1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 1];

/** Where the daemon writes off the hot path: Redis (state, journal) and the time-series database. */
export type StorageSink = 'redis' | 'tsdb';
/** Why a buffered write was given up (fenced: Redis refused a sharded market's write made under a lease another daemon has taken since). */
export type DropReason = 'buffer_full' | 'rejected' | 'fenced';
/** What became of one notification (src/telemetry/notifier.ts). */
export type NotificationOutcome = 'sent' | 'failed' | 'deduplicated' | 'rate_limited';
/** 0.1 ms to 1 s: an API request served from memory, up to one waiting on the venue (kill). */
export const API_BUCKETS = [1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.25, 1];

export interface BuildInfo {
  readonly version: string;
  readonly coreVersion?: string;
}

export interface MetricsOptions {
  readonly build: BuildInfo;
  /** Node process metrics (CPU, memory, event loop, GC) as flashmm_process_* etc. Default on. */
  readonly defaultMetrics?: boolean;
}

function create(registry: Registry, started: number) {
  const r = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Gauge<L>({ name: METRIC_PREFIX + name, help, labelNames, registers: r });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter<L>({ name: METRIC_PREFIX + name, help, labelNames, registers: r });
  const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
    new Histogram<L>({ name: METRIC_PREFIX + name, help, labelNames, buckets, registers: r });
  const market = ['market'] as const;

  return {
    buildInfo: gauge('build_info', 'Always 1; labels say which build is running.', ['version', 'core_version', 'node_version']),
    // Read at scrape time rather than set on a timer.
    uptime: new Gauge({
      name: `${METRIC_PREFIX}uptime_seconds`,
      help: 'Seconds since the metrics registry (the daemon) started.',
      registers: r,
      collect() {
        this.set((performance.now() - started) / 1000);
      },
    }),

    pnlTotal: gauge('pnl_total_quote', 'Net P&L (realised + unrealised at the mid, fees included), quote currency.', market),
    pnlDaily: gauge('pnl_daily_quote', 'Net P&L since the start of the risk day (the daily loss limit\'s window), quote currency.', market),
    pnlRealised: gauge('pnl_realised_quote', 'Realised P&L, quote currency, fees included.', market),
    pnlUnrealised: gauge('pnl_unrealised_quote', 'Unrealised P&L of the open position at the mid, quote currency.', market),
    fees: gauge('fees_quote', 'Fees paid net of rebates, quote currency (negative = rebates earned).', market),
    makerFees: gauge('maker_fees_quote', 'Fees of maker fills net of rebates, quote currency (negative = rebates earned).', market),
    positionLots: gauge('position_lots', 'Signed position, lots (positive = long).', market),
    positionUtilisation: gauge('position_utilisation_ratio', '|position| / maxPositionLots.', market),

    ordersSent: counter('orders_sent_total', 'Orders sent to the venue.', ['market', 'side']),
    ordersCancelled: counter('orders_cancelled_total', 'Cancels sent to the venue.', market),
    ordersRejected: counter('orders_rejected_total', 'Orders the venue or the risk manager rejected, by reason code.', ['market', 'reason']),
    fills: counter('fills_total', 'Fills of our orders.', ['market', 'side', 'liquidity']),
    filledVolume: counter('filled_volume_lots_total', 'Filled size, lots.', ['market', 'side']),
    lastFill: gauge('last_fill_timestamp_seconds', 'Unix time of the last fill (the market\'s start until the first).', market),
    fillRate: gauge('fill_rate_ratio', 'Fraction of placed orders that filled (fully or partly), recent window.', market),

    quoteSpread: gauge('quote_spread_bps', 'Our best ask minus best bid over the mid, basis points.', market),
    spreadImprovement: gauge('spread_improvement_bps', 'Market spread minus our spread, basis points (positive = we tighten it).', market),

    bookValid: gauge('book_valid', '1 while the market\'s book is valid (in sequence, not crossed); 0 = no quotes.', market),
    venueConnected: gauge('venue_connected', '1 while the venue\'s market-data and order connections are up.', ['venue']),

    riskState: gauge('risk_state', 'Circuit breaker: 0 active, 1 reducing (only orders that cut the position), 2 halted.', market),
    riskTransitions: counter('risk_transitions_total', 'Risk state transitions, by reason code.', ['market', 'from', 'to', 'reason']),
    killSwitch: gauge('kill_switch_engaged', '1 while the kill switch holds every order cancelled.', []),

    errors: counter('errors_total', 'Errors, by kind.', ['kind']),
    badInput: counter('bad_input_total', 'Input rejected as malformed or inconsistent, by source and reason code.', ['source', 'reason']),

    predictions: counter('predictions_total', 'Model forecasts made.', ['market', 'horizon']),
    predictionOutcomes: counter('prediction_outcomes_total', 'Forecasts scored once their horizon passed.', ['market', 'horizon', 'outcome']),
    predictionAccuracy: gauge('prediction_accuracy_ratio', 'Fraction of recent forecasts whose direction was right.', ['market', 'horizon']),

    tickToDecision: histogram('tick_to_decision_seconds', 'Time from a quote tick to its decision, per stage.', ['stage'], DECISION_BUCKETS),
    venueRequest: histogram('venue_request_seconds', 'Venue request round trip.', ['venue', 'op'], VENUE_BUCKETS),
    orderResting: histogram('order_resting_seconds', 'Quote decision to the venue reporting the order resting on its book.', ['venue'], RESTING_BUCKETS),
    orderRestingBlocks: histogram('order_resting_blocks', 'Blocks from the height processed at the quote decision to the block that placed the order.', ['venue'], RESTING_BLOCK_BUCKETS),
    venueBroadcast: histogram('venue_broadcast_seconds', 'Venue event in (block message, its data, or the decision) to the order transaction broadcast.', ['venue', 'from'], BROADCAST_BUCKETS),
    bookStaleness: gauge('book_staleness_seconds', 'Seconds since the book last changed or was confirmed.', market),

    // Off the hot path: the quote loop never awaits a sink; it buffers (bounded) and drops.
    storageConnected: gauge('storage_connected', '1 while the sink answers; 0 while writes are buffered for replay.', ['sink']),
    storageBuffered: gauge('storage_buffered_writes', 'Writes waiting in the bounded buffer for the sink to return.', ['sink']),
    storageBufferCapacity: gauge('storage_buffer_capacity_writes', 'Size of the bounded buffer; beyond it writes are dropped.', ['sink']),
    storageWrites: counter('storage_writes_total', 'Writes the sink acknowledged (replayed ones included).', ['sink']),
    storageDropped: counter('storage_dropped_writes_total', 'Writes given up, by reason (buffer_full: the buffer overflowed; rejected: Redis refused it; fenced: a sharded market\'s write under a lease taken by another daemon since).', ['sink', 'reason']),
    storageWrite: histogram('storage_write_seconds', 'One write (a Redis command or pipeline, a time-series batch) until acknowledged.', ['sink'], STORAGE_BUCKETS),

    notifications: counter('notifications_total', 'Operator notifications of the daemon\'s own notifier, by event kind and outcome.', ['kind', 'outcome']),
    // The control plane. `route` is the route's pattern (`/api/v1/markets/:symbol`), never the raw path.
    apiRequests: counter('api_requests_total', 'API requests answered, by route pattern, method and status.', ['route', 'method', 'status']),
    apiRequestDuration: histogram('api_request_seconds', 'API request handling time, by route pattern.', ['route'], API_BUCKETS),
    apiStreamClients: gauge('api_stream_clients', 'Websocket state-stream clients connected.', []),
    apiStreamDropped: counter('api_stream_dropped_total', 'Stream clients refused or dropped: too-many, slow.', ['reason']),
  };
}

export type Metrics = ReturnType<typeof create> & {
  readonly registry: Registry;
  /** Creates a market's series at their zero values, so dashboards and alerts see it at once. */
  initMarket(market: string): void;
  /** Sets the risk state gauge and counts the transition. */
  riskTransition(market: string, from: BreakerState, to: BreakerState, reason: string): void;
  setKillSwitch(engaged: boolean): void;
  /** Creates a sink's series (connected, empty buffer of `capacity`, no drops) once it is configured. */
  initStorage(sink: StorageSink, capacity: number): void;
  /** The exposition text (what GET /metrics serves). */
  render(): Promise<string>;
};

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const m = create(registry, performance.now());
  m.buildInfo.set({ version: options.build.version, core_version: options.build.coreVersion ?? 'unknown', node_version: process.version }, 1);
  m.killSwitch.set(0);
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

  return {
    ...m,
    registry,
    initMarket(market) {
      m.riskState.set({ market }, breakerStateValue('active'));
      m.positionLots.set({ market }, 0);
      m.positionUtilisation.set({ market }, 0);
      m.lastFill.set({ market }, Date.now() / 1000);
      for (const side of ['buy', 'sell']) {
        m.ordersSent.inc({ market, side }, 0);
        m.filledVolume.inc({ market, side }, 0);
      }
      m.ordersCancelled.inc({ market }, 0);
      // flashmm_book_valid is not created here: a 0 written before its writer exists would
      // raise FlashmmBookInvalid on every healthy market.
    },
    riskTransition(market, from, to, reason) {
      m.riskState.set({ market }, breakerStateValue(to));
      m.riskTransitions.inc({ market, from, to, reason });
    },
    setKillSwitch(engaged) {
      m.killSwitch.set(engaged ? 1 : 0);
    },
    initStorage(sink, capacity) {
      m.storageConnected.set({ sink }, 1);
      m.storageBuffered.set({ sink }, 0);
      m.storageBufferCapacity.set({ sink }, capacity);
      m.storageWrites.inc({ sink }, 0);
      const reasons: DropReason[] = sink === 'redis' ? ['buffer_full', 'rejected', 'fenced'] : ['buffer_full', 'rejected'];
      for (const reason of reasons) m.storageDropped.inc({ sink, reason }, 0);
    },
    render: () => registry.metrics(),
  };
}
