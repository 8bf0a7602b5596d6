// Where the tail of the venue's signed-bytes path comes from: one quote update (4 cancels + 4
// places) built and signed N times (the venue's own SeiTxBuilder, the core signer), each timed
// with the process's CPU time beside it and checked against the GC pauses the runtime reports.
// A slow sample whose CPU time is far below its wall time was descheduled (the machine); one
// that overlaps a GC pause was the collector. The path has no await that yields to the event
// loop (cosmjs's async sign runs on microtasks), so nothing else can stand in it.
// Run after `npm run build:ts`:  N=20000 node bench/sei-sign-tail.mjs
import { PerformanceObserver, performance } from 'node:perf_hooks';
const root = new URL('../dist', import.meta.url).pathname;
const { SeiMarket } = await import(`${root}/venues/sei/markets.js`);
const { orderSpecs } = await import(`${root}/venues/sei/orders.js`);
const { CoreDirectSigner } = await import(`${root}/venues/sei/signer.js`);
const { SeiTxBuilder } = await import(`${root}/venues/sei/tx-builder.js`);
const { feeRuleOf } = await import(`${root}/venues/sei/fees.js`);
const MNEMONIC = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
const market = new SeiMarket({ symbol: 'SEI/USDC', priceDenom: 'uusdc', assetDenom: 'usei' }, { priceDenom: 'uusdc', assetDenom: 'usei', priceTick: '0.0001', quantityTick: '1' });
const core = CoreDirectSigner.fromMnemonic(Buffer.from(MNEMONIC));
const fee = feeRuleOf({ gasPrice: '0.02', feeDenom: 'usei', gas: { base: 150000, perPlace: 50000, perCancel: 20000 }, feeMarginPercent: 5, maxFee: '1000000' },
  { defaultGasPerOrder: 55000n, defaultGasPerOrderDataByte: 30n, defaultGasPerCancel: 53000n, sudoCallGasPrice: '0.1' });
const builder = await SeiTxBuilder.create({ chainId: 'sei-local', contract: 'sei14hj2tavq8fpesdwxxcu44rty3hh90vhujrvcmstl4zr3txmfvw9sh9m79m', signer: core, fee });
const order = (clientId, side, price, orderId) => ({ clientId, market, side, price, size: 100, filled: 0, state: orderId === null ? 'queued' : 'open', orderId, placedHeight: 1, cancelling: false });
const cancels = [order('b0', 'buy', 11000, 1001n), order('b1', 'buy', 10999, 1002n), order('a0', 'sell', 11010, 1003n), order('a1', 'sell', 11011, 1004n)];
const places = [order('b2', 'buy', 11001, null), order('b3', 'buy', 11000, null), order('a2', 'sell', 11009, null), order('a3', 'sell', 11010, null)];
const gcs = [];
new PerformanceObserver((l) => { for (const e of l.getEntries()) gcs.push([e.startTime, e.startTime + e.duration, e.detail?.kind]); }).observe({ entryTypes: ['gc'] });
const samples = [];
const N = Number(process.env.N ?? 20000);
for (let i = 0; i < N; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const specs = orderSpecs(cancels, places);
  await builder.sign(specs.cancels, specs.places, { accountNumber: 1n, sequence: 42 + i, timeoutHeight: 1000 });
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  samples.push([t0, t1, (c.user + c.system) / 1000]);
  if (i % 50 === 0) await new Promise((r) => setImmediate(r));
}
await new Promise((r) => setTimeout(r, 100));
const d = samples.map(([a, b]) => b - a).sort((x, y) => x - y);
const q = (p) => d[Math.floor(p * (d.length - 1))];
const slow = samples.filter(([a, b]) => b - a > 1);
const cpuOfSlow = slow.map(([a, b, c]) => c).sort((x, y) => x - y);
const slowCpuBound = slow.filter(([a, b, c]) => c > 0.5 * (b - a)).length;
const withGc = slow.filter(([a, b]) => gcs.some(([s, e]) => s < b && e > a));
const cpu = process.cpuUsage();
console.log(JSON.stringify({ n: N, p50ms: q(0.5), p90ms: q(0.9), p99ms: q(0.99), max: d.at(-1), mean: d.reduce((s, x) => s + x, 0) / N,
  over1ms: slow.length, over1msDuringGc: withGc.length, gcs: gcs.length, gcMsTotal: gcs.reduce((s, [a, b]) => s + b - a, 0), slowCpuMedianMs: cpuOfSlow[Math.floor(cpuOfSlow.length / 2)], slowWhereCpuOverHalfOfWall: slowCpuBound, gcMaxMs: Math.max(...gcs.map(([a, b]) => b - a)) }));
