// FlashMM's side of the in-process comparison (bench/hftbacktest/compare.py): the same backtest
// as `flashmm backtest <input> --json --maker-fee-ppm -50 --taker-fee-ppm 400`, run `repeat`
// times in one Node process after the addon is loaded, as hftbacktest's timed runs are in one
// warm Python process. Each run opens the input (cache: map + verify; recording: gunzip + JSON).
// Prints {"times": [s...], "json": <the last result's JSON string>}.
// Usage: node bench/hftbacktest/inprocess.mjs <input> <repeat> [--no-cache]
import { runBacktest } from '../../dist/native.js';

const [path, repeatText, flag] = process.argv.slice(2);
if (path === undefined) throw new Error('usage: inprocess.mjs <input> <repeat> [--no-cache]');
const options = { path, makerFeePpm: -50, takerFeePpm: 400, cache: flag !== '--no-cache' };
const times = [];
let json = '';
for (let i = 0; i < Number(repeatText ?? 5); i += 1) {
  const t0 = process.hrtime.bigint();
  json = runBacktest(options).json;
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
process.stdout.write(JSON.stringify({ times, json }));
