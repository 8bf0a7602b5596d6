// The venue's markets: symbol → the chain's registered pair (denoms, tick sizes) and the core
// MarketSpec that converts the chain's decimals to ticks and lots exactly. Settlement prices can
// sit half a tick off the grid (two crossing orders settle at their midpoint), so each market also
// has a half-tick spec: fill prices are exact in ticks with halves. A market observed for a
// recording (`flashmm record --venue sei`) can carry its market data on that half-tick grid, so
// every settlement is a public trade at its exact price (on the pair's grid a midpoint is skipped).
import { EventBatchBuilder, MarketSpec } from '../../native.js';
import type { MarketInfo } from '../../market/types.js';
import type { Pair, RegisteredPair } from './chain.js';

export interface SeiMarketConfig extends Pair {
  readonly symbol: string;
}

/** The grid of a market's data: the pair's tick, or half of it (recording only: no orders). */
export type MarketDataGrid = 'pair' | 'half-tick';

export class SeiMarket {
  readonly info: MarketInfo;
  readonly spec: MarketSpec;
  private readonly halfTick: MarketSpec;
  readonly builder: EventBatchBuilder;
  /** Best bid and ask (ticks) of the last snapshot, for post-only checks; null when a side is empty. */
  bestBid: number | null = null;
  bestAsk: number | null = null;

  constructor(readonly config: SeiMarketConfig, registered: RegisteredPair, grid: MarketDataGrid = 'pair') {
    const dataTick = grid === 'pair' ? registered.priceTick : halfOf(registered.priceTick);
    this.info = {
      symbol: config.symbol, tickSize: dataTick, lotSize: registered.quantityTick, minSizeLots: 1,
      // The module charges no trading fee of its own; a contract may (the local one does not).
      makerFeePpm: 0, takerFeePpm: 0,
    };
    this.spec = new MarketSpec({ symbol: config.symbol, tickSize: registered.priceTick, lotSize: registered.quantityTick });
    this.halfTick = new MarketSpec({ symbol: config.symbol, tickSize: halfOf(registered.priceTick), lotSize: registered.quantityTick });
    this.builder = new EventBatchBuilder(grid === 'pair' ? this.spec : this.halfTick);
  }

  get pair(): Pair {
    return { priceDenom: this.config.priceDenom, assetDenom: this.config.assetDenom };
  }

  /** A settlement price in ticks, exact to half a tick; throws when off even that grid. */
  settlementTicks(price: string): number {
    return this.halfTick.priceToTicks(price) / 2;
  }
}

/** Half of a positive decimal string, exactly ("0.0001" → "0.00005"). */
export function halfOf(decimal: string): string {
  const [int = '', frac = ''] = decimal.split('.');
  const scaled = BigInt(int + frac) * 5n; // ×5 then one more decimal place = ÷2
  const digits = scaled.toString().padStart(frac.length + 2, '0');
  const point = digits.length - frac.length - 1;
  return `${digits.slice(0, point)}.${digits.slice(point)}`.replace(/^0+(?=\d)/, '');
}

/** The configured markets, each matched with its registered pair; unknown pairs are an error. */
export function resolveMarkets(configs: readonly SeiMarketConfig[], registered: readonly RegisteredPair[], contract: string, grid: MarketDataGrid = 'pair'): SeiMarket[] {
  return configs.map((c) => {
    const pair = registered.find((p) => p.priceDenom === c.priceDenom && p.assetDenom === c.assetDenom);
    if (pair === undefined) {
      const known = registered.map((p) => `${p.priceDenom}/${p.assetDenom}`).join(', ') || 'none';
      throw new Error(`market ${c.symbol}: pair ${c.priceDenom}/${c.assetDenom} is not registered under contract ${contract} (registered: ${known})`);
    }
    return new SeiMarket(c, pair, grid);
  });
}
