// Builds the configured venue. `sim` (the embedded default): one simulated exchange per market,
// fed by the market generator, or by a recording (`replay`, the recording's own market). `sei`:
// Sei's on-chain order book (openVenue: it connects, checks the node and reads the pairs first).
import { BinanceReader, type ZiOptions } from '../native.js';
import type { Clock } from '../execution/clock.js';
import type { Config, MarketConfig } from '../config/schema.js';
import type { MarketInfo } from '../market/types.js';
import { CompositeVenue } from './composite.js';
import { openSeiVenue, type SeiOpenOptions } from './sei/open.js';
import { SimVenue } from './sim/sim-venue.js';
import { RemoteSimVenue } from './sim-remote/remote-venue.js';
import { componentLogger, createLogger, type Logger } from '../telemetry/logger.js';
import type { Venue } from './venue.js';

export interface CreatedVenue {
  readonly venue: Venue;
  /** How each market's depth updates chain (the book's sequence rule). */
  readonly sequenceRule: (symbol: string) => string;
}

export interface VenueOptions {
  /**
   * The caller advances the clock and pumps the venue (`SimVenue.pump`): no timer. The exchange
   * records what the statistics need (`flashmm run --speed max`, `flashmm compare`).
   */
  readonly manual?: boolean;
  /** Where a venue with a connection of its own logs (default: nowhere). */
  readonly log?: Logger;
}

/**
 * The venue of `config`, connected where it must be to know its markets: a Sei venue checks the
 * node (version, the dex module, the pairs) and loads its key here; `sim` is `createVenue`.
 */
export async function openVenue(config: Config, clock: Clock, sei: Omit<SeiOpenOptions, 'clock'>): Promise<CreatedVenue> {
  if (config.venue.kind !== 'sei') return createVenue(config, clock, { log: componentLogger(sei.logger, 'venue') });
  const venue = await openSeiVenue(config, { ...sei, clock });
  return { venue, sequenceRule: () => 'strict' }; // one snapshot per block, sequence = height
}

/** The venue of `config`, on `clock` (the simulated venue; a Sei venue needs `openVenue`). */
export function createVenue(config: Config, clock: Clock, options: VenueOptions = {}): CreatedVenue {
  const v = config.venue;
  if (v.kind === 'sim' && v.url !== undefined) {
    const markets = config.markets.filter((m) => m.enabled).map(marketInfo);
    const venue = new RemoteSimVenue({ url: v.url, client: v.client, ...(v.account === undefined ? {} : { account: v.account }), markets, log: options.log ?? createLogger({ level: 'silent' }) });
    return { venue, sequenceRule: () => 'strict' }; // the server's generated markets (checked at connect)
  }
  if (v.kind !== 'sim') {
    throw new Error(`venue '${v.kind}' connects before it knows its markets: open it with openVenue()`);
  }
  const queue = {
    queue: v.queueModel.kind, queueExponent: v.queueModel.exponent,
    ...(v.matching === 'sei-block' ? { matching: v.matching, blockTimeMs: v.blockTimeMs } : {}),
  };
  const manual = options.manual === true ? { pumpMs: 0 } : {};
  const record = options.manual === true ? { record: true } : {};
  const latency = { entryLatencyMs: v.latency.entryMs, responseLatencyMs: v.latency.responseMs };
  if (v.replay !== undefined) {
    const reader = new BinanceReader(v.replay.path);
    const spec = reader.spec;
    const market: MarketInfo = {
      symbol: spec.symbol, tickSize: spec.tickSize, lotSize: spec.lotSize, minSizeLots: spec.minSizeLots,
      makerFeePpm: spec.makerFeePpm, takerFeePpm: spec.takerFeePpm,
    };
    const rule = reader.sequenceRule;
    const venue = new SimVenue({ market, clock, ...manual, native: { replayPath: v.replay.path, speed: v.replay.speed, ...queue, ...latency, ...record } });
    return { venue, sequenceRule: () => rule };
  }
  const enabled = config.markets.filter((m) => m.enabled);
  const venues = enabled.map((m, i) => new SimVenue({
    market: marketInfo(m), clock, ...manual,
    native: {
      initialPrice: v.generator.initialPrice, seed: v.generator.seed + i, ...queue, ...latency, ...record,
      ...(v.generator.ziParams === undefined ? {} : { zi: ziOptions(v.generator.ziParams) }),
    },
  }));
  const venue = venues.length === 1 && venues[0] !== undefined ? venues[0] : new CompositeVenue(venues);
  return { venue, sequenceRule: () => 'strict' }; // the generator numbers its updates contiguously
}

export function marketInfo(m: MarketConfig): MarketInfo {
  return {
    symbol: m.symbol, tickSize: m.tickSize, lotSize: m.lotSize, minSizeLots: m.minSizeLots,
    makerFeePpm: m.makerFeePpm, takerFeePpm: m.takerFeePpm,
  };
}

type ZiConfig = NonNullable<Extract<Config['venue'], { kind: 'sim' }>['generator']['ziParams']>;

/** The config's generator overrides as native options (only the keys that were set). */
function ziOptions(p: ZiConfig): ZiOptions {
  const { warmupSeconds, ...rest } = p;
  const set = Object.entries(rest).filter(([, v]) => v !== undefined);
  return { ...Object.fromEntries(set), ...(warmupSeconds === undefined ? {} : { warmupMs: warmupSeconds * 1000 }) };
}
