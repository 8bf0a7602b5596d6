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
/** 0.1 ms to 1 s: an API request served from memory, up to one waiting on the venue (kill). */
export const API_BUCKETS = [1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 5e-2, 0.25, 1];
/** 1 ms to 10 s: a venue round trip, from a local simulator to a congested chain. */
export const VENUE_BUCKETS = [1e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

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

    pnlRealised: gauge('pnl_realised_quote', 'Realised P&L, quote currency, fees included.', market),
    pnlUnrealised: gauge('pnl_unrealised_quote', 'Unrealised P&L of the open position at the mid, quote currency.', market),
    fees: gauge('fees_quote', 'Fees paid net of rebates, quote currency (negative = rebates earned).', market),
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
    bookStaleness: gauge('book_staleness_seconds', 'Seconds since the book last changed or was confirmed.', market),

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
    },
    riskTransition(market, from, to, reason) {
      m.riskState.set({ market }, breakerStateValue(to));
      m.riskTransitions.inc({ market, from, to, reason });
    },
    setKillSwitch(engaged) {
      m.killSwitch.set(engaged ? 1 : 0);
    },
    render: () => registry.metrics(),
  };
}
