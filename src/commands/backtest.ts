// `flashmm backtest <recording>` / `flashmm backtest --generate zi`: the core backtester
// (simulated exchange, queue and latency models) running the core's built-in two-sided quoter
// over a Binance recording or a market the core generates. All the
// numbers come from the core's result JSON; this file only parses options, draws a progress
// bar and formats.
import { Option, type Command } from 'commander';
import { writeFileSync } from 'node:fs';
import type { ResultWithRecords } from '../backtest/report.js';
import { fixed } from '../config/numbers.js';
import { generatedLabel, generatorOptions, type GenerateCliOptions } from '../backtest/generator-options.js';
import { durationMs, feedDelay, integer, market, nonNegativeInt, nonNegativeMs, positiveInt, positiveNumber } from './options.js';
import { runBacktest, type BacktestOptions, type BacktestResultJson, type MarketSpec } from '../native.js';
import { errorMessage } from '../errors.js';

export interface BacktestCliOptions extends Partial<GenerateCliOptions> {
  intervalMs: number;
  mode: 'join' | 'around-mid';
  ticks: number;
  size: number;
  maxPosition: number;
  postOnly: boolean;
  queue: 'risk-averse' | 'power' | 'log';
  queueN: number;
  matching?: 'continuous' | 'sei-block';
  blockTimeMs?: number;
  latencyMs: number;
  responseMs: number;
  makerFeePpm?: number;
  takerFeePpm?: number;
  until?: number;
  json?: boolean;
  records?: boolean;
  report?: string;
  feedDelay?: number | 'auto';
  cache: boolean;
}

/**
 * The result JSON without the records: `to_json_with_records()` is `to_json()` with the
 * record arrays appended after `stats`, so cutting at the top-level `"steps"` array gives the
 * exact bytes of `to_json()` (re-serialising in JS would not: `60.0` becomes `60`).
 */
function withoutRecords(json: string): string {
  const at = json.indexOf(',"steps":[');
  return at < 0 ? json : `${json.slice(0, at)}}`;
}

export function formatSummary(file: string, symbol: string, spec: MarketSpec, r: BacktestResultJson): string {
  const s = r.stats;
  const money = (m: string): string => spec.formatMoney(m);
  const t = s.trading;
  const lots = (n: number): string => `${n} lots (${spec.lotsToSize(n)})`;
  const horizons = s.adverse_selection.map(
    (a) => `${Number(BigInt(a.horizon_ns) / 1_000_000n) / 1000}s ${fixed(a.adverse_ticks, 2)} ticks (${fixed(a.adverse_bps, 3)} bp, ${a.fills} fills)`,
  );
  return [
    `${symbol} backtest of ${file}: ${s.span.duration_s.toFixed(1)} s, ${r.counts.events} events, ${s.span.steps} steps`,
    `model: queue ${r.config.queue_model}, latency ${r.config.latency}, fees maker ${r.config.maker_fee_ppm} / taker ${r.config.taker_fee_ppm} ppm`,
    `P&L net ${money(s.pnl.net)}  realised ${money(s.pnl.realised)}  unrealised ${money(s.pnl.unrealised)}  fees ${money(s.pnl.fees)}`,
    `Sharpe per step ${fixed(s.step_returns.sharpe, 4)} (annualised ${fixed(s.step_returns.sharpe_annualised, 1)}), per ${s.resampled_returns.period_s}s ${fixed(s.resampled_returns.sharpe, 3)}; max drawdown ${money(s.drawdown.max_abs)}`,
    `fills ${t.fills} (buys ${t.bought_lots} lots, sells ${t.sold_lots} lots; maker ${t.maker_fills}, taker ${t.taker_fills}), volume ${lots(t.volume_lots)}, notional ${money(t.volume_notional)}`,
    `orders placed ${r.counts.orders.placed}, amended ${r.counts.orders.amended}, cancelled ${r.counts.orders.cancelled}, rejected ${r.counts.rejected}`,
    `inventory max |${s.inventory.max_abs}| lots, last ${s.inventory.last}, time-weighted |${fixed(s.inventory.time_weighted_abs, 2)}|`,
    `adverse selection ${horizons.join('; ') || '-'}`,
  ].join('\n');
}

/** A progress bar on stderr, redrawn at most ~10 times a second (the core throttles the calls). */
function progressBar(stream: NodeJS.WriteStream): { update: (read: number, total: number) => void; done: () => void } {
  let drawn = false;
  return {
    update(read, total) {
      const width = Math.max(10, Math.min(40, (stream.columns ?? 80) - 30));
      const frac = total > 0 ? Math.min(1, read / total) : 0;
      const full = Math.round(frac * width);
      stream.write(`\rbacktest [${'#'.repeat(full)}${'-'.repeat(width - full)}] ${(frac * 100).toFixed(0).padStart(3)}%`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}

/** runBacktest options of the CLI flags: a recording (`file`) or, with --generate, a generated market. */
function backtestOptions(file: string | undefined, o: BacktestCliOptions): BacktestOptions {
  const generator = generatorOptions({ seed: 1, ...o });
  return {
    // --market with a file: the grid of an hftbacktest .npz (the core refuses it for a recording).
    ...(generator !== undefined ? { generator } : file !== undefined ? { path: file, cache: o.cache, ...o.market } : {}),
    intervalMs: o.intervalMs,
    mode: o.mode,
    ticks: o.ticks,
    sizeLots: o.size,
    limitLots: o.maxPosition,
    postOnly: o.postOnly,
    queue: o.queue,
    queueExponent: o.queueN,
    ...(o.matching === undefined ? {} : { matching: o.matching }),
    ...(o.blockTimeMs === undefined ? {} : { blockTimeMs: o.blockTimeMs }),
    entryLatencyMs: o.latencyMs,
    responseLatencyMs: o.responseMs,
    records: o.records === true || o.report !== undefined,
    ...(o.makerFeePpm === undefined ? {} : { makerFeePpm: o.makerFeePpm }),
    ...(o.takerFeePpm === undefined ? {} : { takerFeePpm: o.takerFeePpm }),
    ...(o.until === undefined ? {} : { endExchangeMs: o.until }),
    ...(o.feedDelay === undefined ? {} : { feedDelay: o.feedDelay }),
  };
}

export function registerBacktest(program: Command): void {
  program
    .command('backtest')
    .description('backtest the built-in two-sided quoter on a Binance recording or a generated market (simulated exchange with queue, latency and fee models)')
    .argument('[recording]', 'recording, e.g. $FLASHMM_DATA_DIR/binance/usdm_btcusdt_20240808.gz (or --generate)')
    .addOption(new Option('--generate <kind>', 'backtest on a generated market instead of a recording (zi: zero-intelligence order flow)').choices(['zi']))
    .option('--duration <time>', 'length of the generated market, e.g. 60s, 500ms, 2m (default 60s)', durationMs)
    .option('--seed <n>', 'seed of the generated market', nonNegativeInt, 1)
    .option('--market <spec>', 'grid of a generated market or an hftbacktest .npz: spot|usdm|coinm:SYMBOL or SYMBOL/tick/lot[/minSize] (default usdm:BTCUSDT; an .npz: from its file name)', market)
    .option('--no-cache', "decode the recording even when a fresh cache (flashmm convert) is beside it")
    .option('--initial-price <price>', 'initial best bid of the generated market (default 60000 on the default market)')
    .option('--feed-delay <ms|auto>', "the quoter sees the book through the feed: a constant latency in ms, or 'auto' (the data's own receive times)", feedDelay)
    .option('--interval-ms <ms>', 'decision interval, ms of exchange time', positiveNumber, 100)
    .addOption(new Option('--mode <mode>', 'quote prices: join the touch, or --ticks around the mid').choices(['join', 'around-mid']).default('join'))
    .option('--ticks <n>', 'distance from the mid in ticks (around-mid)', nonNegativeInt, 1)
    .option('--size <lots>', 'size of each quote, lots', positiveInt, 1)
    .option('--max-position <lots>', 'inventory limit, lots (|inventory| stays within limit + size)', nonNegativeInt, 10)
    .option('--no-post-only', 'send plain limit orders instead of post-only')
    .addOption(new Option('--queue <model>', 'queue-position model').choices(['risk-averse', 'power', 'log']).default('power'))
    .option('--queue-n <n>', 'exponent of the power queue model', positiveNumber, 2)
    .addOption(new Option('--matching <mode>', "matching: continuous, or sei-block (Sei's end-of-block matching; default continuous)").choices(['continuous', 'sei-block']))
    .option('--block-time-ms <ms>', 'block time of sei-block matching, ms (default the local Sei chain\'s)', positiveNumber)
    .option('--latency-ms <ms>', 'order entry latency, ms', nonNegativeMs, 5)
    .option('--response-ms <ms>', 'response (report) latency, ms', nonNegativeMs, 5)
    .option('--maker-fee-ppm <ppm>', "maker fee override, ppm of notional (negative = rebate; default the spec's)", integer)
    .option('--taker-fee-ppm <ppm>', "taker fee override, ppm of notional (default the spec's)", integer)
    .option('--until <exchange-ms>', 'stop at the first event after this exchange time (ms since the epoch)', nonNegativeInt)
    .option('--json', 'print the full result as JSON (byte-identical across runs)')
    .option('--records', 'with --json: include every step, fill, request and report')
    .option('--report <out.html>', 'also write a self-contained HTML report (charts and summary table)')
    .action(async (file: string | undefined, opts: BacktestCliOptions, cmd: Command) => {
      if (opts.records && !opts.json) cmd.error('error: --records needs --json');
      if (opts.generate === undefined && file === undefined) cmd.error('error: give a recording or --generate zi');
      if (opts.generate !== undefined && file !== undefined) cmd.error('error: a recording and --generate are exclusive');
      const generatorOnly = (['duration', 'initialPrice'] as const).find((k) => opts[k] !== undefined);
      if (opts.generate === undefined && (generatorOnly !== undefined || cmd.getOptionValueSource('seed') === 'cli')) {
        cmd.error(`error: --${generatorOnly === 'initialPrice' ? 'initial-price' : (generatorOnly ?? 'seed')} needs --generate`);
      }
      const bar = process.stderr.isTTY ? progressBar(process.stderr) : undefined;
      let out;
      let options: BacktestOptions;
      try {
        options = backtestOptions(file, opts);
        out = runBacktest(options, bar ? (read, total) => bar.update(read, total) : undefined);
      } catch (e) {
        bar?.done();
        // Core errors (bad file, bad option value) carry a clear message; no stack trace.
        console.error(`error: backtest failed: ${errorMessage(e)}`);
        process.exitCode = 2;
        return;
      }
      bar?.done();
      if (out.note !== undefined && out.note !== null) console.error(`note: ${out.note}`);
      const source = options.generator ? generatedLabel(options.generator) : (file ?? '');
      const json = opts.report !== undefined && !opts.records ? withoutRecords(out.json) : out.json;
      if (opts.report !== undefined) {
        try {
          // Imported only for --report: a plain backtest does not pay for loading it.
          const { buildReport, loadUplotAssets } = await import('../backtest/report.js');
          writeFileSync(opts.report, buildReport(JSON.parse(out.json) as ResultWithRecords, out.spec, { source, uplot: loadUplotAssets() }));
        } catch (e) {
          console.error(`error: cannot write the report: ${errorMessage(e)}`);
          process.exitCode = 2;
          return;
        }
      }
      if (opts.json) {
        process.stdout.write(`${json}\n`);
        return;
      }
      console.log(formatSummary(source, out.spec.symbol, out.spec, JSON.parse(json) as BacktestResultJson));
    });
}
