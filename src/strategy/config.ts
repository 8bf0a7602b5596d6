// Every quoting parameter with its unit and a default. Prices are ticks, sizes lots, time
// seconds, σ ticks/√s, k 1/tick, A 1/s; q (the models' inventory) is in order sizes:
// q = (inventory − inventoryTargetLots) / orderSizeLots. The defaults suit a liquid market whose
// mid moves about one tick per √s. The σ and A/k estimators are the core's: their defaults and
// their cross-field rules come from it (coreDefaults, validateMarketOptions), none are written here.
import { z } from 'zod';
import { positiveInt } from '../config/fields.js';
import { errorCode, errorMessage } from '../errors.js';
import { coreDefaults, validateMarketOptions } from '../native.js';

const CORE = coreDefaults();

const positive = (what: string) => z.number({ error: `${what} must be a number` }).positive(`${what} must be > 0`);
const nonNegative = (what: string) => z.number({ error: `${what} must be a number` }).min(0, `${what} must be ≥ 0`);

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
});

export type QuotingConfig = z.output<typeof quotingConfigSchema>;
export type QuotingConfigInput = z.input<typeof quotingConfigSchema>;
