// The Sei venue: Sei's native order book (seiprotocol.seichain.dex, sei-chain ≤ v5.5.x) behind
// the one Venue interface. Block by block, in height order: our transaction's outcome (order ids
// from its TxMsgData, cancels from its cancel_order events), our fills from the block's match
// result (the chain's settlement prices, midpoints included), then the pair's book as a
// snapshot with sequence = height. A height missed while disconnected is caught up the same way.
// Orders go out as at most one transaction per block: every cancel and place waiting when the
// previous transaction lands goes into the next one, signed offline with the sequence we keep; a
// sequence error re-signs from the number the chain expects (the rejected transaction never
// reached the mempool, so nothing is placed twice), and a transaction still unseen past its
// timeout height is dead for good, so its orders can be reported rejected without risk.
import { TxMsgData } from 'cosmjs-types/cosmos/base/abci/v1beta1/abci';
import type { EventBatch } from '../../native.js';
import { systemClock, type Clock } from '../../execution/clock.js';
import type { SeiVenueConfig } from '../../config/schema.js';
import type { MarketInfo, Side } from '../../market/types.js';
import { createLogOnce, type LogOnce, type Logger } from '../../telemetry/logger.js';
import {
  type CancelRequest, type ConnectionState, type FaultSite, guardOf, type OrderBatch, type OrderEvent, type PlaceRequest, type Venue,
  type VenueListener, type VenueOrder,
} from '../venue.js';
import { BlockFeed, endpointOf, type Endpoint } from './block-feed.js';
import { SeiChain, eventValues, expectedSequence, type BookSide, type TxOutcome } from './chain.js';
import type { NewBlock } from './comet-socket.js';
import { FeeCapError, feeRuleOf } from './fees.js';
import { resolveMarkets, type MarketDataGrid, type SeiMarket, type SeiMarketConfig } from './markets.js';
import { OrderTable, orderSpecs, type InFlight, type TrackedOrder } from './orders.js';
import { dex, LONG, PLACE_ORDERS_URL, type MatchResult, type Order } from './proto.js';
import type { CoreDirectSigner } from './signer.js';
import { SeiTxBuilder, txHash } from './tx-builder.js';

export interface SeiVenueOptions {
  readonly config: SeiVenueConfig;
  readonly markets: readonly SeiMarketConfig[];
  /** Without a signer the venue only observes (books and trades; no orders). */
  readonly signer?: CoreDirectSigner;
  /** 'half-tick': books and trades on half the pair's tick, every settlement exact (observing only: markets.ts). */
  readonly grid?: MarketDataGrid;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/** What went wrong, counted (the first of each kind is logged). */
export interface SeiCounters {
  blocks: number;
  caughtUp: number;
  reconnects: number;
  resyncs: number;
  txSent: number;
  txFailedInBlock: number;
  txRejectedAtCheck: number;
  txExpired: number;
  sequenceResyncs: number;
  feeCapped: number;
  offGrid: number;
  badSettlements: number;
  processingErrors: number;
  unreconciled: number;
}

interface Trades {
  prices: string[];
  sizes: string[];
  buyerMaker: number[];
}

const MAX_RESIGNS = 3;
/**
 * Heights in a row whose queries failed (each after the request timeout) before the venue drops
 * the connection, so the feed moves to the next endpoint: a node whose websocket still delivers
 * blocks while its RPC hangs would otherwise hold the venue on it for good.
 */
const MAX_FAILED_HEIGHTS = 3;

export class SeiVenue implements Venue {
  readonly name = 'sei';
  /** Sei's book lists our orders with everyone else's: the engine quotes on the view net of ours. */
  readonly publicBookIncludesOwnOrders = true;
  /** The node as checked at open: its chain id and sei-chain version. */
  node: { readonly version: string; readonly chainId: string } | null = null;
  readonly counters: SeiCounters = {
    blocks: 0, caughtUp: 0, reconnects: 0, resyncs: 0, txSent: 0, txFailedInBlock: 0, txRejectedAtCheck: 0, txExpired: 0,
    sequenceResyncs: 0, feeCapped: 0, offGrid: 0, badSettlements: 0, processingErrors: 0, unreconciled: 0,
  };
  private readonly bySymbol: Map<string, SeiMarket>;
  private readonly byPair: Map<string, SeiMarket>;
  private readonly orders = new OrderTable();
  private readonly queuedPlaces: TrackedOrder[] = [];
  private readonly queuedCancels = new Set<TrackedOrder>();
  private readonly cancelWaiters: (() => void)[] = [];
  private readonly chains = new Map<string, SeiChain>();
  /** Each block seen on the websocket: its transactions, time and arrival (performance.now() ms). */
  private readonly blockTxs = new Map<number, { hashes: string[]; timeNs: bigint; atMs: number }>();
  /** The block processed last in this drain: its arrival and when its queries answered (the pump's latency origin). */
  private released: { blockAtMs: number | null; dataAtMs: number } | null = null;
  private readonly feed: BlockFeed;
  private readonly clock: Clock;
  private readonly logOnce: LogOnce | null;
  private listener: VenueListener | null = null;
  private inFlight: InFlight | null = null;
  private account: { accountNumber: bigint; sequence: number } | null = null;
  private processed = 0;
  private target = 0;
  private processing: Promise<void> | null = null;
  /** Consecutive drains whose height could not be read (MAX_FAILED_HEIGHTS). */
  private failedHeights = 0;
  /** Set while the feed is down and until the first block after it is back is processed. */
  private resyncing = true;
  private feedUp = false;
  /** After a transaction failed or expired: re-read the sequence before the next one. */
  private sequenceStale = false;
  private chain: SeiChain;
  private closed = false;

  private constructor(
    private readonly options: SeiVenueOptions,
    endpoints: readonly Endpoint[],
    chain: SeiChain,
    private readonly seiMarkets: readonly SeiMarket[],
    private readonly builder: SeiTxBuilder | null,
  ) {
    this.chain = chain;
    this.chains.set(chain.rpcUrl, chain);
    this.clock = options.clock ?? systemClock;
    this.logOnce = options.logger === undefined ? null : createLogOnce(options.logger);
    this.bySymbol = new Map(seiMarkets.map((m) => [m.info.symbol, m]));
    this.byPair = new Map(seiMarkets.map((m) => [pairKey(m.pair.priceDenom, m.pair.assetDenom), m]));
    const c = options.config.connection;
    this.feed = new BlockFeed(
      {
        endpoints, openTimeoutMs: c.openTimeoutMs, pingIntervalMs: c.pingIntervalMs, pongTimeoutMs: c.pongTimeoutMs,
        stallMs: options.config.stallMs, backoff: { minMs: c.backoffMinMs, maxMs: c.backoffMaxMs },
        breaker: { failures: c.breakerFailures, resetMs: c.breakerResetMs },
      },
      // The feed's callbacks run under the daemon's supervisor: a throw is a venue-wide fault.
      {
        onBlock: (b) => this.guarded({ kind: 'sei-block' }, () => this.onBlock(b)),
        onUp: (e) => this.guarded({ kind: 'sei-feed' }, () => this.onUp(e)),
        onDown: (r) => this.guarded({ kind: 'sei-feed' }, () => this.onDown(r)),
      },
    );
  }

  /**
   * Checks the node (chain id, sei-chain version, the dex module answering for the contract),
   * reads the markets' registered pairs and the module's fee parameters, and our account. Refuses
   * a chain without the module (UnsupportedChainError) with a message that says why.
   */
  static async open(options: SeiVenueOptions): Promise<SeiVenue> {
    const { config } = options;
    const endpoints = [config.rpcUrl, ...config.fallbackRpcUrls].map((rpc, i) => endpointOf(rpc, i === 0 ? config.wsUrl : undefined));
    const chain = await firstAnswering(endpoints, config.connection.requestTimeoutMs);
    const node = await chain.checkNode(config.chainId, config.contractAddr);
    if (options.grid === 'half-tick' && options.signer !== undefined) throw new Error('the half-tick grid is for observing only: orders go on the pair\'s grid');
    const markets = resolveMarkets(options.markets, await chain.registeredPairs(config.contractAddr), config.contractAddr, options.grid);
    let builder: SeiTxBuilder | null = null;
    if (options.signer !== undefined) {
      const p = await chain.params();
      builder = await SeiTxBuilder.create({
        chainId: config.chainId, contract: config.contractAddr, signer: options.signer, orderData: config.orderData,
        fee: feeRuleOf(config, p),
      });
    }
    const venue = new SeiVenue(options, endpoints, chain, markets, builder);
    venue.node = node;
    if (options.signer !== undefined) venue.account = await chain.account(options.signer.address);
    return venue;
  }

  markets(): readonly MarketInfo[] {
    return this.seiMarkets.map((m) => m.info);
  }

  /** Our address, or null when observing. */
  get address(): string | null {
    return this.builder?.address ?? null;
  }

  /** What the daemon's /status shows of the venue: the chain, our address, the last height, the counters. */
  status(): { chainId: string; address: string | null; height: number; endpoint: string | null; counters: SeiCounters } {
    return { chainId: this.options.config.chainId, address: this.address, height: this.processed, endpoint: this.feed.endpoint?.rpc ?? null, counters: { ...this.counters } };
  }

  /** The height processed last (books, fills and transactions up to it are delivered). */
  get height(): number {
    return this.processed;
  }

  async connect(listener: VenueListener): Promise<void> {
    this.listener = listener;
    listener.onConnection('connecting');
    await this.feed.start();
    await this.reconcile();
  }

  // ---- blocks ------------------------------------------------------------------------------

  private onBlock(block: NewBlock): void {
    const atMs = performance.now();
    const hashes = block.txs.map((b64) => txHash(Buffer.from(b64, 'base64')));
    this.blockTxs.set(block.height, { hashes, timeNs: block.timeNs, atMs });
    if (this.processed === 0) this.processed = block.height - 1;
    this.target = Math.max(this.target, block.height);
    this.kick();
  }

  private onUp(endpoint: Endpoint): void {
    this.feedUp = true;
    this.useChain(endpoint);
    if (this.feed.connects > 1) this.counters.reconnects += 1;
  }

  private onDown(reason: string): void {
    this.feedUp = false;
    this.resyncing = true;
    this.emitConnection('disconnected', reason);
  }

  private emitConnection(state: ConnectionState, reason?: string): void {
    this.listener?.onConnection(state, reason);
  }

  private useChain(endpoint: Endpoint): void {
    const known = this.chains.get(endpoint.rpc);
    if (known !== undefined) {
      this.chain = known;
      return;
    }
    guardOf(this.listener).task({ kind: 'sei-connect' }, SeiChain.connect(endpoint.rpc, { timeoutMs: this.options.config.connection.requestTimeoutMs }).then((c) => {
      this.chains.set(endpoint.rpc, c);
      if (this.feed.endpoint?.rpc === endpoint.rpc) this.chain = c;
    }, (err: unknown) => this.count('processingErrors', 'connect', err)));
  }

  /** Processes heights up to the newest one seen, one at a time, in order. */
  private kick(): void {
    if (this.processing !== null || this.closed) return;
    this.processing = this.drain().finally(() => {
      this.processing = null;
      if (this.processed < this.target) setImmediate(() => this.guarded({ kind: 'sei-block' }, () => this.kick()));
    });
  }

  private async drain(): Promise<void> {
    this.released = null;
    try {
      if (this.target - this.processed > this.options.config.maxCatchUpBlocks) await this.jump();
      while (this.processed < this.target && !this.closed) {
        const h = this.processed + 1;
        await this.processHeight(h, h === this.target);
        this.processed = h;
        this.blockTxs.delete(h);
        this.failedHeights = 0;
        if (this.resyncing && this.feedUp && h === this.target) {
          this.resyncing = false;
          this.emitConnection('connected');
        }
      }
    } catch (err) {
      this.count('processingErrors', 'block', err); // the same height is read again on the next block
      this.failedHeights += 1;
      if (this.failedHeights >= MAX_FAILED_HEIGHTS) {
        this.failedHeights = 0;
        this.feed.drop(`rpc: ${MAX_FAILED_HEIGHTS} heights in a row unreadable (${(err as Error).message})`);
      }
    }
    try {
      await this.pump();
    } catch (err) {
      this.count('processingErrors', 'send', err);
    }
  }

  /** A gap too long to catch up: start from the current state and reconcile our orders. */
  private async jump(): Promise<void> {
    this.counters.resyncs += 1;
    this.logOnce?.('sei-gap', { from: this.processed, to: this.target }, 'sei: block gap too long to catch up; resyncing from the current state');
    this.processed = this.target - 1;
    for (const h of this.blockTxs.keys()) if (h <= this.processed) this.blockTxs.delete(h);
    await this.reconcile();
  }

  /**
   * One height: everything is read first (our transaction's result, the match result, the
   * books), then applied without awaiting, so a query that fails leaves nothing half-delivered
   * and the height is simply read again (no fill is ever reported twice).
   */
  private async processHeight(h: number, latest: boolean): Promise<void> {
    const seen = this.blockTxs.get(h);
    const flight = this.inFlight;
    const contract = this.options.config.contractAddr;
    // A height missed on the websocket: its header from the node (time and transactions).
    const block = seen ?? this.chain.block(h).then((b) => ({ hashes: b.txs.map((t) => txHash(t)), timeNs: BigInt(b.timeMs) * 1_000_000n }));
    // The reads are independent: one round trip to the node per height, not one per query.
    const [{ timeNs }, outcome, match, books] = await Promise.all([
      block,
      flight === null ? null : this.outcomeOf(flight, h, block),
      this.chain.matchResult(contract, h),
      latest ? Promise.all(this.seiMarkets.map((m) => this.chain.book(contract, m.pair, h))) : null,
    ]);
    // ---- apply: no await below this line
    this.released = { blockAtMs: seen?.atMs ?? null, dataAtMs: performance.now() };
    this.counters.blocks += 1;
    if (seen === undefined) this.counters.caughtUp += 1;
    let cancels: { tx: InFlight; ids: Set<bigint> } | null = null;
    if (flight !== null && outcome !== null) cancels = this.confirm(flight, outcome, timeNs);
    else if (flight !== null && h >= flight.timeoutHeight) this.expire(flight, h, timeNs);
    const localNs = this.clock.nowNs();
    const trades = match === null ? new Map<SeiMarket, Trades>() : this.settle(match, h, timeNs);
    if (cancels !== null) this.settleCancels(cancels, timeNs);
    this.seiMarkets.forEach((market, i) => {
      const t = trades.get(market);
      if (t !== undefined) {
        const skipped = market.builder.pushTrades(timeNs, localNs, h * 1_000, t.prices, t.sizes, Uint8Array.from(t.buyerMaker));
        this.offGrid(market, h, skipped);
      }
      const book = books?.[i];
      if (book !== undefined) this.snapshot(market, h, timeNs, localNs, book);
      if (market.builder.length > 0) this.deliver(market, market.builder.finish());
    });
  }

  /** Our transaction's result in block `h`, or null when the block does not carry it. */
  private async outcomeOf(flight: InFlight, h: number, block: { hashes: readonly string[] } | Promise<{ hashes: readonly string[] }>): Promise<TxOutcome | null> {
    const index = (await block).hashes.indexOf(flight.tx.hash);
    if (index < 0) return null;
    const outcome = await this.chain.txResult(h, index);
    if (outcome === null) throw new Error(`block ${h} lists our transaction but has no result for it`);
    return outcome;
  }

  /** Our fills of block `h`, and every settlement as a public trade (the new order took liquidity). */
  private settle(match: MatchResult, h: number, timeNs: bigint): Map<SeiMarket, Trades> {
    const trades = new Map<SeiMarket, Trades>();
    const fresh = new Set(match.orders.map((o) => o.id ?? 0n));
    for (const s of match.settlements) {
      const market = this.byPair.get(pairKey(s.priceDenom, s.assetDenom));
      if (market === undefined) continue;
      if (s.account === this.address) this.fill(market, s.orderId, s.quantity, s.executionCostOrProceed, s.positionDirection, h, timeNs);
      if (s.positionDirection !== 'Long') continue;
      const t = trades.get(market) ?? { prices: [], sizes: [], buyerMaker: [] };
      t.prices.push(s.executionCostOrProceed);
      t.sizes.push(s.quantity);
      t.buyerMaker.push(fresh.has(s.orderId) ? 0 : 1);
      trades.set(market, t);
    }
    return trades;
  }

  private snapshot(market: SeiMarket, h: number, timeNs: bigint, localNs: bigint, book: { bids: BookSide; asks: BookSide }): void {
    const { bids, asks } = book;
    const skipped = market.builder.pushSnapshot(h, timeNs, localNs, bids.prices, bids.sizes, asks.prices, asks.sizes);
    if (skipped > 0) this.logOnce?.(`sei-off-grid-${market.info.symbol}`, { height: h, error: market.builder.lastError }, 'sei: book level off the market grid skipped');
    this.offGrid(market, h, skipped);
  }

  /** Levels and trades skipped as off the grid: counted here and as the daemon's bad input. */
  private offGrid(market: SeiMarket, h: number, skipped: number): void {
    if (skipped === 0) return;
    this.counters.offGrid += skipped;
    const detail = `block ${h}: ${market.builder.lastError ?? 'off the grid'}`;
    this.listener?.onBadInput?.({ source: 'sei', reason: 'off-grid', count: skipped, symbol: market.info.symbol, detail });
  }

  /** Runs one of the venue's own callbacks under the daemon's supervisor (if there is one yet). */
  private guarded(site: FaultSite, fn: () => void): void {
    guardOf(this.listener).run(site, fn);
  }

  private deliver(market: SeiMarket, batch: EventBatch): void {
    // Keep the touch for post-only checks: the last snapshot's best bid and ask.
    const kinds = batch.kinds;
    for (let i = kinds.length - 1; i >= 0; i--) {
      if (kinds[i] !== 0) continue;
      const prices = batch.prices;
      const start = batch.levelStart[i] ?? 0;
      const nb = batch.bidCount[i] ?? 0;
      const na = batch.askCount[i] ?? 0;
      market.bestBid = nb === 0 ? null : Math.max(...prices.subarray(start, start + nb));
      market.bestAsk = na === 0 ? null : Math.min(...prices.subarray(start + nb, start + nb + na));
      break;
    }
    this.listener?.onMarketData(market.info.symbol, batch);
  }

  // ---- our transactions ----------------------------------------------------------------------

  /** Our transaction is in this block: its orders are accepted or rejected; cancels settle after fills. */
  private confirm(flight: InFlight, outcome: TxOutcome, timeNs: bigint): { tx: InFlight; ids: Set<bigint> } | null {
    this.inFlight = null;
    if (outcome.code !== 0) {
      this.failedInBlock(flight, outcome, timeNs);
      return null;
    }
    const ids = placedIds(outcome);
    flight.places.forEach((order, i) => {
      const id = ids[i];
      if (id === undefined) {
        this.orders.done(order);
        this.emit({ type: 'rejected', clientId: order.clientId, symbol: order.market.info.symbol, reason: 'no order id in the transaction result', tsNs: timeNs });
        return;
      }
      this.orders.opened(order, id, outcome.height);
      this.emit({ type: 'accepted', clientId: order.clientId, symbol: order.market.info.symbol, tsNs: timeNs });
      if (order.requested !== undefined) {
        const { atMs, height } = order.requested;
        const seconds = (performance.now() - atMs) / 1000;
        // Asked before the first block was processed: no height to count from.
        this.listener?.onLatency?.(height === 0 ? { kind: 'resting', seconds } : { kind: 'resting', seconds, blocks: outcome.height - height });
      }
    });
    const cancelled = new Set(eventValues(outcome.events, 'cancel_order', 'cancellation_id').map((v) => BigInt(v)));
    return { tx: flight, ids: cancelled };
  }

  /** After the block's fills: each cancel either took the order off the book or found it gone. */
  private settleCancels({ tx, ids }: { tx: InFlight; ids: Set<bigint> }, timeNs: bigint): void {
    for (const order of tx.cancels) {
      const symbol = order.market.info.symbol;
      if (order.state === 'done') {
        this.emit({ type: 'cancel-rejected', clientId: order.clientId, symbol, reason: 'already filled', tsNs: timeNs });
      } else if (order.orderId !== null && ids.has(order.orderId)) {
        this.orders.done(order);
        this.emit({ type: 'cancelled', clientId: order.clientId, symbol, reason: 'requested', tsNs: timeNs });
      } else {
        this.orders.done(order);
        this.emit({ type: 'cancel-rejected', clientId: order.clientId, symbol, reason: 'not on the book', tsNs: timeNs });
      }
    }
    for (const resolve of tx.waiters) resolve();
  }

  private failedInBlock(flight: InFlight, outcome: TxOutcome, timeNs: bigint): void {
    this.counters.txFailedInBlock += 1;
    const reason = `transaction failed in block ${outcome.height} (code ${outcome.code}): ${outcome.log}`;
    this.logOnce?.(`sei-tx-failed-${outcome.code}`, { height: outcome.height, code: outcome.code, log: outcome.log }, 'sei: order transaction failed in its block');
    this.undo(flight, reason, timeNs);
    this.sequenceStale = true; // the fee and sequence may or may not have been taken
  }

  private expire(flight: InFlight, h: number, timeNs: bigint): void {
    this.counters.txExpired += 1;
    this.inFlight = null;
    this.undo(flight, `transaction not in a block by its timeout height ${flight.timeoutHeight} (now ${h})`, timeNs);
    this.sequenceStale = true;
  }

  /** Reports a transaction that changed nothing on chain: places rejected, cancels not applied. */
  private undo(flight: Pick<InFlight, 'places' | 'cancels' | 'waiters'>, reason: string, timeNs: bigint): void {
    for (const order of flight.places) {
      this.orders.done(order);
      this.emit({ type: 'rejected', clientId: order.clientId, symbol: order.market.info.symbol, reason, tsNs: timeNs });
    }
    for (const order of flight.cancels) {
      order.cancelling = false;
      this.emit({ type: 'cancel-rejected', clientId: order.clientId, symbol: order.market.info.symbol, reason, tsNs: timeNs });
    }
    for (const resolve of flight.waiters) resolve();
  }

  /** Re-reads account number and sequence from the chain before the next transaction. */
  private async resyncSequence(): Promise<void> {
    const address = this.address;
    if (address === null) return;
    this.account = await this.chain.account(address);
    this.sequenceStale = false;
    this.counters.sequenceResyncs += 1;
  }

  /** Sends everything queued in one transaction, unless one is already on its way. */
  private async pump(): Promise<void> {
    const builder = this.builder;
    const account = this.account;
    if (builder === null || account === null || this.inFlight !== null || this.processed === 0) return;
    if (this.sequenceStale) await this.resyncSequence();
    // Cancels of orders still being placed wait for their ids; those of orders gone are answered.
    const cancels: TrackedOrder[] = [];
    for (const order of this.queuedCancels) {
      if (order.state === 'sending') continue;
      this.queuedCancels.delete(order);
      if (order.state === 'open') cancels.push(order);
      else this.emit({ type: 'cancel-rejected', clientId: order.clientId, symbol: order.market.info.symbol, reason: 'order already done', tsNs: this.clock.nowNs() });
    }
    const places = this.queuedPlaces.splice(0);
    const waiters = this.cancelWaiters.splice(0);
    if (cancels.length + places.length === 0) {
      for (const resolve of waiters) resolve();
      return;
    }
    const nowNs = this.clock.nowNs();
    let cost;
    try {
      cost = builder.cost(cancels.length, places.length);
    } catch (err) {
      if (!(err instanceof FeeCapError)) throw err;
      this.count('feeCapped', 'fee-cap', err);
      this.undo({ places, cancels, waiters }, err.message, nowNs);
      return;
    }
    const specs = orderSpecs(cancels, places);
    for (const o of places) o.state = 'sending';
    const timeoutHeight = this.processed + this.options.config.txTimeoutBlocks;
    for (let attempt = 0; ; attempt++) {
      const tx = await builder.sign(specs.cancels, specs.places, { ...account, sequence: this.account?.sequence ?? account.sequence, timeoutHeight }, cost);
      const sequence = this.account?.sequence ?? account.sequence;
      const outAtMs = performance.now();
      let result: { code: number; log: string };
      try {
        result = await this.chain.broadcastSync(tx.bytes);
      } catch (err) {
        // Unknown whether it reached the mempool: follow it by hash until its timeout height.
        this.count('processingErrors', 'broadcast', err);
        result = { code: 0, log: '' };
      }
      if (result.code === 0) {
        this.inFlight = { tx, sequence, places, cancels, timeoutHeight, sentAtMs: this.clock.nowMs(), waiters };
        if (this.account !== null) this.account.sequence = sequence + 1;
        this.counters.txSent += 1;
        this.broadcastLatency(outAtMs, places);
        return;
      }
      const expected = expectedSequence(result);
      if (expected !== null && attempt < MAX_RESIGNS && this.account !== null) {
        // CheckTx refused it: it never reached the mempool, so re-signing cannot place twice.
        this.account.sequence = expected;
        this.counters.sequenceResyncs += 1;
        continue;
      }
      this.counters.txRejectedAtCheck += 1;
      this.logOnce?.(`sei-check-${result.code}`, { code: result.code, log: result.log }, 'sei: order transaction refused by the node');
      this.undo({ places, cancels, waiters }, `refused by the node (code ${result.code}): ${result.log}`, nowNs);
      return;
    }
  }

  /** Event in → these signed bytes out: from the block that released them, its data, and the earliest decision in them. */
  private broadcastLatency(outAtMs: number, places: readonly TrackedOrder[]): void {
    const report = this.listener?.onLatency;
    if (report === undefined) return;
    const released = this.released;
    this.released = null;
    if (released !== null) {
      if (released.blockAtMs !== null) report({ kind: 'broadcast', from: 'block', seconds: (outAtMs - released.blockAtMs) / 1000 });
      report({ kind: 'broadcast', from: 'data', seconds: (outAtMs - released.dataAtMs) / 1000 });
    }
    const decided = Math.min(...places.map((o) => o.requested?.atMs ?? Infinity));
    if (decided !== Infinity) report({ kind: 'broadcast', from: 'decision', seconds: (outAtMs - decided) / 1000 });
  }

  // ---- fills ---------------------------------------------------------------------------------

  private fill(market: SeiMarket, orderId: bigint, quantity: string, price: string, direction: string, h: number, timeNs: bigint): void {
    let lots: number;
    let ticks: number;
    try {
      lots = market.spec.sizeToLots(quantity);
      ticks = market.settlementTicks(price);
    } catch (err) {
      this.count('badSettlements', 'settlement', err);
      this.listener?.onBadInput?.({ source: 'sei', reason: 'bad-settlement', symbol: market.info.symbol, detail: `block ${h}, order ${orderId}: ${(err as Error).message}` });
      return;
    }
    let order = this.orders.byOrderId(orderId);
    if (order === undefined) {
      // Ours but not from this process (placed before a restart, or by another client).
      order = this.adopt(market, orderId, direction === 'Long' ? 'buy' : 'sell', ticks, lots, h);
    }
    order.filled += lots;
    const leaves = Math.max(0, order.size - order.filled);
    if (leaves === 0) this.orders.done(order);
    this.emit({
      type: 'fill',
      fill: {
        clientId: order.clientId, symbol: market.info.symbol, side: order.side, price: ticks, size: lots, fee: 0n,
        liquidity: order.placedHeight < h ? 'maker' : 'taker', leaves, tsNs: timeNs,
      },
    });
  }

  private adopt(market: SeiMarket, orderId: bigint, side: Side, price: number, size: number, height: number): TrackedOrder {
    const order: TrackedOrder = {
      clientId: `sei-${orderId}`, market, side, price, size, filled: 0, state: 'open', orderId, placedHeight: height, cancelling: false,
    };
    this.orders.add(order);
    return order;
  }

  // ---- requests ------------------------------------------------------------------------------

  /** Queues the batch and sends it at once unless our previous transaction is not in a block yet. */
  async submit(batch: OrderBatch): Promise<void> {
    const nowNs = this.clock.nowNs();
    if (this.builder === null) {
      for (const p of batch.places) this.emit({ type: 'rejected', clientId: p.clientId, symbol: p.symbol, reason: 'observe mode: no signing key', tsNs: nowNs });
      return;
    }
    const atMs = performance.now();
    for (const c of batch.cancels) this.requestCancel(c, nowNs);
    for (const p of batch.places) this.requestPlace(p, nowNs, { atMs, height: this.processed });
    this.kick();
    await this.processing;
  }

  private requestCancel(c: CancelRequest, nowNs: bigint): void {
    const order = this.orders.get(c.clientId);
    if (order === undefined || order.market.info.symbol !== c.symbol) {
      this.emit({ type: 'cancel-rejected', clientId: c.clientId, symbol: c.symbol, reason: 'unknown order', tsNs: nowNs });
      return;
    }
    if (order.state === 'queued') {
      // Never sent: it simply is not sent.
      this.queuedPlaces.splice(this.queuedPlaces.indexOf(order), 1);
      this.orders.done(order);
      this.emit({ type: 'cancelled', clientId: c.clientId, symbol: c.symbol, reason: 'requested', tsNs: nowNs });
      return;
    }
    order.cancelling = true;
    this.queuedCancels.add(order); // an order still 'sending' is cancelled once its id is known
  }

  private requestPlace(p: PlaceRequest, nowNs: bigint, requested: NonNullable<TrackedOrder['requested']>): void {
    const market = this.bySymbol.get(p.symbol);
    const reject = (reason: string) => this.emit({ type: 'rejected', clientId: p.clientId, symbol: p.symbol, reason, tsNs: nowNs });
    if (market === undefined) return reject(`unknown market ${p.symbol}`);
    if (this.orders.get(p.clientId) !== undefined) return reject('duplicate client id');
    if (!Number.isSafeInteger(p.price) || p.price <= 0 || !Number.isSafeInteger(p.size) || p.size < market.info.minSizeLots) {
      return reject(`price ${p.price} ticks / size ${p.size} lots is not a valid order`);
    }
    // Sei has no post-only orders: refuse one that would cross the last book we saw.
    const crosses = p.side === 'buy' ? market.bestAsk !== null && p.price >= market.bestAsk : market.bestBid !== null && p.price <= market.bestBid;
    if (p.postOnly && crosses) return reject('post-only: would take liquidity');
    const order: TrackedOrder = {
      clientId: p.clientId, market, side: p.side, price: p.price, size: p.size, filled: 0, state: 'queued', orderId: null,
      placedHeight: 0, cancelling: false, requested,
    };
    this.orders.add(order);
    this.queuedPlaces.push(order);
  }

  /**
   * Resolves once the cancel transaction is in a block. An order still being placed when it is
   * called is cancelled in a further round, once its id is known (at most a few rounds).
   */
  async cancelAll(symbol?: string): Promise<void> {
    if (this.builder === null) return;
    await this.reconcile();
    const mine = (o: TrackedOrder) => symbol === undefined || o.market.info.symbol === symbol;
    for (let round = 0; round < 3 && this.orders.live().some(mine); round++) {
      const nowNs = this.clock.nowNs();
      for (const order of this.orders.live().filter(mine)) {
        if (!order.cancelling) this.requestCancel({ clientId: order.clientId, symbol: order.market.info.symbol }, nowNs);
      }
      const done = new Promise<void>((resolve) => this.cancelWaiters.push(resolve));
      this.kick();
      await done;
    }
  }

  async openOrders(symbol: string): Promise<readonly VenueOrder[]> {
    const market = this.bySymbol.get(symbol);
    const address = this.address;
    if (market === undefined || address === null) return [];
    const chainOrders = await this.chain.orders(this.options.config.contractAddr, address);
    return chainOrders.filter((o) => o.priceDenom === market.pair.priceDenom && o.assetDenom === market.pair.assetDenom).map((o) => {
      const id = o.id ?? 0n;
      const known = this.orders.byOrderId(id);
      const remaining = market.spec.sizeToLots(o.quantity);
      return {
        clientId: known?.clientId ?? `sei-${id}`, symbol, side: sideOf(o), price: market.spec.priceToTicks(o.price),
        size: known?.size ?? remaining, filled: known === undefined ? 0 : known.size - remaining,
      };
    });
  }

  /**
   * Makes our order table agree with the chain's open orders: orders of ours we do not know are
   * adopted (`sei-<id>`), orders we think open that the chain does not have are done.
   */
  private async reconcile(): Promise<void> {
    const address = this.address;
    if (address === null) return;
    const onChain = await this.chain.orders(this.options.config.contractAddr, address);
    const ids = new Set<bigint>();
    for (const o of onChain) {
      const market = this.byPair.get(pairKey(o.priceDenom, o.assetDenom));
      const id = o.id ?? 0n;
      ids.add(id);
      if (market === undefined || this.orders.byOrderId(id) !== undefined) continue;
      this.adopt(market, id, sideOf(o), market.spec.priceToTicks(o.price), market.spec.sizeToLots(o.quantity), 0);
    }
    const nowNs = this.clock.nowNs();
    for (const order of this.orders.live()) {
      if (order.state !== 'open' || order.orderId === null || ids.has(order.orderId)) continue;
      this.counters.unreconciled += 1;
      this.orders.done(order);
      this.emit({ type: 'cancelled', clientId: order.clientId, symbol: order.market.info.symbol, reason: 'not on chain at reconciliation', tsNs: nowNs });
    }
  }

  private emit(event: OrderEvent): void {
    this.listener?.onOrderEvent(event);
  }

  private count(counter: keyof SeiCounters, key: string, err: unknown): void {
    this.counters[counter] += 1;
    this.logOnce?.(`sei-${key}`, { error: (err as Error).message }, `sei: ${key} error`);
  }

  /** Drops the websocket now, as a fault would (tests, and an operator's "reconnect"). */
  dropConnection(reason = 'dropped on request'): void {
    this.feed.drop(reason);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.feed.stop();
    await this.processing;
    for (const c of this.chains.values()) c.disconnect();
    this.listener?.onConnection('disconnected', 'closed');
    this.listener = null;
  }
}

function pairKey(priceDenom: string, assetDenom: string): string {
  return `${priceDenom}/${assetDenom}`;
}

function sideOf(o: Order): Side {
  return (o.positionDirection ?? LONG) === LONG ? 'buy' : 'sell';
}

/** Order ids of the MsgPlaceOrders in a transaction result (TxMsgData.data; msgResponses is empty on Sei). */
export function placedIds(outcome: TxOutcome): bigint[] {
  const data = TxMsgData.decode(outcome.data);
  const out: bigint[] = [];
  for (const d of data.data) {
    if (d.msgType === PLACE_ORDERS_URL) out.push(...dex.MsgPlaceOrdersResponse.decode(d.data).orderIds);
  }
  for (const r of data.msgResponses) {
    if (r.typeUrl === `${PLACE_ORDERS_URL}Response`) out.push(...dex.MsgPlaceOrdersResponse.decode(r.value).orderIds);
  }
  return out;
}

/** The first endpoint whose RPC answers (the websocket is the feed's to find). */
async function firstAnswering(endpoints: readonly Endpoint[], timeoutMs: number): Promise<SeiChain> {
  const errors: string[] = [];
  for (const e of endpoints) {
    try {
      return await SeiChain.connect(e.rpc, { timeoutMs });
    } catch (err) {
      errors.push(`${e.rpc}: ${(err as Error).message}`);
    }
  }
  throw new Error(`no Sei RPC endpoint answered: ${errors.join('; ')}`);
}
