// `flashmm run --venue sei …`: the command line's Sei settings applied over the loaded config.
// `--preset` names a known chain (src/venues/sei/presets.ts), `--rpc` (repeatable: the first is
// the primary, the rest fail-over endpoints), `--chain-id`, `--contract`, and
// `--market SYMBOL=<priceDenom>/<assetDenom>` (the market to trade and its pair; tick and lot come
// from the chain). Explicit values beat the config file, which beats the preset.
import { describeIssue, renderValue } from '../config/issues.js';
import { ConfigError } from '../config/load.js';
import { type Config, DEFAULT_MARKET, seiVenueSchema, withSeiPreset } from '../config/schema.js';

export interface SeiRunOptions {
  readonly venue?: string;
  readonly preset?: string;
  readonly rpc?: readonly string[];
  readonly chainId?: string;
  readonly contract?: string;
  /** `SYMBOL=<priceDenom>/<assetDenom>`, or a configured symbol. */
  readonly market?: string;
  readonly observe?: boolean;
  readonly key?: string;
}

const SOURCE = 'command line';
const PAIR = /^([^=\s]+)=([^/\s]+)\/([^/\s]+)$/;

/** Whether `--market` names a Sei pair (`SYMBOL=price/asset`) rather than a configured market. */
export function isSeiMarket(market: string | undefined): boolean {
  return market !== undefined && market.includes('=');
}

/** The config with the Sei options applied; unchanged when none is given and the venue is not Sei. */
export function applySeiOptions(config: Config, o: SeiRunOptions): Config {
  if (o.venue !== undefined && o.venue !== 'sei' && o.venue !== 'sim') {
    throw new ConfigError([{ source: '--venue', path: 'venue.kind', reason: `expected sim or sei, got '${o.venue}'` }]);
  }
  const seiFlags = o.preset !== undefined || o.rpc !== undefined || o.chainId !== undefined || o.contract !== undefined || isSeiMarket(o.market);
  if (o.venue === 'sim') {
    if (config.venue.kind !== 'sim') throw new ConfigError([{ source: '--venue', path: 'venue.kind', reason: `the config's venue is '${config.venue.kind}': use a config file whose venue is sim` }]);
    if (seiFlags) throw new ConfigError([{ source: SOURCE, path: 'venue', reason: '--preset, --rpc, --chain-id, --contract and --market SYMBOL=… need --venue sei' }]);
    return config;
  }
  if (o.venue !== 'sei' && config.venue.kind !== 'sei') {
    if (seiFlags || o.observe === true || o.key !== undefined) {
      throw new ConfigError([{ source: SOURCE, path: 'venue.kind', reason: 'Sei options (--rpc, --chain-id, --contract, --observe, --key, …) need --venue sei' }]);
    }
    return config;
  }
  const base = config.venue.kind === 'sei' ? config.venue : { kind: 'sei' as const };
  const pair = o.market === undefined ? null : PAIR.exec(o.market);
  if (isSeiMarket(o.market) && pair === null) {
    throw new ConfigError([{ source: '--market', path: 'venue.pairs', reason: `expected SYMBOL=<priceDenom>/<assetDenom>, got '${o.market}'` }]);
  }
  const [, symbol = '', priceDenom = '', assetDenom = ''] = pair ?? [];
  const raw = {
    ...base,
    ...(o.preset === undefined ? {} : { preset: o.preset }),
    ...(o.rpc === undefined || o.rpc.length === 0 ? {} : { rpcUrl: o.rpc[0], fallbackRpcUrls: o.rpc.slice(1), wsUrl: undefined }),
    ...(o.chainId === undefined ? {} : { chainId: o.chainId }),
    ...(o.contract === undefined ? {} : { contractAddr: o.contract }),
    ...(pair === null ? {} : { pairs: { [symbol]: { priceDenom, assetDenom } } }),
  };
  const input = withSeiPreset(dropUndefined(raw)) as Record<string, unknown>;
  const parsed = seiVenueSchema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.flatMap((issue) => {
      const value = issue.path.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined), input);
      return describeIssue(issue, value).map((d) => {
        const path = [...issue.path, ...d.subPath].join('.');
        return { source: SOURCE, path: `venue.${path}`, reason: hint(path, d.showValue ? `${d.reason}, got ${renderValue(value)}` : d.reason) };
      });
    }));
  }
  const venue = parsed.data;
  const markets = pair === null
    ? config.markets
    : [{ ...(config.markets.find((m) => m.symbol === symbol) ?? { ...DEFAULT_MARKET, symbol }), enabled: true }];
  const missing = markets.filter((m) => m.enabled && venue.pairs[m.symbol] === undefined).map((m) => m.symbol);
  if (missing.length > 0) {
    throw new ConfigError(missing.map((s) => ({ source: SOURCE, path: `venue.pairs.${s}`, reason: `market ${s} needs its pair: --market ${s}=<priceDenom>/<assetDenom>` })));
  }
  return { ...config, venue, markets };
}

function hint(path: string, message: string): string {
  const flag = { rpcUrl: '--rpc <url> or --preset <name>', chainId: '--chain-id <id> or --preset <name>', contractAddr: '--contract <sei1…>' }[path];
  return flag === undefined ? message : `${message} (${flag})`;
}

function dropUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
