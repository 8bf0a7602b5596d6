// `flashmm convert <recording.gz> [--out file]`: decode a recording once into its columnar
// event cache (the core's replay::cache), which `flashmm backtest` / `sweep` then read through
// a memory map instead of gunzipping and parsing JSON. Default output `<recording>.fmcache`,
// beside the recording, where a backtest of the recording looks for it.
import type { Command } from 'commander';
import { errorMessage } from '../errors.js';
import { convertRecording } from '../native.js';

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;

export function registerConvert(program: Command): void {
  program
    .command('convert')
    .description('decode a recording once into a checksummed event cache that backtests read memory-mapped')
    .argument('<recording>', 'gzip recording, e.g. $FLASHMM_DATA_DIR/binance/usdm_btcusdt_20240808.gz')
    .option('--out <file>', 'where to write the cache (default <recording>.fmcache, beside it, where backtests look)')
    .action((file: string, opts: { out?: string }) => {
      const t0 = process.hrtime.bigint();
      let c;
      try {
        c = convertRecording(file, opts.out);
      } catch (e) {
        console.error(`error: convert failed: ${errorMessage(e)}`);
        process.exitCode = 2;
        return;
      }
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      console.log(
        `${c.out}: ${c.market} ${c.symbol}, ${c.events} events, ${c.levels} levels, ${mb(c.cacheBytes)} (from ${mb(c.sourceBytes)} of gzip) in ${s.toFixed(2)} s`,
      );
    });
}
