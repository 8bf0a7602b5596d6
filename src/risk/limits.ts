// Risk limits per market, in the core's units: lots, and money units of tick × lot × 1e-6 (see
// market/types.ts). The config states money limits as decimal amounts of the quote currency;
// `riskLimitsFor` converts them exactly, rounding toward zero so a limit is never loosened.
import { z } from 'zod';
import { DECIMAL, decimal, positiveInt } from '../config/fields.js';
import type { MarketInfo } from '../market/types.js';
import type { BreakerReason } from './events.js';

export interface RiskLimits {
  readonly maxPositionLots: number;
  /** Worst-case |position| × price, money units. */
  readonly maxNotional: bigint;
  /** Loss since the UTC day's start, money units (> 0). */
  readonly maxDailyLoss: bigint;
  /** Fall from the peak of net P&L, money units (> 0). */
  readonly maxDrawdown: bigint;
  /** Token-bucket refill rate for places, per market. */
  readonly maxOrdersPerSecond: number;
  /** Token-bucket capacity (default: maxOrdersPerSecond). */
  readonly orderBurst: number;
  /** Live orders (open, in flight, being cancelled) per market. */
  readonly maxOpenOrders: number;
  readonly staleBookMs: number;
  readonly disconnectMs: number;
  /** More than this many errors within errorWindowMs trips the error-rate breaker. */
  readonly maxErrors: number;
  readonly errorWindowMs: number;
  /** Conditions whose trip also fires the kill switch. */
  readonly autoKillOn: readonly BreakerReason[];
  /** The account's equity at start, money units: the base of the two rates below (null: not given). */
  readonly capital: bigint | null;
  /** Net P&L since start as a percent of capital at which the kill switch fires (< 0 a loss, > 0 a gain); null: off. */
  readonly killSwitchRate: number | null;
  /** Fall of equity (capital + net P&L) from its peak, percent, that halts the market (latched); null: off. */
  readonly trailingStopPct: number | null;
}

/** A quote-currency amount: the config's exact decimal rule (zero allowed, as before). */
const amount = () => decimal({ positive: false });
const reasons = z.enum(['daily-loss', 'drawdown', 'trailing-stop', 'position-limit', 'stale-book', 'disconnect', 'error-rate', 'manual', 'kill']);

/** The risk section of the config, per market: money in quote-currency decimals. */
export const riskConfigSchema = z.strictObject({
  maxPositionLots: positiveInt('risk.maxPositionLots').default(100),
  /** Worst-case |position| × price, quote currency. */
  maxNotional: amount().default('100'),
  /** Loss since the UTC day began, quote currency. */
  maxDailyLoss: amount().default('10'),
  /** Fall from the equity peak, quote currency. */
  maxDrawdown: amount().default('20'),
  maxOrdersPerSecond: z.number().positive('risk.maxOrdersPerSecond must be > 0').default(10),
  orderBurst: positiveInt('risk.orderBurst').optional(),
  maxOpenOrders: positiveInt('risk.maxOpenOrders').default(20),
  staleBookMs: positiveInt('risk.staleBookMs').default(2_000),
  /** Venue connection lost for this long: halt and cancel everything. */
  disconnectMs: z.number().int().min(0, 'risk.disconnectMs must be ≥ 0').default(5_000),
  maxErrors: positiveInt('risk.maxErrors').default(10),
  errorWindowMs: positiveInt('risk.errorWindowMs').default(10_000),
  autoKillOn: z.array(reasons).default(['daily-loss']),
  /** The account's equity at start, quote currency: the base of killSwitchRate and trailingStopPct. */
  capital: decimal({ positive: true }).optional(),
  /** Hummingbot's kill_switch_rate: the kill switch fires once net P&L since start reaches this percent of capital (-5: a 5 % loss). */
  killSwitchRate: z
    .number({ error: 'risk.killSwitchRate must be a number' })
    .min(-100, 'risk.killSwitchRate must be ≥ -100')
    .max(100, 'risk.killSwitchRate must be ≤ 100')
    .refine((r) => r !== 0, { error: 'risk.killSwitchRate must not be 0' })
    .optional(),
  /** A trailing stop: halt (latched) once equity falls this percent from its peak. */
  trailingStopPct: z.number({ error: 'risk.trailingStopPct must be a number' }).positive('risk.trailingStopPct must be > 0').max(100, 'risk.trailingStopPct must be ≤ 100').optional(),
}).superRefine((c, ctx) => {
  for (const key of ['killSwitchRate', 'trailingStopPct'] as const) {
    if (c[key] !== undefined && c.capital === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `risk.${key} needs risk.capital (the equity its percent is of)` });
  }
});
export type RiskConfig = z.infer<typeof riskConfigSchema>;

export type LimitsResult = { readonly ok: true; readonly limits: RiskLimits } | { readonly ok: false; readonly error: string };

interface Scaled {
  readonly digits: bigint;
  readonly scale: number;
}

function parseDecimal(text: string): Scaled | null {
  if (!DECIMAL.test(text)) return null;
  const [whole = '', fraction = ''] = text.split('.');
  return { digits: BigInt(whole + fraction), scale: fraction.length };
}

/**
 * Quote-currency `amount` in the market's money units: amount / (tickSize × lotSize × 1e-6),
 * rounded toward zero. Null when a decimal does not parse or tick × lot is zero.
 */
export function moneyFromDecimal(amount: string, market: Pick<MarketInfo, 'tickSize' | 'lotSize'>): bigint | null {
  const value = parseDecimal(amount);
  const tick = parseDecimal(market.tickSize);
  const lot = parseDecimal(market.lotSize);
  if (value === null || tick === null || lot === null || tick.digits === 0n || lot.digits === 0n) return null;
  const numerator = value.digits * 1_000_000n * 10n ** BigInt(tick.scale + lot.scale);
  const denominator = tick.digits * lot.digits * 10n ** BigInt(value.scale);
  return numerator / denominator;
}

export function riskLimitsFor(config: RiskConfig, market: MarketInfo): LimitsResult {
  const money = (field: 'maxNotional' | 'maxDailyLoss' | 'maxDrawdown'): bigint | string => {
    const units = moneyFromDecimal(config[field], market);
    return units === null ? `${market.symbol}: risk.${field} ${config[field]} does not convert to money units` : units;
  };
  const capital = config.capital === undefined ? null : moneyFromDecimal(config.capital, market);
  if (config.capital !== undefined && (capital === null || capital <= 0n)) {
    return { ok: false, error: `${market.symbol}: risk.capital ${config.capital} does not convert to money units` };
  }
  const notional = money('maxNotional');
  const dailyLoss = money('maxDailyLoss');
  const drawdown = money('maxDrawdown');
  if (typeof notional === 'string') return { ok: false, error: notional };
  if (typeof dailyLoss === 'string') return { ok: false, error: dailyLoss };
  if (typeof drawdown === 'string') return { ok: false, error: drawdown };
  return {
    ok: true,
    limits: {
      maxPositionLots: config.maxPositionLots,
      maxNotional: notional,
      maxDailyLoss: dailyLoss,
      maxDrawdown: drawdown,
      maxOrdersPerSecond: config.maxOrdersPerSecond,
      orderBurst: config.orderBurst ?? Math.max(1, Math.ceil(config.maxOrdersPerSecond)),
      maxOpenOrders: config.maxOpenOrders,
      staleBookMs: config.staleBookMs,
      disconnectMs: config.disconnectMs,
      maxErrors: config.maxErrors,
      errorWindowMs: config.errorWindowMs,
      autoKillOn: config.autoKillOn,
      capital,
      killSwitchRate: config.killSwitchRate ?? null,
      trailingStopPct: config.trailingStopPct ?? null,
    },
  };
}
