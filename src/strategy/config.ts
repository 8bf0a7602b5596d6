// Every quoting parameter with its unit and a default. Prices are ticks, sizes lots, time
// seconds, σ ticks/√s, k 1/tick, A 1/s; q (the models' inventory) is in order sizes:
// q = (inventory − target) / orderSizeLots, the target being inventoryTargetLots or the
// inventory-target control's (inventoryTarget.basePct). The defaults suit a liquid market whose
// mid moves about one tick per √s. The σ and A/k estimators are the core's: their defaults and
// their cross-field rules come from it (coreDefaults, validateMarketOptions), none are written here.
import { z } from 'zod';
import { decimal, positiveInt } from '../config/fields.js';
import { errorCode, errorMessage } from '../errors.js';
import { coreDefaults, validateMarketOptions } from '../native.js';

const CORE = coreDefaults();

const positive = (what: string) => z.number({ error: `${what} must be a number` }).positive(`${what} must be > 0`);
const nonNegative = (what: string) => z.number({ error: `${what} must be a number` }).min(0, `${what} must be ≥ 0`);

const wholeLots = (what: string) => z.number({ error: `${what} must be a number` }).int(`${what} must be whole lots`).min(0, `${what} must be ≥ 0`);
const percent = (what: string) => z.number({ error: `${what} must be a number` }).min(0, `${what} must be ≥ 0`).max(100, `${what} must be ≤ 100`);

const UTC_TIME = /^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/;
const timeframeError = "as.executionTimeframe.mode must be 'infinite', 'from-date-to-date' or 'daily-between-times'";
const executionTimeframeSchema = z
  .object({
    /** infinite: always (finite horizon: epoch-aligned sessions); from-date-to-date: one window; daily-between-times: every UTC day. */
    mode: z.enum(['infinite', 'from-date-to-date', 'daily-between-times'], { error: timeframeError }).default('infinite'),
    /** ISO 8601 date-time with a zone (from-date-to-date) or UTC 'HH:MM[:SS]' (daily-between-times). */
    start: z.string().optional(),
    end: z.string().optional(),
  })
  .superRefine((t, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message: `as.executionTimeframe: ${message}` });
    if (t.mode === 'infinite') return;
    if (t.start === undefined || t.end === undefined) return issue(`${t.mode} needs a start and an end`);
    if (t.mode === 'daily-between-times') {
      if (!UTC_TIME.test(t.start) || !UTC_TIME.test(t.end)) return issue("daily times are UTC 'HH:MM' or 'HH:MM:SS'");
      if (t.start === t.end) issue('start and end are the same time');
      return;
    }
    const zoned = /(Z|[+-]\d\d:\d\d)$/;
    const [a, b] = [Date.parse(t.start), Date.parse(t.end)];
    if (!zoned.test(t.start) || !zoned.test(t.end) || Number.isNaN(a) || Number.isNaN(b)) {
      return issue('dates are ISO 8601 with a zone, e.g. 2024-08-08T12:00:00Z');
    }
    if (!(a < b)) issue('start must be before end');
  });

/** A target base-asset share of the account instead of a target position (Hummingbot's inventory_target_base_pct). */
const inventoryTargetSchema = z
  .object({
    /** Share of the account's value held in the base asset, percent; absent: the target is inventoryTargetLots. */
    basePct: percent('inventoryTarget.basePct').optional(),
    /** The account at start: base held (lots) and quote held (quote-currency decimal). */
    baseLots: wholeLots('inventoryTarget.baseLots').default(0),
    quote: decimal({ positive: false }).default('0'),
  })
  .superRefine((t, ctx) => {
    if (t.basePct !== undefined && t.baseLots === 0 && !/[1-9]/.test(t.quote)) {
      ctx.addIssue({ code: 'custom', message: 'inventoryTarget.basePct needs the account: baseLots or quote > 0' });
    }
  });

/** Order sizes lean towards the target (Hummingbot's inventory_skew_enabled, inventory_range_multiplier). */
const inventorySkewSchema = z.object({
  enabled: z.boolean().default(false),
  /** Inventory range around the target, in multiples of the total order size (both sides, every level). */
  rangeMultiplier: positive('inventorySkew.rangeMultiplier').default(1),
});

const hangingOrdersSchema = z.object({
  enabled: z.boolean().default(false),
  /** A hanging order further than this from the mid is cancelled, percent (hanging_orders_cancel_pct). */
  cancelPct: positive('hangingOrders.cancelPct').max(100, 'hangingOrders.cancelPct must be ≤ 100').default(10),
});

const filledOrderDelaySchema = z.object({
  /**
   * No new order this long after a fill, seconds (filled_order_delay; 0: off). Off by default,
   * unlike Hummingbot's 60 s (docs/controls.md): its quotes refresh every 30 s, ours every tick.
   */
  seconds: nonNegative('filledOrderDelay.seconds').default(0),
  /** 'both' sides wait (Hummingbot), or only the side that 'filled'. */
  sides: z.enum(['both', 'filled'], { error: "filledOrderDelay.sides must be 'both' or 'filled'" }).default('both'),
});

const pingPongSchema = z.object({ enabled: z.boolean().default(false) });

const orderOptimizationSchema = z.object({
  enabled: z.boolean().default(false),
  /** Lots of others' liquidity to look through before quoting one tick behind it (bid/ask_order_optimization_depth). */
  bidDepthLots: wholeLots('orderOptimization.bidDepthLots').default(0),
  askDepthLots: wholeLots('orderOptimization.askDepthLots').default(0),
});

const movingPriceBandSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** Ceiling and floor as percent offsets of the mid at anchoring (price_ceiling_pct, price_floor_pct). */
    ceilingPct: z.number({ error: 'movingPriceBand.ceilingPct must be a number' }).default(1),
    floorPct: z.number({ error: 'movingPriceBand.floorPct must be a number' }).min(-100, 'movingPriceBand.floorPct must be ≥ -100').default(-1),
    /** Re-anchor every this many seconds (price_band_refresh_time). */
    refreshSeconds: positive('movingPriceBand.refreshSeconds').default(86_400),
  })
  .refine((b) => b.floorPct < b.ceilingPct, { error: 'movingPriceBand.floorPct must be below ceilingPct' });

const fixedSchema = z.object({
  halfSpread: positive('fixed.halfSpread').default(2),
  halfSpreadUnit: z.enum(['ticks', 'bps'], { error: "fixed.halfSpreadUnit must be 'ticks' or 'bps'" }).default('ticks'),
  /** Reference shift per order size of inventory deviation, ticks. */
  skewTicksPerOrder: nonNegative('fixed.skewTicksPerOrder').default(0.5),
});

const asSchema = z.object({
  gamma: positive('as.gamma (risk aversion, 1/tick)').default(0.1),
  /** 'finite': τ = time left in the current session; 'infinite': AS section 2.4 stationary quotes. */
  horizon: z.enum(['finite', 'infinite'], { error: "as.horizon must be 'finite' or 'infinite'" }).default('infinite'),
  /** Session length T; sessions are aligned to multiples of T since the Unix epoch (86400 = UTC days). */
  sessionSeconds: positive('as.sessionSeconds').default(86_400),
  /** When AS quotes and what its finite horizon ends at (controls/timeframe.ts; Hummingbot's execution_timeframe_mode). */
  executionTimeframe: executionTimeframeSchema.prefault({}),
});

const glftSchema = z.object({
  gamma: positive('glft.gamma (risk aversion, 1/tick)').default(0.1),
});

const volatilitySchema = z.object({
  halfLifeSeconds: positive('volatility.halfLifeSeconds').default(CORE.volatility.halfLifeSeconds),
  minSampleSeconds: nonNegative('volatility.minSampleSeconds').default(CORE.volatility.minSampleSeconds),
  maxGapSeconds: positive('volatility.maxGapSeconds').default(CORE.volatility.maxGapSeconds),
  priorSigma: positive('volatility.priorSigma (ticks/√s)').default(CORE.volatility.priorSigma),
  warmupSeconds: nonNegative('volatility.warmupSeconds').optional(),
});

const I = CORE.intensity;
const intensitySchema = z
  .object({
    windowSeconds: positive('intensity.windowSeconds').default(I.windowSeconds),
    refitSeconds: nonNegative('intensity.refitSeconds').default(I.refitSeconds),
    minTrades: positiveInt('intensity.minTrades').default(I.minTrades),
    minBuckets: z.number().int().min(2, 'intensity.minBuckets must be ≥ 2 (a line needs two points)').default(I.minBuckets),
    bucketTicks: positive('intensity.bucketTicks').default(I.bucketTicks),
    maxDistanceTicks: positive('intensity.maxDistanceTicks').default(I.maxDistanceTicks),
    priorA: positive('intensity.priorA (1/s)').default(I.priorA),
    priorK: positive('intensity.priorK (1/tick)').default(I.priorK),
    minK: positive('intensity.minK').default(I.minK),
    maxK: positive('intensity.maxK').default(I.maxK),
  })
  .superRefine((c, ctx) => {
    // The core's own check of the estimator's options (the rule across minK, priorK, maxK).
    try {
      validateMarketOptions({ intensity: intensityOptions(c) });
    } catch (err) {
      if (errorCode(err) !== 'INVALID_OPTION') throw err;
      ctx.addIssue({ code: 'custom', message: errorMessage(err) });
    }
  });

/** The config's intensity section as the core's estimator options. */
export function intensityOptions(c: { readonly priorA: number; readonly priorK: number } & Record<string, number>) {
  const { priorA, priorK, ...rest } = c;
  return { ...rest, prior: { A: priorA, k: priorK } };
}

const skewSchema = z.object({
  maxSkewTicks: nonNegative('skew.maxSkewTicks').default(2),
  confidenceWeight: nonNegative('skew.confidenceWeight').default(0.5),
  volatilityWeight: nonNegative('skew.volatilityWeight').default(0.5),
  referenceSigma: positive('skew.referenceSigma (ticks/√s)').default(1),
  maxSpreadMultiplier: z.number().min(1, 'skew.maxSpreadMultiplier must be ≥ 1').default(3),
});

const ladderSchema = z.object({
  levels: positiveInt('ladder.levels').default(1),
  levelStepTicks: positiveInt('ladder.levelStepTicks').default(1),
  sizesLots: z
    .array(z.number().int('ladder.sizesLots must be whole lots').min(0, 'ladder.sizesLots must be ≥ 0'))
    .min(1, 'ladder.sizesLots needs at least one size')
    .refine((sizes) => sizes.some((s) => s > 0), { error: 'ladder.sizesLots needs a size > 0' })
    .default([1]),
  minSpreadTicks: positiveInt('ladder.minSpreadTicks').default(1),
  priceBandBps: positive('ladder.priceBandBps').default(200),
  allowCross: z.boolean().default(false),
});

const refreshSchema = z.object({
  priceTicks: nonNegative('refresh.priceTicks').default(1),
  sizeFraction: nonNegative('refresh.sizeFraction').default(0),
  /** Replace every resting order once one is older than this, tolerance or not (Hummingbot's max_order_age, on by default there). */
  maxOrderAgeSeconds: positive('refresh.maxOrderAgeSeconds').default(1800),
});

export const quotingConfigSchema = z.object({
  kind: z.enum(['fixed', 'as', 'glft'], { error: "strategy.kind must be 'fixed', 'as' or 'glft'" }).default('glft'),
  /** The price the models quote around, before the forecast skew. */
  reference: z.enum(['mid', 'micro'], { error: "strategy.reference must be 'mid' or 'micro'" }).default('mid'),
  /** The models' unit of inventory (their order size), lots. */
  orderSizeLots: positiveInt('strategy.orderSizeLots').default(1),
  inventoryTargetLots: z.number().int('strategy.inventoryTargetLots must be whole lots').default(0),
  /** The models' inventory bound Q, in order sizes: no bid at q ≥ Q, no ask at q ≤ −Q. */
  maxInventoryOrders: positive('strategy.maxInventoryOrders').default(10),
  fixed: fixedSchema.prefault({}),
  as: asSchema.prefault({}),
  glft: glftSchema.prefault({}),
  volatility: volatilitySchema.prefault({}),
  intensity: intensitySchema.prefault({}),
  skew: skewSchema.prefault({}),
  ladder: ladderSchema.prefault({}),
  refresh: refreshSchema.prefault({}),
  // The controls (src/strategy/controls/, docs/controls.md), Hummingbot's names in the comments.
  inventoryTarget: inventoryTargetSchema.prefault({}),
  inventorySkew: inventorySkewSchema.prefault({}),
  hangingOrders: hangingOrdersSchema.prefault({}),
  filledOrderDelay: filledOrderDelaySchema.prefault({}),
  pingPong: pingPongSchema.prefault({}),
  orderOptimization: orderOptimizationSchema.prefault({}),
  movingPriceBand: movingPriceBandSchema.prefault({}),
});

export type QuotingConfig = z.output<typeof quotingConfigSchema>;
export type QuotingConfigInput = z.input<typeof quotingConfigSchema>;
