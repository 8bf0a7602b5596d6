// The per-market calibration of the engine backtests (`flashmm compare`): order size, limits
// and every model's parameters for one recording, in the market's ticks, scaled by one basis
// point of its first trade price (docs/strategies.md explains each choice).
import { BinanceReader } from '../native.js';
import type { QuotingConfigInput } from '../strategy/config.js';
import type { EngineBacktestOptions } from './engine-backtest.js';

// `+baseline`: skewed by the baseline model's forecast (models/logistic.onnx, the logistic
// regression on the imbalances); `+skew`: by the model's (models/default.onnx). Same path.
export const STRATEGIES = ['fixed', 'as', 'glft', 'as+baseline', 'glft+baseline', 'as+skew', 'glft+skew'] as const;
export type StrategyName = (typeof STRATEGIES)[number];
export type QuoterKind = 'fixed' | 'as' | 'glft';
/** Where a strategy's forecast skew comes from. */
export type SkewSource = 'none' | 'baseline' | 'model';

/** A strategy's quoting model and skew source. */
export function strategyParts(s: StrategyName): { readonly kind: QuoterKind; readonly skew: SkewSource } {
  const [kind, skew] = s.split('+') as [QuoterKind, string | undefined];
  return { kind, skew: skew === undefined ? 'none' : skew === 'skew' ? 'model' : 'baseline' };
}

/** Order size per recording (about 100 USD a quote; Binance's USD-M minimum notional is 100 USDT). */
const SIZE_LOTS: Readonly<Record<string, number>> = {
  'spot:BTCUSDT': 1600, 'spot:ETHUSDT': 3700, 'usdm:BTCUSDT': 2, 'usdm:ETHUSDT': 37, 'coinm:BTCUSD_PERP': 1, 'coinm:ETHUSD_PERP': 10,
};
const MAX_INVENTORY_ORDERS = 10;
/** Requote at once on a 5 bp move (the daemon's default is 10): these books move in 1 bp steps. */
export const COMPARE_LARGE_MOVE_BPS = 5;

export interface MarketParams {
  readonly recording: string;
  readonly symbol: string;
  readonly market: string;
  readonly firstTradeTicks: number;
  /** Ticks in one basis point of the first trade price: every price parameter scales with it. */
  readonly ticksPerBps: number;
  readonly sizeLots: number;
  readonly risk: NonNullable<EngineBacktestOptions['risk']>;
  readonly strategies: Readonly<Record<'fixed' | 'as' | 'glft', QuotingConfigInput>>;
}

/** First trade price (ticks) of a recording, read on from `reader`. */
function firstTrade(reader: BinanceReader, path: string): number {
  for (let b = reader.nextBatch(); b !== null; b = reader.nextBatch()) {
    const trade = b.trades()[0];
    if (trade !== undefined) return trade.price;
  }
  throw new Error(`${path}: no trade`);
}

/** Parameters of every model on one recording, in the market's ticks (see docs/strategies.md). */
export function marketParams(path: string): MarketParams {
  const reader = new BinanceReader(path);
  const spec = reader.spec;
  const firstTradeTicks = firstTrade(reader, path);
  // Twelve significant digits: the parameters round-trip through a config file exactly (the
  // loader keeps longer literals as strings), so `flashmm run` can trade the same calibration.
  const sig = (x: number): number => Number(x.toPrecision(12));
  const b = sig(firstTradeTicks * 1e-4);
  const sizeLots = SIZE_LOTS[`${reader.market}:${spec.symbol}`] ?? spec.minSizeLots;
  const maxPositionLots = MAX_INVENTORY_ORDERS * sizeLots;
  const price = firstTradeTicks * Number(spec.tickSize);
  const notional = Math.ceil(2 * maxPositionLots * Number(spec.lotSize) * price);
  const round = (x: number): number => Math.max(1, Math.round(x));
  const common: QuotingConfigInput = {
    reference: 'mid', orderSizeLots: sizeLots, maxInventoryOrders: MAX_INVENTORY_ORDERS,
    volatility: { halfLifeSeconds: 30, priorSigma: b, maxGapSeconds: 30 },
    intensity: {
      windowSeconds: 120, refitSeconds: 10, minTrades: 30, bucketTicks: Math.max(1, sig(b / 4)), maxDistanceTicks: sig(10 * b),
      priorA: 1, priorK: sig(1 / b), minK: sig(0.01 / b), maxK: sig(100 / b),
    },
    skew: { maxSkewTicks: round(b), referenceSigma: b },
    ladder: { levels: 1, sizesLots: [sizeLots], minSpreadTicks: 1, priceBandBps: 200 },
    refresh: { priceTicks: round(0.2 * b) },
  };
  return {
    recording: path, symbol: spec.symbol, market: reader.market, firstTradeTicks, ticksPerBps: b, sizeLots,
    risk: {
      maxPositionLots, maxNotional: String(notional), maxDailyLoss: String(notional), maxDrawdown: String(notional),
      maxOrdersPerSecond: 20, orderBurst: 40, maxOpenOrders: 20,
    },
    strategies: {
      fixed: { ...common, kind: 'fixed', fixed: { halfSpread: 1, halfSpreadUnit: 'bps', skewTicksPerOrder: sig(0.1 * b) } },
      as: { ...common, kind: 'as', as: { gamma: sig(0.1 / b), horizon: 'infinite' } },
      glft: { ...common, kind: 'glft', glft: { gamma: sig(0.1 / b) } },
    },
  };
}
