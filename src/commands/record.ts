// `flashmm record`: a venue's market data written to disk in the recording format the readers
// take (gzip lines `<local ns> <json>`, Binance's combined-stream envelope; the writer is the
// core's, replay/record.rs), so a market can be recorded, trained on (`flashmm train --data
// <part>`) and served (`flashmm run` with the model). The configured venue: the simulated one
// (generated market, or a recording replayed with --replay), or the Sei venue (`--venue sei`),
// followed read-only with no key: each block's book as a snapshot (sequence = height) after
// that block's settlements as trades (every account's: GetMatchResult), so parts rotate
// between blocks (record-parts.ts). Parts rotate by size or time; SIGINT/SIGTERM (or
// --duration) closes the open part cleanly.
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../config/load.js';
import type { Clock } from '../execution/clock.js';
import { BinanceReader, MarketSpec, Recorder, type EventBatch, type RecordedBook } from '../native.js';
import { createLogger } from '../telemetry/logger.js';
import { createVenue, openVenue } from '../venues/create.js';
import type { Venue, VenueListener } from '../venues/venue.js';
import { positiveNumber } from './options.js';
import { PART_DEFAULTS, SnapshotParts } from './record-parts.js';
import { runConfig, type RunOptions } from './run.js';

interface RecordCliOptions extends RunOptions {
  readonly outDir: string;
  readonly name?: string;
  readonly maxMb?: number;
  readonly maxMinutes?: number;
  /** Speed of the generated market's clock (a replay has --speed of its own). */
  readonly clockSpeed?: number;
  /** Where to write the stop's summary JSON: reason, events, parts, each market's recorded book. */
  readonly summary?: string;
}

/** Wall time sped up `speed` times from now: a generated market then runs that much faster. */
export function scaledClock(speed: number, start = Date.now()): Clock {
  const nowMs = () => start + (Date.now() - start) * speed;
  return { nowMs, nowNs: () => BigInt(Math.round(nowMs() * 1e3)) * 1000n };
}

/** `YYYYMMDDTHHMMSS` in UTC: a part name that sorts by time. */
function stamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '').slice(0, 15);
}

/** What a market's events are written with: the core's Recorder, or snapshot parts (Sei). */
interface PartWriter {
  writeBatch(batch: EventBatch): void;
  readonly events: number;
  readonly book: RecordedBook;
  finish(): string[];
}

/** The venue to record: the simulated one on the (scaled) wall clock, or the Sei venue with no key. */
async function recordedVenue(config: Config, o: RecordCliOptions): Promise<{ venue: Venue; family: string }> {
  if (config.venue.kind === 'sei') {
    if (o.clockSpeed !== undefined) throw new ConfigError([{ source: '--clock-speed', path: 'venue.kind', reason: 'a chain keeps its own time' }]);
    const logger = createLogger({ level: config.telemetry.logLevel, format: config.telemetry.logFormat, destination: process.stderr, isTTY: process.stderr.isTTY === true });
    // On half the pair's tick: the chain settles crossing orders at the midpoint of their prices.
    const { venue } = await openVenue(config, scaledClock(1), { logger, observe: true, grid: 'half-tick' });
    // Snapshots only: the family's sequencing rule never applies; spot's is the simplest.
    return { venue, family: 'spot' };
  }
  if (o.clockSpeed !== undefined && config.venue.replay !== undefined) {
    throw new ConfigError([{ source: '--clock-speed', path: 'venue.replay', reason: 'a replay has its own --speed' }]);
  }
  const clock = o.clockSpeed === undefined ? scaledClock(1) : scaledClock(o.clockSpeed);
  const { venue } = createVenue(config, clock);
  // The ids' sequencing family: a replayed recording keeps its own; the generator numbers its
  // updates contiguously, which the spot rule reads.
  const family = config.venue.replay !== undefined ? new BinanceReader(config.venue.replay.path).market : 'spot';
  return { venue, family };
}

export async function record(o: RecordCliOptions): Promise<number> {
  const config = runConfig(o);
  const { venue, family } = await recordedVenue(config, o);
  const name = o.name ?? stamp(new Date());
  const recorders = new Map<string, PartWriter>();
  const rotation = {
    ...(o.maxMb === undefined ? {} : { maxBytes: o.maxMb * 2 ** 20 }),
    ...(o.maxMinutes === undefined ? {} : { maxSeconds: o.maxMinutes * 60 }),
  };
  for (const m of venue.markets()) {
    const spec = new MarketSpec({
      symbol: m.symbol, tickSize: m.tickSize, lotSize: m.lotSize, minSizeLots: m.minSizeLots,
      makerFeePpm: m.makerFeePpm, takerFeePpm: m.takerFeePpm,
    });
    recorders.set(m.symbol, config.venue.kind === 'sei'
      ? new SnapshotParts(spec, { dir: o.outDir, name, market: family, ...PART_DEFAULTS, ...rotation })
      : new Recorder(spec, { dir: o.outDir, name, market: family, ...rotation }));
  }
  let failure: Error | null = null;
  let skipped = 0;
  let stop: (reason: string) => void = () => {};
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const listener: VenueListener = {
    onMarketData(symbol, batch) {
      if (failure !== null) return;
      try {
        recorders.get(symbol)?.writeBatch(batch);
      } catch (e) {
        failure = e instanceof Error ? e : new Error(String(e));
        stop('write failed');
      }
    },
    onOrderEvent() {},
    onBadInput(input) {
      skipped += input.count ?? 1;
    },
    onConnection(state, reason) {
      if (state === 'disconnected' && reason !== 'closed') stop(`venue disconnected${reason ? `: ${reason}` : ''}`);
    },
  };
  // Held until every part is closed: a second signal during the stop must not cut a part short.
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  if (o.duration !== undefined) setTimeout(() => stop(`duration ${o.duration}s elapsed`), o.duration * 1000).unref();
  await venue.connect(listener);
  const reason = await stopped;
  await venue.close();
  let events = 0;
  const parts: string[] = [];
  const books: unknown[] = [];
  for (const [symbol, r] of recorders) {
    events += r.events;
    // The book as recorded: replaying every part ends in exactly this (test/record-cli.test.ts).
    books.push({ symbol, ...r.book });
    parts.push(...r.finish());
  }
  if (o.summary !== undefined) writeFileSync(o.summary, `${JSON.stringify({ reason, events, parts, books })}\n`);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  const bad = skipped > 0 ? ` (${skipped} unusable input(s) of the venue skipped)` : '';
  console.error(`stopped (${reason}): ${events} events in ${parts.length} part(s)${bad}`);
  for (const p of parts) console.log(p);
  if (failure !== null) {
    console.error(`error: ${(failure as Error).message}`);
    return 2;
  }
  return 0;
}

export function registerRecord(program: Command): void {
  program
    .command('record')
    .description('record the venue\'s market data in the recording format the readers take (train on it with flashmm train --data); --venue sei follows a chain read-only')
    .requiredOption('--out-dir <dir>', 'directory of the parts (<family>_<symbol>_<name>-<n>.gz, each with <part>.spec.json)')
    .option('--name <name>', 'part name between the symbol and the part number (default: the UTC start time)')
    .option('--config <file>', 'config file (replaces config/<env>.yml and config/local.yml)')
    .option('--env <name>', 'config environment (default FLASHMM_ENV or development)')
    .option('--market <symbol>', 'record only this configured market; on sei SYMBOL=<priceDenom>/<assetDenom>')
    .option('--venue <kind>', 'sim (the default) or sei: a chain\'s native order book, read-only with no key (docs/sei.md)')
    .option('--preset <name>', 'sei: a known chain (local, ...)')
    .option('--rpc <url>', 'sei: CometBFT RPC endpoint; repeat for fail-over endpoints', (url: string, prev: string[] | undefined) => [...(prev ?? []), url])
    .option('--chain-id <id>', 'sei: the chain id the node must serve')
    .option('--contract <address>', 'sei: the dex contract the pairs are registered under')
    .option('--replay <recording>', 'drive the simulated venue with a recording instead of the generator')
    .option('--speed <x>', 'replay speed: 1 = real time', positiveNumber)
    .option('--clock-speed <x>', 'run the generated market this many times faster than wall time', positiveNumber)
    .option('--max-mb <n>', 'start a new part past this many MiB of text (sei: of the compressed part on disk; default 256)', positiveNumber)
    .option('--max-minutes <n>', 'start a new part past this many minutes (default 60)', positiveNumber)
    .option('--duration <seconds>', 'stop by itself after this many seconds', positiveNumber)
    .option('--summary <file>', 'at the stop, write JSON: the reason, events, parts and each market\'s book as recorded (every level)')
    .action(async (opts: RecordCliOptions) => {
      try {
        process.exitCode = await record(opts);
      } catch (e) {
        console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
        process.exitCode = 2;
      }
    });
}
