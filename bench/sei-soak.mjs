// The soak on a local Sei chain: `flashmm sei traders` (accounts b, c) and `flashmm run --venue
// sei` (account a) for SOAK_MINUTES (default 30), then SIGTERM to both. Prints one JSON report:
// fills, P&L, inventory, our spread and the traders' own (our spread + the daemon's spread
// improvement gauge, which reads the book net of our orders), quote decision → order resting on
// chain (flashmm_order_resting_seconds / _blocks) and venue event in → transaction broadcast
// (flashmm_venue_broadcast_seconds{from}) p50/p99, quote frequency, transactions of the daemon
// and of the traders sent/failed by code, errors, RSS and load average over time, and the end
// checks: the daemon's position equals the chain's settlements of our account, zero orders of
// ours after SIGTERM. Quantiles are read from the daemon's histograms the way Prometheus's
// histogram_quantile does (linear within the bucket). SOAK_MODEL=<path.onnx> runs the model too.
// Run after `npm run build:ts`:  nice -n 15 node bench/sei-soak.mjs   (SOAK_MINUTES=5 for a short one)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SeiChain } from '../dist/venues/sei/chain.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli.js');
const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const SAMPLE_MS = 10_000;
const RPC_PORT = Number(process.env.RPC_PORT ?? 28657);

function lines(child, sink) {
  createInterface({ input: child.stdout }).on('line', (t) => sink.push(parse(t)));
  createInterface({ input: child.stderr }).on('line', (t) => sink.push(parse(t)));
}
function parse(t) {
  try { return JSON.parse(t); } catch { return { msg: t }; }
}
const exited = (c) => new Promise((r) => (c.exitCode !== null ? r(c.exitCode) : c.on('exit', r)));
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

async function metrics(url) {
  const out = new Map();
  for (const line of (await (await fetch(`${url}/metrics`)).text()).split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}
const sum = (m, name) => [...m].filter(([k]) => k === name || k.startsWith(`${name}{`)).reduce((s, [, v]) => s + v, 0);
/**
 * histogram_quantile: the bucket holding rank q·n, linear inside it (the +Inf bucket answers its
 * lower bound); a whole-number histogram (`discrete`, blocks) answers the bucket's bound itself.
 */
function quantile(m, name, label, q, discrete = false) {
  const buckets = [...m].filter(([k]) => k.startsWith(`${name}_bucket{`) && k.includes(label)).map(([k, v]) => [Number(/le="([^"]+)"/.exec(k)?.[1] ?? NaN), v]).sort((a, b) => a[0] - b[0]);
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total === 0) return null;
  const rank = q * total;
  const i = buckets.findIndex(([, c]) => c >= rank);
  const [upper, count] = buckets[i];
  if (discrete) return upper;
  const [lower, below] = i === 0 ? [0, 0] : buckets[i - 1];
  if (!Number.isFinite(upper)) return lower;
  return lower + ((upper - lower) * (rank - below)) / Math.max(1, count - below);
}
const ms = (x) => (x === null ? null : Math.round(x * 1e5) / 100);
const us = (x) => (x === null ? null : Math.round(x * 1e7) / 10);
function latency(m, name, label = '', discrete = false) {
  const n = [...m].filter(([k]) => k.startsWith(`${name}_count{`) && k.includes(label)).reduce((a, [, v]) => a + v, 0);
  return { p50: quantile(m, name, label, 0.5, discrete), p99: quantile(m, name, label, 0.99, discrete), n };
}

const chainLog = [];
const chain = spawn(join(ROOT, '../shared/sei/localnet.sh'), [], { env: { ...process.env, RPC_PORT: String(RPC_PORT) } });
lines(chain, chainLog);
const infoPath = await new Promise((resolve, reject) => {
  const t = setInterval(() => {
    const ready = chainLog.find((l) => String(l.msg).startsWith('FLASHMM_LOCALNET_READY'));
    if (ready) (clearInterval(t), resolve(String(ready.msg).split(' ')[1]));
    if (chain.exitCode !== null) (clearInterval(t), reject(new Error(`localnet exited: ${chainLog.map((l) => l.msg).join('\n')}`)));
  }, 100);
});
const info = JSON.parse(readFileSync(infoPath, 'utf8'));
const acct = (n) => info.accounts.find((a) => a.name === n);
const rpc = await SeiChain.connect(info.rpc);
const h0 = await rpc.latestHeight();
const dir = mkdtempSync(join(tmpdir(), 'sei-soak-'));
const config = join(dir, 'daemon.yml');
writeFileSync(config, `markets:
  - { symbol: "SEI/USDC", tickSize: "0.0001", lotSize: "1", minSizeLots: 1, makerFeePpm: 0, takerFeePpm: 0 }
strategy: { kind: fixed, fixed: { halfSpread: 1, skewTicksPerOrder: 5 }, orderSizeLots: 5, ladder: { levels: 1, sizesLots: [5] } }
risk: { maxPositionLots: 1000, maxNotional: "100000", maxDailyLoss: "100000", maxDrawdown: "100000", maxOrdersPerSecond: 50, staleBookMs: 1500, disconnectMs: 5000 }
engine: { intervalMs: 200, shutdownTimeoutMs: 8000 }
model: ${process.env.SOAK_MODEL ? `{ enabled: true, path: "${process.env.SOAK_MODEL}" }` : '{ enabled: false }'}
`);
const sei = ['--rpc', info.rpc, '--chain-id', info.chainId, '--contract', info.contract];
const tradersLog = [];
const traders = spawn(process.execPath, [CLI, 'sei', 'traders', ...sei, '--seed', '11', '--log-format', 'json'], {
  env: { ...process.env, FLASHMM_TRADER_MNEMONICS: `${acct('b').mnemonic};${acct('c').mnemonic}` },
});
lines(traders, tradersLog);
await new Promise((r) => setTimeout(r, 5_000)); // the traders' book builds up
const daemonLog = [];
const daemon = spawn(process.execPath, [CLI, 'run', '--config', config, '--venue', 'sei', ...sei, '--market', 'SEI/USDC=uusdc/usei'], {
  env: { ...process.env, FLASHMM_MNEMONIC: acct('a').mnemonic, FLASHMM_API__PORT: '0', FLASHMM_TELEMETRY__LOG_FORMAT: 'json' },
});
lines(daemon, daemonLog);
const api = await new Promise((r) => {
  const t = setInterval(() => {
    const l = daemonLog.find((x) => String(x.msg).startsWith('api listening'));
    if (l) (clearInterval(t), r(String(l.url)));
  }, 100);
});

const samples = [];
const end = Date.now() + MINUTES * 60_000;
while (Date.now() < end) {
  await new Promise((r) => setTimeout(r, SAMPLE_MS));
  const m = await metrics(api);
  samples.push({
    t: Math.round((Date.now() - (end - MINUTES * 60_000)) / 1000), rssDaemonMb: Math.round(rss(daemon.pid)), rssTradersMb: Math.round(rss(traders.pid)),
    fills: sum(m, 'flashmm_fills_total'), position: sum(m, 'flashmm_position_lots'), pnl: sum(m, 'flashmm_pnl_total_quote'),
    spreadBps: sum(m, 'flashmm_quote_spread_bps'), improvementBps: sum(m, 'flashmm_spread_improvement_bps'), load1: loadavg()[0],
  });
}
const m = await metrics(api);
const venue = (await (await fetch(`${api}/api/v1/status`)).json()).venueState;
daemon.kill('SIGTERM');
const daemonCode = await exited(daemon);
traders.kill('SIGTERM');
const tradersCode = await exited(traders);
const ours = await rpc.orders(info.contract, acct('a').address);
const settlements = [];
for (let h = h0; h <= (await rpc.latestHeight()); h++) {
  for (const s of (await rpc.matchResult(info.contract, h))?.settlements ?? []) if (s.account === acct('a').address) settlements.push(s);
}
const settledPosition = settlements.reduce((p, s) => p + (s.positionDirection === 'Long' ? 1 : -1) * Number(s.quantity), 0);
const final = daemonLog.find((l) => l.msg === 'final state');
const summary = tradersLog.filter((l) => l.txSent !== undefined).at(-1);
const mean = (k) => samples.reduce((s, x) => s + x[k], 0) / Math.max(1, samples.length);
const resting = latency(m, 'flashmm_order_resting_seconds');
const restingBlocks = latency(m, 'flashmm_order_resting_blocks', '', true);
const broadcast = Object.fromEntries(['block', 'data', 'decision'].map((from) => {
  const l = latency(m, 'flashmm_venue_broadcast_seconds', `from="${from}"`);
  return [from, { p50Ms: ms(l.p50), p99Ms: ms(l.p99), n: l.n }];
}));
const decisions = sum(m, 'flashmm_tick_to_decision_seconds_count{stage="total"}');
const accuracy = [...m].filter(([k]) => k.startsWith('flashmm_prediction_accuracy_ratio{')).map(([k, v]) => ({ horizon: /horizon="([^"]+)"/.exec(k)?.[1], accuracy: v }));
console.log(JSON.stringify({
  minutes: MINUTES, blocks: (await rpc.latestHeight()) - h0,
  fills: sum(m, 'flashmm_fills_total'), filledLots: sum(m, 'flashmm_filled_volume_lots_total'), ordersSent: sum(m, 'flashmm_orders_sent_total'),
  pnlQuote: sum(m, 'flashmm_pnl_total_quote'), finalPosition: final?.position, settledPosition, positionMatchesSettlements: final?.position === settledPosition,
  meanOurSpreadBps: mean('spreadBps'), meanImprovementBps: mean('improvementBps'), meanTradersSpreadBps: mean('spreadBps') + mean('improvementBps'),
  decisionToResting: { p50Ms: ms(resting.p50), p99Ms: ms(resting.p99), p50Blocks: restingBlocks.p50, p99Blocks: restingBlocks.p99, orders: resting.n },
  eventToBroadcast: broadcast,
  decisionsPerSecond: decisions / (MINUTES * 60), txPerSecond: (venue?.counters?.txSent ?? 0) / (MINUTES * 60),
  tickToDecision: { p50Us: us(quantile(m, 'flashmm_tick_to_decision_seconds', 'stage="total"', 0.5)), p99Us: us(quantile(m, 'flashmm_tick_to_decision_seconds', 'stage="total"', 0.99)) },
  predictionAccuracy: accuracy, predictions: sum(m, 'flashmm_predictions_total'),
  daemonTx: venue?.counters, daemonTxFailures: daemonLog.filter((l) => /transaction (failed|refused)/.test(String(l.msg))).map((l) => ({ msg: l.msg, code: l.code })),
  errorsByKind: Object.fromEntries([...m].filter(([k, v]) => k.startsWith('flashmm_errors_total{') && v > 0).map(([k, v]) => [/kind="([^"]+)"/.exec(k)?.[1], v])),
  rejectedByReason: Object.fromEntries([...m].filter(([k, v]) => k.startsWith('flashmm_orders_rejected_total{') && v > 0).map(([k, v]) => [/reason="([^"]+)"/.exec(k)?.[1], v])),
  badInput: Object.fromEntries([...m].filter(([k, v]) => k.startsWith('flashmm_bad_input_total{') && v > 0).map(([k, v]) => [/reason="([^"]+)"/.exec(k)?.[1], v])),
  traders: summary, daemonExit: daemonCode, tradersExit: tradersCode, oursAfterSigterm: ours.length,
  errorLines: [...daemonLog, ...tradersLog].filter((l) => Number(l.level) >= 50).length,
  warnLines: [...new Set([...daemonLog, ...tradersLog].filter((l) => Number(l.level) === 40).map((l) => l.msg))],
  loadAverage: { min: Math.min(...samples.map((x) => x.load1)), max: Math.max(...samples.map((x) => x.load1)), mean: mean('load1') },
  rss: samples.filter((_, i) => i % 6 === 5 || i === 0).map(({ t, rssDaemonMb, rssTradersMb, load1 }) => ({ t, rssDaemonMb, rssTradersMb, load1: Math.round(load1 * 10) / 10 })),
}, null, 1));
rpc.disconnect();
chain.kill('SIGTERM');
await exited(chain);
