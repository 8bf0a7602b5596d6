// The embedded `sim` venue: the core's simulated exchange (fed by the zero-intelligence market
// generator, or by a recording) advanced on the host's clock by a timer. Market data and
// execution reports come out of one `advance` call per pump, so the host sees the market and our
// fills in the exchange's order. Client ids are strings on our side and numbers in the core.
import { SimVenue as NativeSimVenue, type SimAccount, type SimReport, type SimVenueOptions } from '../../native.js';
import type { Clock } from '../../execution/clock.js';
import type { MarketInfo } from '../../market/types.js';
import type { CancelRequest, OrderBatch, OrderEvent, PlaceRequest, Venue, VenueListener, VenueOrder } from '../venue.js';

export interface SimVenueConfig {
  readonly market: MarketInfo;
  /** Native options (generator, replay, latency, queue); `startNs` and `spec` are filled in. */
  readonly native: Omit<SimVenueOptions, 'startNs' | 'spec' | 'symbol' | 'market'>;
  readonly clock: Clock;
  /** How often the simulated market is advanced to the host's clock, ms (0: only by `pump()`). */
  readonly pumpMs?: number;
}

export class SimVenue implements Venue {
  readonly name = 'sim';
  private readonly native: NativeSimVenue;
  private readonly symbol: string;
  private listener: VenueListener | null = null;
  private timer: NodeJS.Timeout | null = null;
  private nextNumericId = 1;
  private readonly numericOf = new Map<string, number>();
  private readonly clientOf = new Map<number, string>();

  constructor(private readonly config: SimVenueConfig) {
    const m = config.market;
    this.symbol = m.symbol;
    // A replay takes its market from the recording; a generated market needs ours.
    const spec = {
      symbol: m.symbol, tickSize: m.tickSize, lotSize: m.lotSize, minSizeLots: m.minSizeLots,
      makerFeePpm: m.makerFeePpm, takerFeePpm: m.takerFeePpm,
    };
    this.native = new NativeSimVenue({
      ...config.native,
      startNs: config.clock.nowNs(),
      ...(config.native.replayPath === undefined ? { spec } : {}),
    });
  }

  markets(): readonly MarketInfo[] {
    return [this.config.market];
  }

  async connect(listener: VenueListener): Promise<void> {
    this.listener = listener;
    listener.onConnection('connected');
    this.pump();
    const every = this.config.pumpMs ?? 10;
    if (every > 0) this.timer = setInterval(() => this.pump(), every);
  }

  /** Moves the simulated market to now and delivers what happened. Public for tests/benches. */
  pump(): void {
    const listener = this.listener;
    if (listener === null) return;
    const { events, market, reports } = this.native.advance(this.config.clock.nowNs());
    if (events > 0) listener.onMarketData(this.symbol, market);
    for (const r of reports) {
      const event = this.toEvent(r);
      if (event !== null) listener.onOrderEvent(event);
    }
  }

  async submit(batch: OrderBatch): Promise<void> {
    const now = this.config.clock.nowNs();
    const cancels = batch.cancels.filter((c) => this.mine(c)).map((c) => this.numericId(c.clientId));
    const places = batch.places.filter((p) => this.mine(p)).map((p) => ({
      clientId: this.numericId(p.clientId), side: p.side, price: p.price, lots: p.size, postOnly: p.postOnly,
    }));
    this.native.submitBatch(now, cancels, places);
  }

  async cancelAll(symbol?: string): Promise<void> {
    if (symbol !== undefined && symbol !== this.symbol) return;
    this.native.cancelAll(this.config.clock.nowNs());
  }

  async openOrders(symbol: string): Promise<readonly VenueOrder[]> {
    if (symbol !== this.symbol) return [];
    return this.native.openOrders().map((o) => ({
      clientId: this.clientOf.get(o.clientId) ?? `sim-${o.clientId}`,
      symbol, side: o.side, price: o.price, size: o.qty, filled: o.filled,
    }));
  }

  /** The core's venue itself: its recorder (`recordStep`, `statsJson`) for engine backtests. */
  get exchange(): NativeSimVenue {
    return this.native;
  }

  /** The exchange's own booking of our account: the truth tests compare the host with. */
  account(): SimAccount {
    return this.native.account;
  }

  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.listener?.onConnection('disconnected', 'closed');
    this.listener = null;
  }

  private mine(request: PlaceRequest | CancelRequest): boolean {
    return request.symbol === this.symbol;
  }

  private numericId(clientId: string): number {
    let id = this.numericOf.get(clientId);
    if (id === undefined) {
      id = this.nextNumericId++;
      this.numericOf.set(clientId, id);
      this.clientOf.set(id, clientId);
    }
    return id;
  }

  private toEvent(r: SimReport): OrderEvent | null {
    const clientId = this.clientOf.get(r.clientId) ?? `sim-${r.clientId}`;
    const base = { clientId, symbol: this.symbol, tsNs: r.ts };
    switch (r.kind) {
      case 'accepted':
        return { type: 'accepted', ...base };
      case 'rejected':
      case 'cancelled':
      case 'cancel-rejected':
        return { type: r.kind, ...base, reason: r.reason };
      case 'fill':
        return {
          type: 'fill',
          fill: {
            clientId, symbol: this.symbol, side: r.side, price: r.price, size: r.lots, fee: r.fee, liquidity: r.liquidity,
            leaves: r.leaves, tsNs: r.ts,
          },
        };
      case 'amended':
      case 'amend-rejected':
      case 'cancel-all-done':
        return null; // amends are not used by the engine; cancel-all-done is followed by cancels
    }
  }
}
