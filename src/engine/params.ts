// Live parameter changes: a patch of the config's strategy and risk sections, merged onto the
// running values and parsed by the config's own schema (the rules `flashmm run` applies at
// start), plus the rules a running daemon adds: an unknown key is refused (the strategy schema
// strips unknown keys silently, which would make a typo look applied), and so is a change to
// the σ and A/k estimators, whose options the core fixed when it built each market's state.
import { configSchema, type Config } from '../config/schema.js';
import { riskLimitsFor, type RiskLimits } from '../risk/limits.js';
import type { MarketInfo } from '../market/types.js';

export interface ParamsPatch {
  readonly strategy?: Record<string, unknown>;
  readonly risk?: Record<string, unknown>;
}

/** The live-changeable sections as running. */
export interface LiveParams {
  readonly strategy: Config['strategy'];
  readonly risk: Config['risk'];
}

export interface ParamProblem {
  /** The key at fault, dotted from the section: `strategy.glft.gamma`. */
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export type CheckedParams =
  | { readonly ok: true; readonly params: LiveParams; readonly limits: ReadonlyMap<string, RiskLimits> }
  | { readonly ok: false; readonly problems: readonly ParamProblem[] };

/** Strategy sections whose options live in the core's market state (fixed when it was built). */
const FIXED_AT_START = ['volatility', 'intensity'] as const;

/** `patch` on `running`, checked as `flashmm run` checks a config, and per market as the risk manager's limits. */
export function checkParams(config: Config, running: LiveParams, patch: ParamsPatch, markets: readonly MarketInfo[]): CheckedParams {
  const candidate = {
    ...config,
    strategy: deepMerge(running.strategy, patch.strategy ?? {}),
    risk: deepMerge(running.risk, patch.risk ?? {}),
  };
  const parsed = configSchema.safeParse(candidate);
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map(problemOf) };
  const problems: ParamProblem[] = [];
  for (const [section, value] of Object.entries(patch)) {
    for (const path of unknownKeys(value, (parsed.data as Record<string, unknown>)[section], [section])) {
      problems.push({ path, message: 'unknown parameter' });
    }
  }
  for (const key of FIXED_AT_START) {
    if (patch.strategy?.[key] !== undefined && JSON.stringify(parsed.data.strategy[key]) !== JSON.stringify(running.strategy[key])) {
      problems.push({ path: ['strategy', key], message: 'the estimator options are fixed at start: change them in the config and restart' });
    }
  }
  const limits = new Map<string, RiskLimits>();
  for (const market of markets) {
    const result = riskLimitsFor(parsed.data.risk, market);
    if (result.ok) limits.set(market.symbol, result.limits);
    else problems.push({ path: ['risk'], message: result.error });
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, params: { strategy: parsed.data.strategy, risk: parsed.data.risk }, limits };
}

/** An unrecognised-key issue names the key itself (and does not quote it in the message: it may be anything). */
function problemOf(issue: { readonly path: readonly PropertyKey[]; readonly message: string; readonly code?: string; readonly keys?: readonly string[] }): ParamProblem {
  if (issue.code === 'unrecognized_keys' && issue.keys?.[0] !== undefined) return { path: [...issue.path, issue.keys[0]], message: 'unknown key' };
  return { path: [...issue.path], message: issue.message };
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Objects merge key by key; lists and scalars replace (the config loader's rule). */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlain(base) || !isPlain(patch)) return patch;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = deepMerge(base[k], v);
  return out;
}

function unknownKeys(patch: unknown, parsed: unknown, at: PropertyKey[]): PropertyKey[][] {
  if (!isPlain(patch)) return [];
  if (!isPlain(parsed)) return [at];
  return Object.entries(patch).flatMap(([k, v]) => (k in parsed ? unknownKeys(v, parsed[k], [...at, k]) : [[...at, k]]));
}
