// `flashmm sweep <recording> --grid "size=1,2;ticks=1,2,3"`: the backtest of
// `flashmm backtest` over the cartesian product of a parameter grid, the points run in
// parallel worker threads (src/backtest/sweep.ts). Prints a table in grid order, or --json.
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { gridOption, gridPoints, parseGrid, runSweep, type GridAxis, type PointOutcome } from '../backtest/sweep.js';
import { fixed } from '../config/numbers.js';
import type { BacktestOptions } from '../native.js';
import { integer, nonNegativeInt, nonNegativeMs, positiveInt, positiveNumber } from './options.js';
import { errorMessage } from '../errors.js';

interface SweepCliOptions {
  grid: string;
  workers: number;
  json?: boolean;
  intervalMs?: number;
  mode?: string;
  ticks?: number;
  size?: number;
  maxPosition?: number;
  postOnly: boolean;
  queue?: string;
  queueN?: number;
  latencyMs?: number;
  responseMs?: number;
  makerFeePpm?: number;
  takerFeePpm?: number;
  until?: number;
}

/** Fixed option (CLI attribute) → the runBacktest option it sets. */
const FIXED: [keyof SweepCliOptions, keyof BacktestOptions, string][] = [
  ['intervalMs', 'intervalMs', '--interval-ms'],
  ['mode', 'mode', '--mode'],
  ['ticks', 'ticks', '--ticks'],
  ['size', 'sizeLots', '--size'],
  ['maxPosition', 'limitLots', '--max-position'],
  ['postOnly', 'postOnly', '--no-post-only'],
  ['queue', 'queue', '--queue'],
  ['queueN', 'queueExponent', '--queue-n'],
  ['latencyMs', 'entryLatencyMs', '--latency-ms'],
  ['responseMs', 'responseLatencyMs', '--response-ms'],
  ['makerFeePpm', 'makerFeePpm', '--maker-fee-ppm'],
  ['takerFeePpm', 'takerFeePpm', '--taker-fee-ppm'],
  ['until', 'endExchangeMs', '--until'],
];

/** The subset of the core's result JSON the table prints (see docs/backtest.md). */
interface ResultJson {
  stats: {
    step_returns: { sharpe_annualised: number | null };
    trading: { fills: number };
    inventory: { max_abs: number };
  };
}

function formatTable(axes: readonly GridAxis[], rows: { params: Record<string, unknown>; outcome: PointOutcome }[]): string {
  const header = [...axes.map((a) => a.key), 'net P&L', 'Sharpe (ann.)', 'max drawdown', 'fills', 'max |inv|'];
  const cells = rows.map(({ params, outcome }) => {
    const keys = axes.map((a) => String(params[a.key]));
    if (!outcome.ok) return [...keys, `error: ${outcome.error}`];
    const s = (JSON.parse(outcome.json) as ResultJson).stats;
    return [...keys, outcome.netPnl, fixed(s.step_returns.sharpe_annualised, 1), outcome.maxDrawdown, String(s.trading.fills), String(s.inventory.max_abs)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...cells.filter((c) => c.length === header.length).map((c) => c[i]?.length ?? 0)));
  const line = (c: string[]): string =>
    c
      .map((v, i) => (i === c.length - 1 && c.length < header.length ? v : i < axes.length ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...cells.map(line)].join('\n');
}

export function registerSweep(program: Command): void {
  program
    .command('sweep')
    .description('backtest the built-in quoter over a parameter grid, the points in parallel worker threads')
    .argument('<recording>', 'recording, e.g. $FLASHMM_DATA_DIR/binance/usdm_btcusdt_20240808.gz')
    .requiredOption(
      '--grid <grid>',
      'parameter grid "key=v1,v2;key2=v3,...": keys size, ticks, mode, queue, queueExponent, interval, latency, response, limit, postOnly, makerFee, takerFee',
    )
    .addOption(new Option('--workers <n>', 'worker threads').argParser(positiveInt).default(availableParallelism(), `available parallelism, ${availableParallelism()}`))
    .option('--json', "print each point's parameters and full result JSON")
    .option('--interval-ms <ms>', 'decision interval, ms of exchange time', positiveNumber)
    .addOption(new Option('--mode <mode>', 'quote prices: join the touch, or --ticks around the mid').choices(['join', 'around-mid']))
    .option('--ticks <n>', 'distance from the mid in ticks (around-mid)', nonNegativeInt)
    .option('--size <lots>', 'size of each quote, lots', positiveInt)
    .option('--max-position <lots>', 'inventory limit, lots', nonNegativeInt)
    .option('--no-post-only', 'send plain limit orders instead of post-only')
    .addOption(new Option('--queue <model>', 'queue-position model').choices(['risk-averse', 'power', 'log']))
    .option('--queue-n <n>', 'exponent of the power queue model', positiveNumber)
    .option('--latency-ms <ms>', 'order entry latency, ms', nonNegativeMs)
    .option('--response-ms <ms>', 'response (report) latency, ms', nonNegativeMs)
    .option('--maker-fee-ppm <ppm>', "maker fee override, ppm of notional (default the spec's)", integer)
    .option('--taker-fee-ppm <ppm>', "taker fee override, ppm of notional (default the spec's)", integer)
    .option('--until <exchange-ms>', 'stop at the first event after this exchange time (ms since the epoch)', nonNegativeInt)
    .action(async (file: string, opts: SweepCliOptions, cmd: Command) => {
      let axes: GridAxis[];
      try {
        axes = parseGrid(opts.grid);
      } catch (e) {
        cmd.error(`error: --grid: ${errorMessage(e)}`);
      }
      // Fixed options: only those given on the command line (the defaults are the core's, the
      // same as `flashmm backtest`'s); one that a grid key also sets is an error.
      const fixed: BacktestOptions = { path: file };
      for (const [attr, option, flag] of FIXED) {
        if (cmd.getOptionValueSource(attr) !== 'cli') continue;
        const axis = axes.find((a) => gridOption(a.key) === option);
        if (axis) cmd.error(`error: ${flag} conflicts with grid key '${axis.key}'`);
        Object.assign(fixed, { [option]: opts[attr] });
      }
      const points = gridPoints(axes);
      const jobs = points.map((p) => ({ ...fixed, ...p.options }));
      const tty = process.stderr.isTTY;
      const outcomes = await runSweep(jobs, opts.workers, tty ? (done, total) => process.stderr.write(`\rsweep ${done}/${total}`) : undefined);
      if (tty) process.stderr.write('\r\x1b[2K');
      const rows = points.map((p, i) => ({ params: p.params, outcome: outcomes[i] ?? { ok: false as const, error: 'not run' } }));
      if (opts.json) {
        // The core's JSON is spliced in verbatim (byte-identical to `flashmm backtest --json`).
        const lines = rows.map(({ params, outcome }) =>
          outcome.ok ? `{"params":${JSON.stringify(params)},"result":${outcome.json}}` : `{"params":${JSON.stringify(params)},"error":${JSON.stringify(outcome.error)}}`,
        );
        const { path: _path, ...fixedOptions } = fixed;
        const grid = Object.fromEntries(axes.map((a) => [a.key, a.values]));
        process.stdout.write(
          `{"recording":${JSON.stringify(file)},"grid":${JSON.stringify(grid)},"fixed":${JSON.stringify(fixedOptions)},"points":[\n${lines.join(',\n')}\n]}\n`,
        );
      } else {
        const first = rows.find((r) => r.outcome.ok)?.outcome;
        const symbol = first?.ok ? first.symbol : '?';
        console.log(`${symbol} sweep of ${file}: ${rows.length} points, ${Math.min(opts.workers, rows.length)} workers`);
        console.log(formatTable(axes, rows));
      }
      const failed = rows.filter((r) => !r.outcome.ok).length;
      if (failed > 0) {
        console.error(`error: ${failed} of ${rows.length} sweep points failed`);
        process.exitCode = 2;
      }
    });
}
