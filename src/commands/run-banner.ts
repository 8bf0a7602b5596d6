// What `flashmm run` is about to do, in words, from the loaded config: the venue, the markets,
// the quoting, the model, where the API and the metrics are, and how to stop. One text for
// both places a newcomer looks: the first screen of `flashmm run` (`runBanner`, with the
// model file found and the API's actual address) and `flashmm run --help` (`runPlan`, what
// the current configuration would do).
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import { resolveModelPath } from '../engine/model-file.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface RunFacts {
  readonly config: Config;
  /** The model file found for `config.model.path` (null: none found, or the model is off). */
  readonly modelPath: string | null;
  /** The API's address once listening (its port may have been 0 = any), or null when off. */
  readonly apiUrl: string | null;
  /** The config layers applied, lowest first (LoadedConfig.sources). */
  readonly sources?: readonly string[];
}

const bp = (ppm: number): string => `${ppm / 100} bp`;

function venueLine(v: Config['venue']): string {
  if (v.kind === 'sei') return `Sei order book module on chain ${v.chainId} (${v.rpcUrl}); orders are signed transactions`;
  const how = v.replay !== undefined
    ? `driven by the recording ${v.replay.path} at ${v.replay.speed}x`
    : `fed by generated zero-intelligence order flow (seed ${v.generator.seed}, from ${v.generator.initialPrice})`;
  return `simulated exchange in this process, ${how}; latency ${v.latency.entryMs}/${v.latency.responseMs} ms, queue ${v.queueModel.kind}${matchingNote(v)}; no keys, no network`;
}

function matchingNote(v: Config['venue']): string {
  return v.kind === 'sim' && v.matching === 'sei-block' ? `, Sei block matching every ${v.blockTimeMs} ms` : '';
}

function marketLines(config: Config): string[] {
  const on = config.markets.filter((m) => m.enabled);
  return on.map((m) => `${m.symbol}: tick ${m.tickSize}, lot ${m.lotSize}, min ${m.minSizeLots} lots, fees maker ${bp(m.makerFeePpm)} / taker ${bp(m.takerFeePpm)}`);
}

function modelLine(config: Config, modelPath: string | null): string {
  if (!config.model.enabled) return 'off (model.enabled: false): quotes without a forecast';
  if (modelPath === null) return `${config.model.path} not found: quotes without a forecast`;
  return `${modelPath}: its forecast skews and widens the quotes${config.model.reloadOnChange ? ' (reloaded when the file changes)' : ''}`;
}

/** Labelled lines (label, text): the body of the banner and of the help. */
export function runLines(f: RunFacts): [string, string][] {
  const c = f.config;
  const api = c.api.enabled
    ? f.apiUrl === null
      ? [`http://${c.api.host}:${c.api.port === 0 ? '<a free port>' : c.api.port}/status  /health  /metrics (Prometheus)`]
      : [`${f.apiUrl}/status  /health  /metrics (Prometheus)`]
    : ['off (api.enabled: false): no /status, /health or /metrics'];
  const markets = marketLines(c);
  return [
    ['venue', venueLine(c.venue)],
    ...markets.map((m, i): [string, string] => [i === 0 ? 'markets' : '', m]),
    ...(markets.length === 0 ? [['markets', 'none enabled'] as [string, string]] : []),
    ['quoting', `${c.strategy.kind.toUpperCase()}, ${c.strategy.ladder.levels} level${c.strategy.ladder.levels === 1 ? '' : 's'} a side, every ${c.engine.intervalMs} ms (at once on a ${c.engine.largeMoveBps} bp move)`],
    ['model', modelLine(c, f.modelPath)],
    ['api', api[0]!],
    ...(f.sources === undefined ? [] : [['config', f.sources.length === 0 ? 'defaults only' : f.sources.join(' < ')] as [string, string]]),
    ['stop', 'Ctrl-C (or SIGTERM): cancels every order, waits until the venue shows none, exits 0'],
    ['', 'SIGUSR2: kill switch (cancel everything and stop quoting until a restart)'],
  ];
}

function layout(lines: readonly [string, string][]): string {
  return lines.map(([label, text]) => `  ${label.padEnd(8)} ${text}`).join('\n');
}

/** The first screen of `flashmm run`. */
export function runBanner(f: RunFacts & { readonly version: string; readonly coreVersion: string }): string {
  return `FlashMM ${f.version} (core ${f.coreVersion}): market-making daemon starting\n${layout(runLines(f))}\n`;
}

/** `flashmm run --help`'s account of what the current configuration would do. */
export function runPlan(config: Config, sources: readonly string[]): string {
  const modelPath = config.model.enabled ? resolveModelPath(config.model.path, PACKAGE_ROOT) : null;
  return `With the current configuration, flashmm run trades:\n${layout(runLines({ config, modelPath, apiUrl: null, sources }))}\n`;
}
