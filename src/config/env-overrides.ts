// FLASHMM_* environment overrides. A variable whose name contains a double underscore is a
// config key: `FLASHMM_ENGINE__INTERVAL_MS=100` sets engine.intervalMs to 100. `__` separates
// levels, each level is SCREAMING_SNAKE of the camelCase key, a number is a list index
// (`FLASHMM_MARKETS__0__ENABLED=false`), and values are parsed as YAML (so 100 is a number,
// false a boolean, "0.0001" stays a string). Variables with single underscores only
// (FLASHMM_ENV, FLASHMM_DATA_DIR, the secrets) are settings of their own, never config keys.
import { parse } from 'yaml';

export type KeyPath = readonly (string | number)[];

export interface EnvOverride {
  readonly variable: string;
  readonly path: KeyPath;
  readonly value: unknown;
}

const PREFIX = 'FLASHMM_';

function camel(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * A number written with more than 15 significant digits cannot survive conversion to a
 * double, so it is kept as its text: a decimal field takes it exactly, a number field rejects
 * it visibly, and nothing is rounded in silence. Used for files and variables alike.
 */
export function keepExact(source: string, value: number): number | string {
  const text = source.trim();
  if (!/^[+-]?\d+(\.\d+)?$/.test(text)) return value;
  const digits = text.replace(/^[+-]/, '').replace(/(\.\d*?)0+$/, '$1').replace('.', '').replace(/^0+/, '');
  return digits.length > 15 ? text : value;
}

function scalar(text: string): unknown {
  try {
    const value: unknown = parse(text);
    return typeof value === 'number' ? keepExact(text, value) : value;
  } catch {
    // Not valid YAML (e.g. an unbalanced quote): the text itself, for the schema to judge.
    return text;
  }
}

/** The config overrides in `envVars`, sorted by variable name so the result is deterministic. */
export function envOverrides(envVars: NodeJS.ProcessEnv): EnvOverride[] {
  const out: EnvOverride[] = [];
  for (const [variable, text] of Object.entries(envVars)) {
    if (!variable.startsWith(PREFIX) || !variable.includes('__') || text === undefined) continue;
    const path = variable
      .slice(PREFIX.length)
      .split('__')
      .map((s) => (/^\d+$/.test(s) ? Number(s) : camel(s)));
    out.push({ variable, path, value: scalar(text) });
  }
  return out.sort((a, b) => (a.variable < b.variable ? -1 : 1));
}
