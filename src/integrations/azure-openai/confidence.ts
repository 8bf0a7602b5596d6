// A bounded adjustment of the forecast confidence from Azure OpenAI, kept off the hot path.
// `refresh` (called by the engine without awaiting, at most every `refreshSeconds` per market)
// sends a structured prompt over the market's recent features and the model's forecast and
// caches the answer: a multiplier of the confidence, clamped to 1 ± `maxAdjustment`. `adjust`
// (on the hot path) is a map lookup: it applies the cached multiplier while it is younger
// than `maxAgeSeconds`, else leaves the forecast alone. A failed, late, malformed or stale
// answer changes nothing. Every call is logged with its effect and counted; the adjusted
// forecasts are counted per market.
import { z } from 'zod';
import { Gauge, type Registry } from 'prom-client';
import type { Forecast } from '../../strategy/skew.js';
import { METRIC_PREFIX } from '../../telemetry/metrics.js';
import type { Logger } from '../../telemetry/logger.js';
import { IntegrationError, type IntegrationCalls } from '../outcome.js';
import type { AzureChat } from './chat.js';
import type { AzureOpenAiConfig } from './config.js';

export type ConfidenceConfig = AzureOpenAiConfig['confidence'];

/** What the advice is asked about: the market's recent features by name, and the forecast. */
export interface ConfidenceInputs {
  readonly features: Readonly<Record<string, number>>;
  readonly forecast: Forecast;
  /** The forecast's horizon, ms. */
  readonly horizonMs: number;
}

interface Advice {
  readonly multiplier: number;
  /** When the question was asked: the advice is as old as the features it saw. */
  readonly askedAtMs: number;
}

const ANSWER = z.strictObject({ confidence_multiplier: z.number().finite().positive(), reason: z.string().max(2_000) });

export const CONFIDENCE_SCHEMA = {
  name: 'confidence_adjustment',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['confidence_multiplier', 'reason'],
    properties: {
      confidence_multiplier: { type: 'number', description: 'Multiply the model confidence by this (1 = no change).' },
      reason: { type: 'string', description: 'One sentence.' },
    },
  },
} as const;

const SYSTEM = [
  'You review a short-horizon mid-price forecast of a market-making system.',
  'Given the latest order-book and trade features and the model forecast, answer how much the forecast confidence should be trusted now:',
  'a confidence_multiplier near 1 (below 1 = trust it less, above 1 = more), and one sentence of reason.',
  'Answer only with the JSON object.',
].join(' ');

const MAX_FEATURES = 64;
const round = (x: number): number => (Number.isFinite(x) ? Number(x.toPrecision(6)) : 0);

export interface ConfidenceAdvisorDeps {
  readonly config: ConfidenceConfig;
  /** Built on the first refresh (never when the feature is off). */
  readonly chat: () => AzureChat;
  readonly log: Logger;
  readonly now?: () => number;
  readonly calls?: IntegrationCalls;
}

export class ConfidenceAdvisor {
  private readonly advice = new Map<string, Advice>();
  private readonly lastAskMs = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly adjusted = new Map<string, number>();
  private blockedUntilMs = 0;
  private client: AzureChat | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: ConfidenceAdvisorDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Whether `refresh(symbol)` would ask now (not in flight, not asked recently, not told to wait). */
  due(symbol: string, nowMs = this.now()): boolean {
    const last = this.lastAskMs.get(symbol);
    return (
      !this.inFlight.has(symbol) &&
      nowMs >= this.blockedUntilMs &&
      (last === undefined || nowMs - last >= this.deps.config.refreshSeconds * 1000)
    );
  }

  /** Asks for new advice when due. Never throws; the quote loop must not await it. */
  async refresh(symbol: string, inputs: ConfidenceInputs): Promise<void> {
    const asked = this.now();
    if (!this.due(symbol, asked)) return;
    this.inFlight.add(symbol);
    this.lastAskMs.set(symbol, asked);
    const { config, log } = this.deps;
    const fields = { integration: 'azure-openai', op: 'confidence', market: symbol };
    try {
      this.client ??= this.deps.chat();
      const text = await this.client.complete({
        system: SYSTEM, user: prompt(symbol, inputs), maxTokens: 120, timeoutMs: config.timeoutMs, schema: CONFIDENCE_SCHEMA,
      });
      let answer;
      try {
        answer = ANSWER.parse(JSON.parse(text));
      } catch {
        throw new IntegrationError('invalid-answer', 'the answer is not the requested JSON object');
      }
      const done = this.now();
      if (done - asked > config.maxAgeSeconds * 1000) throw new IntegrationError('invalid-answer', 'the answer came after its maximum age');
      const applied = clamp(answer.confidence_multiplier, 1 - config.maxAdjustment, 1 + config.maxAdjustment);
      this.advice.set(symbol, { multiplier: applied, askedAtMs: asked });
      this.count('ok');
      log.info(
        { ...fields, outcome: 'ok', durationMs: done - asked, suggested: answer.confidence_multiplier, applied, reason: answer.reason.slice(0, 200) },
        'confidence advice received: applied to the forecasts until it is stale',
      );
    } catch (err) {
      const e = err instanceof IntegrationError ? err : new IntegrationError('invalid-answer', err instanceof Error ? err.message : String(err));
      if (e.outcome === 'rate-limited') this.blockedUntilMs = Math.max(this.blockedUntilMs, e.retryAtMs(this.now(), 60_000));
      this.count(e.outcome);
      const previous = this.advice.get(symbol);
      log.warn(
        { ...fields, outcome: e.outcome, status: e.status, reason: e.message, durationMs: this.now() - asked, applied: previous?.multiplier ?? 1 },
        'confidence advice failed: ignored (the last advice holds until it is stale)',
      );
    } finally {
      this.inFlight.delete(symbol);
    }
  }

  /** The multiplier in force for `symbol`: the cached advice while fresh, else 1. */
  multiplier(symbol: string, nowMs: number): number {
    const a = this.advice.get(symbol);
    return a === undefined || nowMs - a.askedAtMs > this.deps.config.maxAgeSeconds * 1000 ? 1 : a.multiplier;
  }

  /** The forecast with its confidence scaled by the multiplier in force (hot path: no I/O). */
  adjust(symbol: string, forecast: Forecast, nowMs: number): Forecast {
    const m = this.multiplier(symbol, nowMs);
    if (m === 1) return forecast;
    this.adjusted.set(symbol, (this.adjusted.get(symbol) ?? 0) + 1);
    return { ...forecast, confidence: clamp(forecast.confidence * m, 0, 1) };
  }

  /** Forecasts adjusted so far, per market. */
  adjustedCount(symbol: string): number {
    return this.adjusted.get(symbol) ?? 0;
  }

  /** `flashmm_confidence_multiplier{market}` and `flashmm_confidence_adjusted_forecasts{market}`, read at scrape time. */
  register(registry: Registry): void {
    const advisor = this;
    new Gauge({
      name: `${METRIC_PREFIX}confidence_multiplier`, help: 'Multiplier of the forecast confidence from Azure OpenAI in force (1 = none).',
      labelNames: ['market'], registers: [registry],
      collect() {
        for (const symbol of advisor.advice.keys()) this.set({ market: symbol }, advisor.multiplier(symbol, advisor.now()));
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}confidence_adjusted_forecasts`, help: 'Forecasts whose confidence the Azure OpenAI advice changed, since start.',
      labelNames: ['market'], registers: [registry],
      collect() {
        for (const [symbol, n] of advisor.adjusted) this.set({ market: symbol }, n);
      },
    });
  }

  private count(outcome: string): void {
    this.deps.calls?.inc({ integration: 'azure-openai', op: 'confidence', outcome });
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** The user message: JSON with the market, the forecast and at most 64 named features. */
export function prompt(symbol: string, inputs: ConfidenceInputs): string {
  const features = Object.fromEntries(Object.entries(inputs.features).slice(0, MAX_FEATURES).map(([k, v]) => [k, round(v)]));
  const f = inputs.forecast;
  return JSON.stringify({
    market: symbol,
    forecast: { horizon_ms: inputs.horizonMs, p_up: round(f.pUp), p_down: round(f.pDown), confidence: round(f.confidence) },
    features,
  });
}
