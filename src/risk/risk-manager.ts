// The risk manager: per-market limits, watchdogs and circuit breakers, and the kill switch's
// latch. Time is passed in (ms); the engine calls `tick(now)` for the watchdogs.
//
// Recovery rules:
// - stale-book: clears on the next market data for the market (`onMarketData`).
// - disconnect: clears when the venue reports 'connected' (`onConnection`); the engine calls it
//   after reconciling the order manager, so quoting resumes on a known order state.
// - error-rate: clears on the first tick after a whole errorWindowMs without errors.
// - position-limit: clears as soon as |position| is back within maxPositionLots.
// - daily-loss, drawdown, trailing-stop, manual, kill: latched; `reset` by an operator. Resetting
//   a loss limit re-bases it at the current P&L (the loss is acknowledged, the limit applies
//   afresh); resetting the kill switch re-bases the kill-switch rate the same way.
// - fault: latched (the supervisor caught a fault in the market's code path: its state is not
//   to be trusted); cleared by a restart.
// The kill-switch rate (Hummingbot's kill_switch_rate) and the trailing stop are percents of the
// capital given in the config: P&L since start (or the last kill reset) / capital, and the fall of
// equity (capital + net P&L) from its peak / that peak.
// The daily-loss day is the UTC day of the P&L update; a new day re-bases the daily loss but
// does not clear a latched trip.
import type { DesiredQuote } from '../market/types.js';
import type { ConnectionState } from '../venues/venue.js';
import { Breaker, type LatchedReason, type Trip } from './breaker.js';
import { worse, type BreakerReason, type BreakerState, type KillEvent, type RiskEvents, type RiskTransition } from './events.js';
import type { RiskLimits } from './limits.js';
import { filterQuotes, type FilterResult, type RiskInputs } from './quote-filter.js';
import { TokenBucket } from './token-bucket.js';

const DAY_MS = 86_400_000;

interface MarketRisk {
  limits: RiskLimits;
  readonly breaker: Breaker;
  bucket: TokenBucket;
  lastDataMs: number;
  errors: number[];
  day: number | null;
  dayStartNet: bigint;
  peakNet: bigint | null;
  lastNet: bigint | null;
  /** Net P&L the kill-switch rate counts from (0 at start, re-based by a kill reset). */
  killBaseNet: bigint;
  /** Peak of net P&L the trailing stop falls from (re-based by its reset). */
  trailPeakNet: bigint | null;
}

export type ResetResult = { readonly ok: true; readonly state: BreakerState } | { readonly ok: false; readonly error: string };

export class RiskManager {
  private readonly markets = new Map<string, MarketRisk>();
  private readonly listeners = new Set<RiskEvents>();
  private disconnectedSinceMs: number | null = null;
  private killed: KillEvent | null = null;

  /** `startMs` starts the stale-book clocks: no data within staleBookMs of start trips too. */
  constructor(limits: Readonly<Record<string, RiskLimits>>, startMs: number, events?: RiskEvents) {
    if (events !== undefined) this.listeners.add(events);
    const emit = (event: RiskTransition): void => this.listeners.forEach((l) => l.onTransition?.(event));
    for (const [symbol, marketLimits] of Object.entries(limits)) {
      this.markets.set(symbol, {
        limits: marketLimits,
        breaker: new Breaker(symbol, emit),
        bucket: new TokenBucket(marketLimits.maxOrdersPerSecond, marketLimits.orderBurst),
        lastDataMs: startMs,
        errors: [],
        day: null,
        dayStartNet: 0n,
        peakNet: null,
        lastNet: null,
        killBaseNet: 0n,
        trailPeakNet: null,
      });
    }
  }

  subscribe(listener: RiskEvents): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  symbols(): readonly string[] {
    return [...this.markets.keys()];
  }

  state(symbol: string): BreakerState {
    return this.markets.get(symbol)?.breaker.state ?? 'halted';
  }

  trips(symbol: string): readonly Trip[] {
    return this.markets.get(symbol)?.breaker.activeTrips() ?? [];
  }

  isKilled(): boolean {
    return this.killed !== null;
  }

  /** The hard pre-trade check (quote-filter.ts) under the market's breaker state. */
  filter(symbol: string, desired: readonly DesiredQuote[], inputs: RiskInputs, nowMs: number): FilterResult {
    const market = this.markets.get(symbol);
    if (market === undefined) {
      return { allowed: [], dropped: desired.map((quote) => ({ quote, reason: 'unknown-market' })), state: 'halted' };
    }
    this.onPosition(symbol, inputs.positionLots, nowMs);
    return filterQuotes(desired, inputs, market.limits, market.breaker.state, () => market.bucket.take(nowMs));
  }

  onMarketData(symbol: string, nowMs: number): void {
    const market = this.markets.get(symbol);
    if (market === undefined) return;
    market.lastDataMs = nowMs;
    market.breaker.clear('stale-book', 'market data resumed', nowMs);
  }

  onConnection(state: ConnectionState, nowMs: number): void {
    if (state === 'connected') {
      this.disconnectedSinceMs = null;
      for (const market of this.markets.values()) market.breaker.clear('disconnect', 'venue connected', nowMs);
      return;
    }
    this.disconnectedSinceMs ??= nowMs;
    this.checkDisconnect(nowMs);
  }

  /** A reject, submit failure or execution anomaly on `symbol`. */
  onError(symbol: string, detail: string, nowMs: number): void {
    const market = this.markets.get(symbol);
    if (market === undefined) return;
    market.errors.push(nowMs);
    market.errors = market.errors.filter((t) => nowMs - t < market.limits.errorWindowMs);
    if (market.errors.length > market.limits.maxErrors) {
      this.trip(symbol, market, 'error-rate', `${market.errors.length} errors in ${market.limits.errorWindowMs} ms (last: ${detail})`, nowMs);
    }
  }

  /**
   * A live change of a market's limits (already validated): every check from now on reads
   * them; the order rate's bucket starts full at the new rate. The caller re-reports the
   * position so a lowered position limit takes effect at once.
   */
  setLimits(symbol: string, limits: RiskLimits): void {
    const market = this.markets.get(symbol);
    if (market === undefined) return;
    if (limits.maxOrdersPerSecond !== market.limits.maxOrdersPerSecond || limits.orderBurst !== market.limits.orderBurst) {
      market.bucket = new TokenBucket(limits.maxOrdersPerSecond, limits.orderBurst);
    }
    market.limits = limits;
  }

  /** Net P&L since the risk day began (the daily-loss window), money units; null before the first mark. */
  dailyNet(symbol: string): bigint | null {
    const market = this.markets.get(symbol);
    return market?.lastNet == null ? null : market.lastNet - market.dayStartNet;
  }

  /** Net P&L (realised + unrealised − fees, money units) after a fill or a mark. */
  onPnl(symbol: string, net: bigint, nowMs: number): void {
    const market = this.markets.get(symbol);
    if (market === undefined) return;
    const day = Math.floor(nowMs / DAY_MS);
    if (market.day !== day) {
      market.day = day;
      market.dayStartNet = net;
    }
    market.lastNet = net;
    market.peakNet = market.peakNet === null || net > market.peakNet ? net : market.peakNet;
    const loss = market.dayStartNet - net;
    if (loss >= market.limits.maxDailyLoss) this.trip(symbol, market, 'daily-loss', `daily loss ${loss} ≥ ${market.limits.maxDailyLoss}`, nowMs);
    const drawdown = market.peakNet - net;
    if (drawdown >= market.limits.maxDrawdown) this.trip(symbol, market, 'drawdown', `drawdown ${drawdown} ≥ ${market.limits.maxDrawdown}`, nowMs);
    this.checkRates(symbol, market, net, nowMs);
  }

  /** The kill-switch rate and the trailing stop, both percents of the configured capital. */
  private checkRates(symbol: string, market: MarketRisk, net: bigint, nowMs: number): void {
    const { capital, killSwitchRate: rate, trailingStopPct: trail } = market.limits;
    if (capital === null) return;
    if (rate !== null) {
      const pct = percentOf(net - market.killBaseNet, capital);
      if ((rate < 0 && pct <= rate) || (rate > 0 && pct >= rate)) {
        this.kill(`automatic: kill-switch rate on ${symbol}: P&L ${pct.toFixed(4)} % of capital reached ${rate} %`, nowMs, true);
      }
    }
    if (trail !== null) {
      market.trailPeakNet = market.trailPeakNet === null || net > market.trailPeakNet ? net : market.trailPeakNet;
      const fall = percentOf(market.trailPeakNet - net, capital + market.trailPeakNet);
      if (fall >= trail) this.trip(symbol, market, 'trailing-stop', `equity ${fall.toFixed(4)} % below its peak ≥ ${trail} %`, nowMs);
    }
  }

  onPosition(symbol: string, lots: number, nowMs: number): void {
    const market = this.markets.get(symbol);
    if (market === undefined) return;
    if (Math.abs(lots) > market.limits.maxPositionLots) {
      this.trip(symbol, market, 'position-limit', `|position| ${Math.abs(lots)} > ${market.limits.maxPositionLots}`, nowMs);
    } else {
      market.breaker.clear('position-limit', 'position back within its limit', nowMs);
    }
  }

  /** Watchdogs: stale book, disconnect, error-rate recovery. */
  tick(nowMs: number): void {
    for (const [symbol, market] of this.markets) {
      const age = nowMs - market.lastDataMs;
      if (age > market.limits.staleBookMs) this.trip(symbol, market, 'stale-book', `no market data for ${age} ms`, nowMs);
      market.errors = market.errors.filter((t) => nowMs - t < market.limits.errorWindowMs);
      if (market.errors.length === 0) market.breaker.clear('error-rate', `no errors for ${market.limits.errorWindowMs} ms`, nowMs);
    }
    this.checkDisconnect(nowMs);
  }

  /** Operator halt or reduce-only on one market or all. */
  manual(symbol: string | 'all', to: 'reducing' | 'halted', detail: string, nowMs: number): void {
    for (const [name, market] of this.markets) {
      if (symbol === 'all' || symbol === name) market.breaker.trip('manual', detail, nowMs, to);
    }
  }

  /** The storage policy's state on every market while Redis is unreachable or catching up ('active' clears it). */
  onStorage(state: BreakerState, detail: string, nowMs: number): void {
    for (const market of this.markets.values()) {
      if (state === 'active') market.breaker.clear('storage', detail, nowMs);
      else market.breaker.trip('storage', detail, nowMs, state);
    }
  }

  /** Restart recovery: `symbol` halted while its state is restored and reconciled, or because that failed. */
  recoveryHalted(symbol: string, detail: string, nowMs: number): void {
    this.markets.get(symbol)?.breaker.trip('recovery', detail, nowMs);
  }

  /** Restart recovery succeeded: `symbol` may quote (other conditions permitting). */
  recovered(symbol: string, nowMs: number): void {
    this.markets.get(symbol)?.breaker.clear('recovery', 'recovered: state restored and reconciled with the venue', nowMs);
  }

  /** A fault in the market's code path (the supervisor's market scope): halted and latched. */
  fault(symbol: string, detail: string, nowMs: number): void {
    const market = this.markets.get(symbol);
    if (market !== undefined) this.trip(symbol, market, 'fault', detail, nowMs);
  }

  /** Kill switch: every market halted and latched; listeners cancel everything (KillSwitch). */
  kill(detail: string, nowMs: number, automatic = false): void {
    if (this.killed !== null) return;
    this.killed = { detail, automatic, atMs: nowMs };
    for (const market of this.markets.values()) market.breaker.trip('kill', detail, nowMs);
    const event = this.killed;
    this.listeners.forEach((l) => l.onKill?.(event));
  }

  /** Operator reset of a latched condition; 'kill' is reset on every market at once. */
  reset(symbol: string | 'all', reason: LatchedReason, nowMs: number): ResetResult {
    if (reason === 'kill') {
      this.killed = null;
      for (const market of this.markets.values()) {
        if (market.lastNet !== null) market.killBaseNet = market.lastNet;
        market.breaker.reset('kill', 'kill switch reset', nowMs);
      }
      return { ok: true, state: this.worstState(symbol) };
    }
    const targets = [...this.markets].filter(([name]) => symbol === 'all' || name === symbol);
    if (targets.length === 0) return { ok: false, error: `unknown market ${symbol}` };
    for (const [, market] of targets) {
      // Re-base so the acknowledged loss does not trip the limit again on the next update.
      if (reason === 'daily-loss' && market.lastNet !== null) market.dayStartNet = market.lastNet;
      if (reason === 'drawdown' && market.lastNet !== null) market.peakNet = market.lastNet;
      if (reason === 'trailing-stop' && market.lastNet !== null) market.trailPeakNet = market.lastNet;
      market.breaker.reset(reason, 'operator reset', nowMs);
    }
    return { ok: true, state: this.worstState(symbol) };
  }

  private worstState(symbol: string | 'all'): BreakerState {
    if (symbol !== 'all') return this.state(symbol);
    const states = [...this.markets.values()].map((m) => m.breaker.state);
    return states.reduce<BreakerState>((a, b) => worse(a, b), 'active');
  }

  private checkDisconnect(nowMs: number): void {
    if (this.disconnectedSinceMs === null) return;
    const down = nowMs - this.disconnectedSinceMs;
    for (const [symbol, market] of this.markets) {
      if (down >= market.limits.disconnectMs) this.trip(symbol, market, 'disconnect', `venue disconnected for ${down} ms`, nowMs);
    }
  }

  private trip(symbol: string, market: MarketRisk, reason: BreakerReason, detail: string, nowMs: number): void {
    const fresh = market.breaker.trip(reason, detail, nowMs);
    if (fresh && market.limits.autoKillOn.includes(reason)) this.kill(`automatic: ${reason} on ${symbol}: ${detail}`, nowMs, true);
  }
}

/** `part` as a percent of `whole` (money units; `whole` > 0). */
function percentOf(part: bigint, whole: bigint): number {
  if (whole <= 0n) return Number.POSITIVE_INFINITY;
  // Basis points of a basis point in integers first: exact for any size, then one division.
  return Number((part * 1_000_000n) / whole) / 10_000;
}
