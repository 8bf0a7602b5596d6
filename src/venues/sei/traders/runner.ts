// The synthetic traders on a chain: each block, the plan's next orders (plan.ts) go out as real
// transactions from the traders' own accounts, one transaction per account per block (the node's
// recheck_tx is off: a second one in the mempool across a block boundary would be refused), built
// and signed by the venue's SeiTxBuilder with the sequence kept here and re-signed from the node's
// "expected N". A transaction that fails is counted by code and its orders dropped; nothing stops
// the traders but stop(), which cancels every order they still have open.
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import type { SeiVenueConfig } from '../../../config/schema.js';
import { createLogOnce, type Logger, type LogOnce } from '../../../telemetry/logger.js';
import { SeiChain, expectedSequence, type Pair } from '../chain.js';
import { CometSocket, type NewBlock } from '../comet-socket.js';
import { FeeCapError, feeRuleOf } from '../fees.js';
import { resolveMarkets, type SeiMarket } from '../markets.js';
import { placedIds } from '../sei-venue.js';
import type { CoreDirectSigner } from '../signer.js';
import { SeiTxBuilder, type CancelSpec, type PlaceSpec } from '../tx-builder.js';
import type { PlannedAction, PlannedCancel, PlannedPlace, TraderPlan } from './plan.js';

const MAX_RESIGNS = 3;
/** Orders and cancels in one transaction at most (the rest waits for the account's next block). */
const MAX_OPS_PER_TX = 40;
const RECONNECT_MS = 1_000;

export interface TraderCounters {
  blocks: number;
  planned: number;
  placesSent: number;
  cancelsSent: number;
  /** Cancels of orders whose placement failed, dropped. */
  cancelsDropped: number;
  txSent: number;
  txOk: number;
  sequenceResyncs: number;
  /** Failed transactions by where and code: "check 13", "block 11", "expired", "broadcast", "fee-cap". */
  failed: Record<string, number>;
}

interface InFlight {
  readonly hash: string;
  readonly places: readonly PlannedPlace[];
  readonly cancels: readonly PlannedCancel[];
  readonly timeoutHeight: number;
}

interface Trader {
  readonly index: number;
  readonly builder: SeiTxBuilder;
  account: { accountNumber: bigint; sequence: number };
  stale: boolean;
  queue: PlannedAction[];
  inFlight: InFlight | null;
}

/** A placed order the chain has: its id and what a cancel must name. */
interface Live {
  readonly id: bigint;
  readonly place: PlannedPlace;
}

export interface SeiTradersOptions {
  /** The venue settings (RPC, chain id, contract, gas and fees, timeout height): the same schema as the daemon's. */
  readonly config: SeiVenueConfig;
  readonly pair: Pair;
  readonly signers: readonly CoreDirectSigner[];
  readonly logger: Logger;
  /**
   * Builds the plan on the pair's grid, once the chain has told it; `mid` is the pair's mid at
   * the start (its price, on the grid rounded down), null while a side of its book is empty.
   */
  readonly plan: (market: SeiMarket, mid: string | null) => TraderPlan;
  /** Writes one JSON line per order sent (the runs' comparison); a file descriptor. */
  readonly recordFd?: number;
}

/** The book's mid on the pair's grid (rounded down), or null while a side is empty. */
function midOf(market: SeiMarket, book: { bids: { prices: string[] }; asks: { prices: string[] } }): string | null {
  const bids = book.bids.prices.map((p) => market.spec.priceToTicks(p));
  const asks = book.asks.prices.map((p) => market.spec.priceToTicks(p));
  if (bids.length === 0 || asks.length === 0) return null;
  return market.spec.ticksToPrice(Math.floor((Math.max(...bids) + Math.min(...asks)) / 2));
}

export class SeiTraders {
  readonly counters: TraderCounters = {
    blocks: 0, planned: 0, placesSent: 0, cancelsSent: 0, cancelsDropped: 0, txSent: 0, txOk: 0, sequenceResyncs: 0, failed: {},
  };
  private readonly live = new Map<number, Live>();
  /** Refs whose placement is queued or in a transaction not yet in a block. */
  private readonly pending = new Set<number>();
  private socket: CometSocket | null = null;
  private processing: Promise<void> = Promise.resolve();
  private stopping = false;
  private closed = false;
  private height = 0;
  private readonly logOnce: LogOnce;
  private blockWaiters: (() => void)[] = [];

  private constructor(
    private readonly options: SeiTradersOptions,
    private readonly chain: SeiChain,
    private readonly market: SeiMarket,
    private readonly plan: TraderPlan,
    private readonly traders: Trader[],
  ) {
    this.logOnce = createLogOnce(options.logger);
  }

  static async open(options: SeiTradersOptions): Promise<SeiTraders> {
    const { config } = options;
    const chain = await SeiChain.connect(config.rpcUrl);
    await chain.checkNode(config.chainId, config.contractAddr);
    const [market] = resolveMarkets([{ symbol: 'traders', ...options.pair }], await chain.registeredPairs(config.contractAddr), config.contractAddr);
    if (market === undefined) throw new Error('no market'); // resolveMarkets throws for an unregistered pair
    const fee = feeRuleOf(config, await chain.params());
    const traders = await Promise.all(options.signers.map(async (signer, index) => ({
      index,
      builder: await SeiTxBuilder.create({ chainId: config.chainId, contract: config.contractAddr, signer, fee, orderData: config.orderData }),
      account: await chain.account(signer.address),
      stale: false, queue: [], inFlight: null,
    })));
    const book = await chain.book(config.contractAddr, market.pair, await chain.latestHeight());
    return new SeiTraders(options, chain, market, options.plan(market, midOf(market, book)), traders);
  }

  /** The plan's recording has fed its last event (the generator never ends). */
  get finished(): boolean {
    return this.plan.finished;
  }

  get addresses(): string[] {
    return this.traders.map((t) => t.builder.address);
  }

  get spec(): SeiMarket['spec'] {
    return this.market.spec;
  }

  /** Follows the chain's blocks and trades on each until stop(). */
  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const { config } = this.options;
    const ws = config.wsUrl ?? `${config.rpcUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/websocket`;
    const c = config.connection;
    this.socket = await CometSocket.open(
      ws, { openTimeoutMs: c.openTimeoutMs, pingIntervalMs: c.pingIntervalMs, pongTimeoutMs: c.pongTimeoutMs },
      (block) => {
        this.processing = this.processing.then(() => this.onBlock(block)).catch((err: unknown) => this.fault('block', err));
      },
      (reason) => {
        if (this.closed) return;
        this.logOnce('traders-ws', { reason }, 'traders: websocket ended; reconnecting');
        setTimeout(() => void this.connect().catch((err: unknown) => this.fault('connect', err)), RECONNECT_MS);
      },
    );
  }

  private fault(where: string, err: unknown): void {
    this.counters.failed[where] = (this.counters.failed[where] ?? 0) + 1;
    this.logOnce(`traders-${where}`, { err: (err as Error).message }, `traders: ${where} failed; going on`);
  }

  private async onBlock(block: NewBlock): Promise<void> {
    this.height = block.height;
    this.counters.blocks += 1;
    const hashes = block.txs.map((b64) => createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex').toUpperCase());
    for (const t of this.traders) await this.settle(t, block.height, hashes);
    if (!this.stopping) {
      const actions = this.plan.next();
      this.counters.planned += actions.length;
      for (const a of actions) {
        const t = this.traders[a.account];
        if (t === undefined) continue;
        if (a.kind !== 'cancel') this.pending.add(a.ref);
        t.queue.push(a);
      }
    }
    for (const t of this.traders) await this.send(t, block.height);
    for (const resolve of this.blockWaiters.splice(0)) resolve();
  }

  /** The account's transaction in flight: in this block (its outcome), or past its timeout height. */
  private async settle(t: Trader, height: number, hashes: readonly string[]): Promise<void> {
    const flight = t.inFlight;
    if (flight === null) return;
    const index = hashes.indexOf(flight.hash);
    if (index < 0) {
      if (height <= flight.timeoutHeight) return;
      this.failTx(t, flight, 'expired', `not in a block by its timeout height ${flight.timeoutHeight}`);
      return;
    }
    const outcome = await this.chain.txResult(height, index);
    if (outcome === null || outcome.code !== 0) {
      this.failTx(t, flight, `block ${outcome?.code ?? 'unknown'}`, outcome?.log ?? 'no result');
      return;
    }
    t.inFlight = null;
    this.counters.txOk += 1;
    const ids = placedIds(outcome);
    flight.places.forEach((p, i) => {
      this.pending.delete(p.ref);
      const id = ids[i];
      if (id !== undefined) this.live.set(p.ref, { id, place: p });
    });
  }

  private failTx(t: Trader, flight: InFlight, key: string, log: string): void {
    t.inFlight = null;
    t.stale = true; // the fee and sequence may or may not have been taken
    this.countFailed(key, log);
    for (const p of flight.places) this.pending.delete(p.ref);
  }

  private countFailed(key: string, log: string): void {
    this.counters.failed[key] = (this.counters.failed[key] ?? 0) + 1;
    this.logOnce(`traders-tx-${key}`, { failure: key, log }, 'traders: transaction failed; counted, going on');
  }

  /** One transaction of the account's queue (cancels first), unless its previous one is not in a block yet. */
  private async send(t: Trader, height: number): Promise<void> {
    if (t.inFlight !== null || t.queue.length === 0) return;
    if (t.stale) {
      t.account = await this.chain.account(t.builder.address);
      t.stale = false;
      this.counters.sequenceResyncs += 1;
    }
    const cancels: PlannedCancel[] = [];
    const places: PlannedPlace[] = [];
    const waiting: PlannedAction[] = [];
    for (const a of t.queue) {
      if (cancels.length + places.length >= MAX_OPS_PER_TX) waiting.push(a);
      else if (a.kind !== 'cancel') places.push(a);
      else if (this.live.has(a.ref)) cancels.push(a);
      else if (this.pending.has(a.ref)) waiting.push(a); // its order is not on the chain yet
      else this.counters.cancelsDropped += 1; // its placement failed
    }
    t.queue = waiting;
    if (cancels.length + places.length === 0) return;
    const spec = this.market.spec;
    const pair = this.market.pair;
    const cancelSpecs: CancelSpec[] = cancels.map((c) => {
      const live = this.live.get(c.ref) as Live;
      return { pair, orderId: live.id, side: live.place.side, price: spec.ticksToPrice(live.place.price) };
    });
    const placeSpecs: PlaceSpec[] = places.map((p) => ({ pair, side: p.side, price: spec.ticksToPrice(p.price), quantity: spec.lotsToSize(p.size) }));
    let cost;
    try {
      cost = t.builder.cost(cancels.length, places.length);
    } catch (err) {
      if (!(err instanceof FeeCapError)) throw err;
      this.countFailed('fee-cap', err.message);
      for (const p of places) this.pending.delete(p.ref);
      return;
    }
    const timeoutHeight = height + this.options.config.txTimeoutBlocks;
    for (let attempt = 0; ; attempt++) {
      const tx = await t.builder.sign(cancelSpecs, placeSpecs, { ...t.account, timeoutHeight }, cost);
      let result: { code: number; log: string };
      try {
        result = await this.chain.broadcastSync(tx.bytes);
      } catch (err) {
        // Unknown whether it reached the mempool: follow it by hash until its timeout height.
        this.countFailed('broadcast', (err as Error).message);
        result = { code: 0, log: '' };
      }
      if (result.code === 0) {
        t.inFlight = { hash: tx.hash, places, cancels, timeoutHeight };
        t.account.sequence += 1;
        this.counters.txSent += 1;
        this.counters.placesSent += places.length;
        this.counters.cancelsSent += cancels.length;
        for (const c of cancels) this.live.delete(c.ref);
        this.record(t, places, cancels);
        return;
      }
      const expected = expectedSequence(result);
      if (expected !== null && attempt < MAX_RESIGNS) {
        // Refused at CheckTx: never in the mempool, so re-signing cannot place twice.
        t.account.sequence = expected;
        this.counters.sequenceResyncs += 1;
        continue;
      }
      this.countFailed(`check ${result.code}`, result.log);
      for (const p of places) this.pending.delete(p.ref);
      return;
    }
  }

  private record(t: Trader, places: readonly PlannedPlace[], cancels: readonly PlannedCancel[]): void {
    const fd = this.options.recordFd;
    if (fd === undefined) return;
    const lines = [...cancels, ...places].map((a) => JSON.stringify({ block: this.plan.blocks - 1, ...a }));
    writeSync(fd, `${lines.join('\n')}\n`);
  }

  /** Resolves after the next block has been processed. */
  private nextBlock(): Promise<void> {
    return new Promise((resolve) => this.blockWaiters.push(resolve));
  }

  /**
   * Stops planning, waits for the transactions in flight, cancels every order of the traders
   * still open on the chain (as far as they know), waits for those cancels to land, and closes.
   */
  async stop(maxBlocks = 40): Promise<void> {
    this.stopping = true;
    await this.processing;
    for (let i = 0; i < maxBlocks && this.traders.some((t) => t.inFlight !== null || t.queue.length > 0); i++) {
      if (i === 0) this.cancelEverything();
      await this.nextBlock();
    }
    this.cancelEverything();
    for (let i = 0; i < maxBlocks && (this.live.size > 0 || this.traders.some((t) => t.inFlight !== null || t.queue.length > 0)); i++) {
      await this.nextBlock();
    }
    this.closed = true;
    this.socket?.close();
    await this.processing;
    this.chain.disconnect();
  }

  private cancelEverything(): void {
    for (const t of this.traders) {
      for (const a of t.queue) if (a.kind !== 'cancel') this.pending.delete(a.ref); // never sent now
      t.queue = t.queue.filter((a) => a.kind === 'cancel');
      const queued = new Set(t.queue.map((a) => a.ref));
      for (const [ref, live] of this.live) {
        if (live.place.account === t.index && !queued.has(ref)) t.queue.push({ kind: 'cancel', ref, account: t.index });
      }
    }
  }
}
