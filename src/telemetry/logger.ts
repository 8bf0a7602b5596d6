// Structured logs (pino): JSON lines for machines, pino-pretty for a person at a terminal.
// Both write from this thread (no worker transport), so a log line written before
// process.exit() is on its way out when exit happens: pretty output is written synchronously,
// JSON through pino's destination, which pino flushes synchronously on exit.
// Secrets are censored by key wherever they sit in a log object (see REDACT_PATHS) and by
// the Secret class itself, which serialises as "[redacted]".
import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Secret } from '../config/secret.js';

export type { Logger } from 'pino';
export type LogFormat = 'pretty' | 'json' | 'auto';

export const REDACTED = '[redacted]';

// Key names censored at any depth up to four levels. Keys are matched exactly (pino's redaction
// is path-based), so the common spellings are listed.
const SECRET_KEYS = [
  'mnemonic', 'privateKey', 'private_key', 'password', 'passphrase', 'keystorePassword', 'secret',
  'token', 'accessToken', 'apiToken', 'influxToken', 'apiKey', 'api_key', 'authorization',
  'Authorization', 'cookie', 'x-api-key',
];

/** pino redaction paths: each secret key at the top level and under one to three levels. */
export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => {
  const access = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `["${key}"]`;
  const nested = ['*', '*.*', '*.*.*'].map((prefix) => prefix + access);
  // A bracketed key cannot start a path, and pino logs no such top-level key anyway.
  return access.startsWith('.') ? [key, ...nested] : nested;
});

export interface LoggerOptions {
  readonly level?: LevelWithSilent;
  readonly format?: LogFormat;
  /** Where lines go (tests pass a capture stream); default stdout. */
  readonly destination?: DestinationStream;
  /** Whether the destination is a terminal: decides `auto`; default process.stdout.isTTY. */
  readonly isTTY?: boolean;
  /** Fields on every line, e.g. { service: 'flashmm' }. */
  readonly base?: Record<string, unknown>;
  /** Secret values (the mnemonic, the keystore password) scrubbed from every line, wherever they sit. */
  readonly secrets?: readonly Secret[];
}

/** API tokens (src/api/auth.ts) by their shape: scrubbed even from free text such as an audit reason. */
const API_TOKEN = /fmm_[A-Za-z0-9_-]{16,}/g;

/**
 * The last line of defence: redaction by key misses a secret pasted into free text (an audit
 * reason, an error from a library), so every serialised line is scrubbed of known secret values
 * (raw and JSON-escaped) and of anything shaped like an API token.
 */
export function secretScrubber(secrets: readonly Secret[]): (line: string) => string {
  const values = secrets.map((s) => s.reveal()).filter((v) => v.length >= 6)
    .flatMap((v) => [...new Set([JSON.stringify(v).slice(1, -1), v])]);
  return (line) => {
    let out = line.replace(API_TOKEN, `fmm_${REDACTED}`);
    for (const v of values) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  };
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const isTTY = options.isTTY ?? process.stdout.isTTY === true;
  const format = options.format ?? 'auto';
  const usePretty = format === 'pretty' || (format === 'auto' && isTTY);
  const stream: DestinationStream = usePretty
    ? pretty({
        destination: options.destination ?? 1,
        sync: true,
        colorize: isTTY && process.env['NO_COLOR'] === undefined,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
      })
    : options.destination ?? pino.destination({ dest: 1, sync: false });
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? null,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
      hooks: { streamWrite: secretScrubber(options.secrets ?? []) },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
}

/** A child logger for one component (and market): every line says where it came from. */
export function componentLogger(parent: Logger, component: string, market?: string): Logger {
  return parent.child(market === undefined ? { component } : { component, market });
}

/**
 * "Count it, log it once": for bad input that can repeat thousands of times a second.
 * The first occurrence of a key is logged at warn; later ones are only counted (and passed to
 * `onCount`, e.g. a metric). Returns whether this call logged.
 */
export interface LogOnce {
  (key: string, fields: Record<string, unknown>, msg: string): boolean;
  count(key: string): number;
}

export function createLogOnce(logger: Logger, onCount?: (key: string) => void, maxKeys = 1_000): LogOnce {
  const counts = new Map<string, number>();
  let overflowLogged = false;
  const logOnce = (key: string, fields: Record<string, unknown>, msg: string): boolean => {
    onCount?.(key);
    const seen = counts.get(key);
    if (seen !== undefined) {
      counts.set(key, seen + 1);
      return false;
    }
    // Keys may come from outside (a venue's error codes): bound the memory they can take.
    if (counts.size >= maxKeys) {
      if (!overflowLogged) logger.warn({ maxKeys }, 'logOnce: too many distinct keys; new keys are no longer logged');
      overflowLogged = true;
      return false;
    }
    counts.set(key, 1);
    logger.warn({ ...fields, logOnceKey: key }, `${msg} (logged once; repeats are counted)`);
    return true;
  };
  return Object.assign(logOnce, { count: (key: string) => counts.get(key) ?? 0 });
}
