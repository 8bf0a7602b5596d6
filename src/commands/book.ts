import type { Command } from 'commander';
import { epochMs, positiveInt } from './options.js';
import { replayBook, type ReplayReport } from '../market/book-replay.js';

export function formatReport(r: ReplayReport): string {
  const c = r.counts;
  const rows = Math.max(r.bids.length, r.asks.length);
  const width = Math.max(8, ...r.bids.map((l) => l.size.length + l.price.length + 3));
  const lines = [
    `${r.symbol} (${r.market}, rule ${r.rule}) from ${r.file}`,
    `book: ${r.status}${r.invalidReason ? ` (${r.invalidReason})` : ''}, last update id ${r.lastUpdateId ?? '-'}`,
    `events ${c.events}: snapshots ${c.snapshots}, depth diffs ${c.diffs} (applied ${c.diffsApplied}, buffered ${c.diffsBuffered}, stale ${c.diffsStale}), trades ${c.trades}, book tickers ${c.tickers}`,
    `level updates ${c.levelUpdates}; gaps ${c.gaps}, crossed ${c.crossed}, bad levels ${c.badLevels}, invalid states ${c.invalidStates}; unreadable lines ${r.badLines}${r.firstBadLine ? ` (first: ${r.firstBadLine})` : ''}`,
    '',
    `${'bid size @ price'.padStart(width)}   ${'ask price x size'}`,
  ];
  for (let i = 0; i < rows; i++) {
    const b = r.bids[i];
    const a = r.asks[i];
    lines.push(`${(b ? `${b.size} @ ${b.price}` : '').padStart(width)}   ${a ? `${a.price} x ${a.size}` : ''}`);
  }
  return lines.join('\n');
}

export function registerBook(program: Command): void {
  const book = program.command('book').description('order-book tools');
  book
    .command('replay')
    .description('replay a Binance recording (gzip lines "<ns> <json>") into the core order book')
    .argument('<file>', 'recording, e.g. $FLASHMM_DATA_DIR/binance/spot_btcusdt_20240808.gz')
    .option('--until <exchange-ms>', 'stop before the first event after this exchange time (ms)', epochMs)
    .option('--depth <n>', 'levels per side to print', positiveInt, 10)
    .option('--json', 'print the report as JSON')
    .action((file: string, opts: { until?: number; depth: number; json?: boolean }) => {
      const report = replayBook(file, {
        depth: opts.depth,
        ...(opts.until === undefined ? {} : { untilExchangeMs: opts.until }),
      });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
      // A replay that ends invalid or with unreadable lines is not a clean replay.
      if (report.status !== 'valid' || report.badLines > 0 || report.counts.gaps > 0) process.exitCode = 2;
    });
}
