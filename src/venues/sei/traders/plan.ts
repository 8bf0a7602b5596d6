// The synthetic traders' order plan: the core's zero-intelligence book (market_gen::zi, run by
// the core's SimVenue on the pair's grid) turned into orders, one block at a time. The plan is
// a function of the seed and the options alone, never of the chain's answers, so the same seed
// gives the same orders on any chain (the chain's order ids are the runner's business):
// - a level that grows is a limit order of the growth;
// - a run of trades of one aggressor at one instant is one marketable limit order at the last
//   (worst) price it took, its rest cancelled in the next block (it must not rest through the book);
// - a level that shrinks without trades is a cancellation of the newest orders planned there;
// - a limit order still planned after `ttlBlocks` is cancelled, so liquidity the chain matched
//   differently from the generator (the market maker took it) cannot pile up.
// Orders go to the accounts round-robin by reference; a cancel goes to the order's account.
// With a recording (recording-flow.ts) instead of the generator, each block's levels are the top
// of the recording's book on the pair's grid (a level no longer among them is cancelled) and its
// trades the marketable orders, by the same rules.
import { MarketSpec, SimVenue, type EventBatch, type MarketSpecInit, type ZiOptions } from '../../../native.js';
import type { Side } from '../../../market/types.js';
import { RecordingFlow, type FlowTrade, type RecordingFlowOptions } from './recording-flow.js';

export interface PlannedPlace {
  readonly kind: 'limit' | 'marketable';
  /** This order's number in the plan, from 0 (the runner maps it to the chain's order id). */
  readonly ref: number;
  readonly account: number;
  readonly side: Side;
  /** Ticks and lots of the pair's grid. */
  readonly price: number;
  readonly size: number;
}

export interface PlannedCancel {
  readonly kind: 'cancel';
  readonly ref: number;
  readonly account: number;
}

export type PlannedAction = PlannedPlace | PlannedCancel;

export interface TraderPlanOptions {
  readonly spec: MarketSpecInit;
  /** Decimal best bid of the generated book at the start; with a recording, where its first mid lands. */
  readonly initialPrice: string;
  /** A recording's order flow instead of the generator's (`rate` is then its replay speed). */
  readonly recording?: RecordingFlowOptions;
  readonly seed: number;
  /** Multiplies the generator's limit, cancel and market rates (1 = its defaults, docs/market_gen.md). */
  readonly rate: number;
  readonly accounts: number;
  /** Generated time per block, ms (the chain's block time). */
  readonly blockMs: number;
  /** Blocks a planned limit order lives at most. */
  readonly ttlBlocks: number;
  /** Overrides of the generator's other parameters (sizes, depth). */
  readonly zi?: ZiOptions;
}

/** The generator's default rates (docs/market_gen.md), scaled by `rate`. */
const BASE_RATES = { limitRate: 12, cancelRate: 0.4, marketRate: 1 } as const;
/** The generated market's clock starts here (any fixed instant: the plan must not read the wall clock). */
const START_NS = 1_700_000_000_000_000_000n;
const SNAPSHOT = 0;
const DEPTH_DIFF = 1;
const TRADE = 2;

interface Resting {
  readonly ref: number;
  readonly account: number;
  size: number;
  readonly expires: number;
}

export class TraderPlan {
  private readonly gen: SimVenue | null = null;
  private readonly flow: RecordingFlow | null = null;
  /** Planned resting orders per level, oldest first. */
  private readonly levels = new Map<string, Resting[]>();
  private readonly byRef = new Map<number, { key: string; resting: Resting }>();
  private nextRef = 0;
  private step = 0;
  private followUps: PlannedCancel[] = [];

  constructor(private readonly options: TraderPlanOptions) {
    if (!(options.rate > 0)) throw new Error(`rate must be > 0, got ${options.rate}`);
    if (!Number.isInteger(options.accounts) || options.accounts < 1) throw new Error(`accounts must be a whole number ≥ 1, got ${options.accounts}`);
    if (options.recording !== undefined) {
      const anchor = new MarketSpec(options.spec).priceToTicks(options.initialPrice);
      this.flow = new RecordingFlow(options.recording, anchor, options.seed, options.rate, START_NS);
      return;
    }
    const zi: ZiOptions = {
      ...options.zi,
      limitRate: BASE_RATES.limitRate * options.rate, cancelRate: BASE_RATES.cancelRate * options.rate, marketRate: BASE_RATES.marketRate * options.rate,
    };
    this.gen = new SimVenue({ startNs: START_NS, spec: options.spec, initialPrice: options.initialPrice, seed: options.seed, zi });
  }

  /** A recording's flow that has fed its last event (the generator never ends). */
  get finished(): boolean {
    return this.flow?.finished ?? false;
  }

  /** Blocks planned so far. */
  get blocks(): number {
    return this.step;
  }

  /** The orders of the next block, in the order they are to be sent. */
  next(): PlannedAction[] {
    const step = this.step++;
    const out: PlannedAction[] = this.followUps;
    this.followUps = [];
    const until = START_NS + BigInt(step * this.options.blockMs) * 1_000_000n;
    if (this.flow !== null) this.follow(this.flow, until, step, out);
    else if (this.gen !== null) this.translate(this.gen.advance(until).market, step, out);
    for (const [ref, { resting }] of this.byRef) {
      if (resting.expires <= step) out.push(this.cancel(ref));
    }
    return out;
  }

  private translate(batch: EventBatch, step: number, out: PlannedAction[]): void {
    const kinds = batch.kinds;
    const ts = batch.exchangeTs;
    const flags = batch.flags;
    const starts = batch.levelStart;
    const nbs = batch.bidCount;
    const nas = batch.askCount;
    const prices = batch.prices;
    const sizes = batch.sizes;
    let run: FlowTrade[] = [];
    for (let i = 0; i < kinds.length; i++) {
      const start = starts[i] ?? 0;
      const nb = nbs[i] ?? 0;
      const na = nas[i] ?? 0;
      if (kinds[i] === TRADE) {
        // The aggressor sold when the buyer was the maker (bit 0).
        const side: Side = ((flags[i] ?? 0) & 1) !== 0 ? 'sell' : 'buy';
        run.push({ side, price: prices[start] ?? 0, size: sizes[start] ?? 0, tsNs: ts[i] ?? 0n });
        continue;
      }
      this.takers(run, step, out);
      run = [];
      if (kinds[i] !== SNAPSHOT && kinds[i] !== DEPTH_DIFF) continue;
      for (let j = 0; j < nb + na; j++) {
        this.level(j < nb ? 'buy' : 'sell', prices[start + j] ?? 0, sizes[start + j] ?? 0, step, out);
      }
    }
    this.takers(run, step, out);
  }

  /** The recording's block: its trades, then every planned level set to the recorded top (or cancelled). */
  private follow(flow: RecordingFlow, untilNs: bigint, step: number, out: PlannedAction[]): void {
    const { trades, levels } = flow.advance(untilNs);
    this.takers(trades, step, out);
    const shown = new Set<string>();
    for (const l of levels) {
      shown.add(`${l.side}:${l.price}`);
      this.level(l.side, l.price, l.size, step, out);
    }
    for (const key of [...this.levels.keys()]) {
      if (shown.has(key)) continue;
      const [side, price] = key.split(':');
      this.level(side as Side, Number(price), 0, step, out);
    }
  }

  /**
   * Trades in order: each takes the planned orders it hit, and a run of one aggressor at one
   * instant is one marketable order at the run's last (worst) price for the run's total size.
   */
  private takers(trades: readonly FlowTrade[], step: number, out: PlannedAction[]): void {
    let taker: { side: Side; price: number; size: number; ts: bigint } | null = null;
    for (const t of trades) {
      this.take(t.side === 'buy' ? 'sell' : 'buy', t.price, t.size);
      if (taker !== null && (taker.side !== t.side || taker.ts !== t.tsNs)) {
        out.push(this.place('marketable', taker.side, taker.price, taker.size, step));
        taker = null;
      }
      if (taker === null) taker = { side: t.side, price: t.price, size: 0, ts: t.tsNs };
      taker.price = t.price;
      taker.size += t.size;
    }
    if (taker !== null) out.push(this.place('marketable', taker.side, taker.price, taker.size, step));
  }

  /** The generator's level is now `size`: place the growth, cancel the shrinkage. */
  private level(side: Side, price: number, size: number, step: number, out: PlannedAction[]): void {
    const key = `${side}:${price}`;
    const resting = this.levels.get(key) ?? [];
    let planned = resting.reduce((s, r) => s + r.size, 0);
    if (size > planned) {
      out.push(this.place('limit', side, price, size - planned, step));
      return;
    }
    while (planned > size && resting.length > 0) {
      const newest = resting[resting.length - 1] as Resting;
      planned -= newest.size;
      out.push(this.cancel(newest.ref));
    }
  }

  /** A marketable order took `size` at `price` of the `side` book: the oldest planned orders there first. */
  private take(side: Side, price: number, size: number): void {
    const resting = this.levels.get(`${side}:${price}`);
    let left = size;
    while (left > 0 && resting !== undefined && resting.length > 0) {
      const oldest = resting[0] as Resting;
      const taken = Math.min(left, oldest.size);
      oldest.size -= taken;
      left -= taken;
      if (oldest.size === 0) this.forget(oldest.ref);
    }
  }

  private place(kind: PlannedPlace['kind'], side: Side, price: number, size: number, step: number): PlannedPlace {
    const ref = this.nextRef++;
    const account = ref % this.options.accounts;
    if (kind === 'limit') {
      const key = `${side}:${price}`;
      const resting: Resting = { ref, account, size, expires: step + this.options.ttlBlocks };
      const level = this.levels.get(key) ?? [];
      level.push(resting);
      this.levels.set(key, level);
      this.byRef.set(ref, { key, resting });
    } else {
      this.followUps.push({ kind: 'cancel', ref, account });
    }
    return { kind, ref, account, side, price, size };
  }

  private cancel(ref: number): PlannedCancel {
    const account = this.byRef.get(ref)?.resting.account ?? ref % this.options.accounts;
    this.forget(ref);
    return { kind: 'cancel', ref, account };
  }

  private forget(ref: number): void {
    const entry = this.byRef.get(ref);
    if (entry === undefined) return;
    this.byRef.delete(ref);
    const level = this.levels.get(entry.key);
    const i = level?.indexOf(entry.resting) ?? -1;
    if (level !== undefined && i >= 0) level.splice(i, 1);
    if (level !== undefined && level.length === 0) this.levels.delete(entry.key);
  }
}
