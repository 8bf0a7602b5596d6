// The chaos harness: the real daemon (its supervisor, lifecycle, order and risk managers) on the
// real simulated venue, driven by a manual clock through a damaged synthetic recording, with a
// venue wrapper that injects faults, a stand-in for the Node process (signals, last-resort
// handlers, timers, exit) and the invariants checked after every step.
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Config } from '../../src/config/schema.js';
import type { Daemon } from '../../src/engine/daemon.js';
import type { LastResort, ProcessPort } from '../../src/engine/lifecycle.js';
import type { HeldSignal } from '../../src/early-signals.js';
import { Supervisor } from '../../src/engine/supervisor.js';
import type { ManualClock } from '../../src/execution/clock.js';
import { type EventBatch, SimVenue as NativeSimVenue } from '../../src/native.js';
import type { SimVenue } from '../../src/venues/sim/sim-venue.js';
import {
  type FaultSite, type Guard, type OrderBatch, type OrderEvent, UNGUARDED, type Venue, type VenueListener, type VenueOrder,
} from '../../src/venues/venue.js';

// ---- time ----------------------------------------------------------------------------------

/** Timers on the manual clock: they fire when the driver moves the clock past them. */
export class ManualScheduler {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(readonly clock: ManualClock) {}

  schedule(ms: number, fn: () => void): () => void {
    const timer = { at: this.clock.nowMs() + ms, seq: this.seq++, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(ms, resolve));
  }

  /** Fires every timer due by now, earliest first. */
  fire(): void {
    for (;;) {
      const now = this.clock.nowMs();
      const due = this.timers.filter((t) => t.at <= now).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) return;
      this.timers = this.timers.filter((t) => t !== due);
      due.fn();
    }
  }
}

// ---- the process ---------------------------------------------------------------------------

/**
 * What Node would do: a signal goes to the handler if one is installed, else it kills the
 * process; an exception that reaches the event loop goes to the last-resort handler if one is
 * installed, else it kills the process (with orders live).
 */
export class FakeProcess implements ProcessPort {
  private signalHandler: ((s: HeldSignal) => void) | null = null;
  private lastResort: ((kind: LastResort, error: unknown) => void) | null = null;
  /** Why the process died without an orderly shutdown, if it did. */
  death: string | null = null;
  hardExit: number | null = null;

  constructor(private readonly scheduler: ManualScheduler, private readonly lastResortAvailable: boolean) {}

  onSignal(handler: (s: HeldSignal) => void): () => void {
    this.signalHandler = handler;
    return () => (this.signalHandler = null);
  }

  onLastResort(handler: (kind: LastResort, error: unknown) => void): () => void {
    if (this.lastResortAvailable) this.lastResort = handler;
    return () => (this.lastResort = null);
  }

  schedule(ms: number, fn: () => void): () => void {
    return this.scheduler.schedule(ms, fn);
  }

  exit(code: number): void {
    this.hardExit = code;
    this.death ??= `process.exit(${code})`;
  }

  signal(s: HeldSignal): void {
    if (this.signalHandler !== null) this.signalHandler(s);
    else this.death ??= `killed by ${s} (no handler)`;
  }

  /** An exception or rejection that reached the event loop. */
  escaped(kind: LastResort, error: unknown): void {
    if (this.lastResort !== null) this.lastResort(kind, error);
    else this.death ??= `${kind}: ${error instanceof Error ? error.message : String(error)}`;
  }

  /** Runs what a timer would: a throw reaches the event loop. */
  timer(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.escaped('uncaught-exception', err);
    }
  }
}

/**
 * The supervisor removed (what the chaos test runs with to show it has teeth): callbacks run
 * bare, a throw propagates, a task's rejection is unhandled, a fault a caller reports is thrown on.
 */
export class NoSupervisor extends Supervisor {
  override run(_site: FaultSite, fn: () => void): void {
    fn();
  }

  override task(_site: FaultSite, task: Promise<unknown>): void {
    void task;
  }

  override fault(_site: FaultSite, err: unknown): never {
    throw err;
  }

  override listener(inner: VenueListener): VenueListener {
    return { ...inner, onBadInput: (input) => this.badInput(input), guard: UNGUARDED };
  }
}

// ---- the market ----------------------------------------------------------------------------

export const DAMAGE_KINDS = ['malformed', 'nan', 'negative', 'huge', 'off-grid', 'duplicate', 'swap', 'drop'] as const;
export type DamageKind = (typeof DAMAGE_KINDS)[number];

export interface RecordingPlan {
  readonly seed: number;
  readonly steps: number;
  /** Line damage, by step (applied to that step's depth diff, or to its trade). */
  readonly damage: readonly { readonly step: number; readonly kind: DamageKind; readonly onTrade: boolean }[];
  /** Silence in the market after a step, ms (the book goes stale). */
  readonly gaps: readonly { readonly step: number; readonly ms: number }[];
  /** A fresh snapshot every this many steps (the book resyncs after a lost diff). */
  readonly resyncEvery: number;
}

export const STEP_MS = 50;
const START_MS = 1_723_161_254_000;
const TICK = 0.01;
const LOT = 0.00001;

/** A small deterministic random source (the plan's seed). */
function lcg(seed: number): () => number {
  let s = (seed >>> 0) || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const px = (ticks: number) => (ticks * TICK).toFixed(2);
const qty = (lots: number) => (lots * LOT).toFixed(5);

/**
 * A spot ETHUSDT recording in Binance's format: a trade naming the symbol, a snapshot, then a
 * depth diff every 50 ms (the touch wanders), trades at and through the touch, a snapshot every
 * `resyncEvery` steps; damaged and silenced as the plan says.
 */
export function syntheticRecording(plan: RecordingPlan): string[] {
  const rnd = lcg(plan.seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
  let bestBid = 250_000;
  const book = { bids: new Map<number, number>(), asks: new Map<number, number>() };
  const refill = () => {
    const next = { bids: new Map<number, number>(), asks: new Map<number, number>() };
    for (let i = 0; i < 8; i++) {
      next.bids.set(bestBid - i, book.bids.get(bestBid - i) ?? int(200, 3_000));
      next.asks.set(bestBid + 1 + i, book.asks.get(bestBid + 1 + i) ?? int(200, 3_000));
    }
    return next;
  };
  Object.assign(book, refill());
  let id = 1_000;
  let trade = 1;
  let offsetMs = 0;
  const line = (ms: number, json: string) => `${(START_MS + ms + offsetMs) * 1_000_000 + 700_000} ${json}`;
  const exchange = (ms: number) => START_MS + ms + offsetMs;
  const tradeLine = (ms: number, price: number, lots: number, buyerMaker: boolean) =>
    line(ms, `{"stream":"ethusdt@trade","data":{"e":"trade","E":${exchange(ms)},"s":"ETHUSDT","t":${trade++},"p":"${px(price)}","q":"${qty(lots)}","T":${exchange(ms)},"m":${buyerMaker}}}`);
  const levels = (m: Map<number, number>, desc: boolean) =>
    [...m].sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0])).map(([p, s]) => `["${px(p)}","${qty(s)}"]`).join(',');
  const snapshot = (ms: number) => line(ms, `{"lastUpdateId":${id},"bids":[${levels(book.bids, true)}],"asks":[${levels(book.asks, false)}]}`);

  const out: string[] = [tradeLine(0, bestBid, 100, true), snapshot(0)];
  for (let step = 1; step <= plan.steps; step++) {
    const ms = step * STEP_MS;
    if (plan.resyncEvery > 0 && step % plan.resyncEvery === 0) out.push(snapshot(ms));
    const before = { bids: new Map(book.bids), asks: new Map(book.asks) };
    if (rnd() < 0.15) bestBid += rnd() < 0.5 ? 1 : -1;
    Object.assign(book, refill());
    for (const side of [book.bids, book.asks]) {
      const keys = [...side.keys()];
      const k = keys[int(0, keys.length - 1)];
      if (k !== undefined) side.set(k, int(200, 3_000));
    }
    const changes = (was: Map<number, number>, now: Map<number, number>) => {
      const out: [number, number][] = [];
      for (const [p, s] of now) if (was.get(p) !== s) out.push([p, s]);
      for (const p of was.keys()) if (!now.has(p)) out.push([p, 0]);
      return out.map(([p, s]) => `["${px(p)}","${qty(s)}"]`).join(',');
    };
    const first = id + 1;
    id += int(1, 3);
    const lines: string[] = [
      line(ms, `{"stream":"ethusdt@depth@100ms","data":{"e":"depthUpdate","E":${exchange(ms)},"s":"ETHUSDT","U":${first},"u":${id},"b":[${changes(before.bids, book.bids)}],"a":[${changes(before.asks, book.asks)}]}}`),
    ];
    if (rnd() < 0.6) {
      const sell = rnd() < 0.5;
      const through = rnd() < 0.25 ? int(1, 2) : 0; // a sweep trades through the touch
      const price = sell ? bestBid - through : bestBid + 1 + through;
      lines.push(tradeLine(ms + 1, price, int(50, 3_000), sell));
    }
    for (const d of plan.damage.filter((x) => x.step === step)) damage(lines, d.onTrade && lines.length > 1 ? 1 : 0, d.kind);
    out.push(...lines);
    for (const g of plan.gaps.filter((x) => x.step === step)) offsetMs += g.ms;
  }
  return out;
}

const DECIMAL = /"(\d+\.\d+)"/;

function damage(lines: string[], i: number, kind: DamageKind): void {
  const l = lines[i];
  if (l === undefined) return;
  const swapDecimal = (f: (d: string) => string) => l.replace(DECIMAL, (_m, d: string) => `"${f(d)}"`);
  switch (kind) {
    case 'malformed': lines[i] = l.slice(0, Math.floor(l.length / 2)); return;
    case 'nan': lines[i] = swapDecimal(() => 'NaN'); return;
    case 'negative': lines[i] = swapDecimal((d) => `-${d}`); return;
    case 'huge': lines[i] = swapDecimal(() => '99999999999999999999.0'); return;
    case 'off-grid': lines[i] = swapDecimal((d) => `${d}5`); return;
    case 'duplicate': lines.splice(i, 0, l); return;
    case 'swap': {
      const next = lines[i + 1];
      if (next !== undefined) [lines[i], lines[i + 1]] = [next, l];
      return;
    }
    case 'drop': lines.splice(i, 1); return;
  }
}

export function writeRecording(path: string, lines: readonly string[]): void {
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`, { level: 1 }));
}

// ---- the venue -----------------------------------------------------------------------------

export const VENUE_FAULTS = [
  'submit-reject', // refused before it reaches the venue
  'submit-timeout', // reaches the venue, but the caller hears a timeout
  'submit-slow', // reaches the venue; the answer takes 300 ms
  'open-orders-reject',
  'cancel-all-reject',
  'drop-ack', // an accepted or cancelled report never arrives
  'duplicate-event',
  'delay-event', // a report arrives after the next one
  'cancel-after-fill', // a filled order is then reported cancelled
  'duplicate-batch',
  'empty-batch',
  'stall-data', // market data stops reaching the daemon for 400 ms a time (fills still do)
  'disconnect', // the connection drops for 300 ms a time: data lost, requests refused, reports caught up on reconnect
  'adapter-throws', // the adapter throws while delivering market data (a market's fault)
  'adapter-throws-venue-wide', // a venue-wide callback of the adapter throws (the daemon's fault)
] as const;
export type VenueFault = (typeof VENUE_FAULTS)[number];

export interface PlaceViolation {
  readonly clientId: string;
  readonly why: string;
}

/**
 * The simulated venue with faults injected at its edges: requests refused, timing out or slow,
 * reports dropped, repeated, reordered or contradicted, market data repeated, empty or
 * throwing. Every place is checked against the daemon's book as it is sent.
 */
export class ChaosVenue implements Venue {
  readonly name = 'sim';
  private readonly armed = new Map<VenueFault, number>();
  private outer: VenueListener | null = null;
  private held: OrderEvent | null = null;
  private readonly empty: EventBatch;
  readonly violations: PlaceViolation[] = [];
  readonly injected: VenueFault[] = [];
  daemon: Daemon | null = null;

  constructor(
    readonly sim: SimVenue,
    private readonly scheduler: ManualScheduler,
    private readonly staleBookMs: number,
  ) {
    // An empty batch, as a venue with nothing new would deliver.
    this.empty = new NativeSimVenue({ startNs: 10n ** 18n }).advance(0n).market;
  }

  private stallUntilMs = 0;
  /** While the connection is down: until when, and the reports the venue replays on reconnect. */
  private downUntilMs: number | null = null;
  private missed: OrderEvent[] = [];

  arm(fault: VenueFault, times: number): void {
    if (fault === 'stall-data') {
      this.stallUntilMs = this.scheduler.clock.nowMs() + 400 * times;
      this.injected.push(fault);
      return;
    }
    if (fault === 'disconnect') {
      this.injected.push(fault);
      const wasUp = this.downUntilMs === null;
      this.downUntilMs = Math.max(this.downUntilMs ?? 0, this.scheduler.clock.nowMs() + 300 * times);
      if (wasUp) this.outer?.onConnection('disconnected', 'chaos: connection lost');
      return;
    }
    this.armed.set(fault, (this.armed.get(fault) ?? 0) + times);
  }

  private take(fault: VenueFault): boolean {
    const n = this.armed.get(fault) ?? 0;
    if (n <= 0) return false;
    this.armed.set(fault, n - 1);
    this.injected.push(fault);
    return true;
  }

  markets() {
    return this.sim.markets();
  }

  async connect(listener: VenueListener): Promise<void> {
    this.outer = listener;
    const guard: Guard = listener.guard ?? UNGUARDED;
    await this.sim.connect({
      onMarketData: (symbol, batch) => this.marketData(listener, symbol, batch),
      onOrderEvent: (event) => this.orderEvent(listener, event),
      onConnection: (state, reason) => listener.onConnection(state, reason),
      ...(listener.onBadInput === undefined ? {} : { onBadInput: listener.onBadInput }),
      guard,
    });
  }

  /** One pump of the venue (the timer's work), and its venue-wide callback. */
  pump(): void {
    this.sim.pump();
    const listener = this.outer;
    if (listener !== null && this.downUntilMs !== null && this.scheduler.clock.nowMs() >= this.downUntilMs) this.reconnect(listener);
    if (listener !== null && (this.armed.get('adapter-throws-venue-wide') ?? 0) > 0) {
      (listener.guard ?? UNGUARDED).run({ kind: 'chaos-venue' }, () => {
        if (this.take('adapter-throws-venue-wide')) throw new Error('chaos: a venue-wide handler of the adapter threw');
      });
    }
  }

  /** Back up: the reports missed while down arrive first (a venue's catch-up), then the news. */
  private reconnect(listener: VenueListener): void {
    this.downUntilMs = null;
    for (const event of this.missed.splice(0)) listener.onOrderEvent(event);
    listener.onConnection('connected', 'chaos: reconnected');
  }

  private marketData(listener: VenueListener, symbol: string, batch: EventBatch): void {
    if (this.take('adapter-throws')) throw new Error('chaos: the adapter threw while delivering market data');
    if (this.downUntilMs !== null) return; // lost with the connection
    if (this.scheduler.clock.nowMs() < this.stallUntilMs) return; // lost: the daemon's book falls behind
    if (this.take('empty-batch')) listener.onMarketData(symbol, this.empty);
    listener.onMarketData(symbol, batch);
    if (this.take('duplicate-batch')) listener.onMarketData(symbol, batch);
  }

  private orderEvent(listener: VenueListener, event: OrderEvent): void {
    if (this.downUntilMs !== null) {
      this.missed.push(event);
      return;
    }
    const deliver = (e: OrderEvent) => {
      listener.onOrderEvent(e);
      if (e.type === 'fill' && e.fill.leaves === 0 && this.take('cancel-after-fill')) {
        listener.onOrderEvent({ type: 'cancelled', clientId: e.fill.clientId, symbol: e.fill.symbol, reason: 'requested', tsNs: e.fill.tsNs });
      }
    };
    if ((event.type === 'accepted' || event.type === 'cancelled') && this.take('drop-ack')) return;
    if (this.held !== null) {
      const held = this.held;
      this.held = null;
      deliver(event);
      deliver(held);
      return;
    }
    if (event.type !== 'fill' && this.take('delay-event')) {
      this.held = event;
      return;
    }
    deliver(event);
    if (this.take('duplicate-event')) deliver(event);
  }

  async submit(batch: OrderBatch): Promise<void> {
    this.checkPlaces(batch);
    this.refuseWhileDown('submit');
    if (this.take('submit-reject')) throw new Error('chaos: submit refused');
    await this.sim.submit(batch);
    if (this.take('submit-timeout')) {
      await this.scheduler.sleep(200);
      throw new Error('chaos: submit timed out');
    }
    if (this.take('submit-slow')) await this.scheduler.sleep(300);
  }

  async cancelAll(symbol?: string): Promise<void> {
    this.refuseWhileDown('cancel-all');
    if (this.take('cancel-all-reject')) throw new Error('chaos: cancel-all refused');
    await this.sim.cancelAll(symbol);
  }

  async openOrders(symbol: string): Promise<readonly VenueOrder[]> {
    this.refuseWhileDown('open orders');
    if (this.take('open-orders-reject')) throw new Error('chaos: open orders unavailable');
    return this.sim.openOrders(symbol);
  }

  close(): Promise<void> {
    return this.sim.close();
  }

  private refuseWhileDown(what: string): void {
    if (this.downUntilMs !== null) throw new Error(`chaos: ${what} refused: not connected`);
  }

  /** No order may be placed on an invalid or stale book (as the daemon sees the book), nor on a halted or killed market. */
  private checkPlaces(batch: OrderBatch): void {
    const daemon = this.daemon;
    if (daemon === null) return;
    const nowMs = this.scheduler.clock.nowMs();
    for (const p of batch.places) {
      const loop = daemon.loops.get(p.symbol);
      if (loop === undefined) this.violations.push({ clientId: p.clientId, why: 'unknown market' });
      else if (daemon.marketFault(p.symbol) !== null) this.violations.push({ clientId: p.clientId, why: 'market halted by a fault' });
      else if (daemon.risk.isKilled()) this.violations.push({ clientId: p.clientId, why: 'kill switch engaged' });
      else if (loop.state.top() === null) this.violations.push({ clientId: p.clientId, why: `book ${loop.state.status}` });
      else if (loop.ageMs(nowMs) > this.staleBookMs) this.violations.push({ clientId: p.clientId, why: `book stale (${loop.ageMs(nowMs)} ms)` });
    }
  }
}

export function chaosConfig(recording: string, parse: (raw: unknown) => Config, model: string | null): Config {
  return parse({
    venue: { kind: 'sim', replay: { path: recording, speed: 1 }, latency: { entryMs: 5, responseMs: 5 } },
    strategy: { kind: 'fixed', orderSizeLots: 10, fixed: { halfSpread: 1 }, ladder: { levels: 2, sizesLots: [10, 10] } },
    risk: { maxPositionLots: 30, maxOrdersPerSecond: 1_000, staleBookMs: 500, maxErrors: 1_000, disconnectMs: 1_000, autoKillOn: [] },
    engine: { intervalMs: 100, orderTimeoutMs: 400, shutdownTimeoutMs: 3_000 },
    model: model === null ? { enabled: false } : { path: model },
    api: { enabled: false },
    telemetry: { logLevel: 'silent' },
  });
}
