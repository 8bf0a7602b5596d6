// The production engine backtested on a recording (src/backtest/engine-backtest.ts): the same
// inputs give byte-identical core statistics, it trades, the risk limit holds, and the
// exchange's booking of the position ties out with the engine's PositionTracker.
import { describe, expect, it } from 'vitest';
import { type EngineBacktestOptions, runEngineBacktest } from '../src/backtest/engine-backtest.js';
import { marketParams } from '../src/backtest/calibration.js';
import { recording } from '../src/config/data-dir.js';

const file = recording('usdm_btcusdt_20240808.gz');
const params = marketParams(file);

function options(kind: 'fixed' | 'glft'): EngineBacktestOptions {
  return { recording: file, strategy: params.strategies[kind], risk: params.risk, intervalMs: 100, durationMs: 120_000 };
}

describe.each(['fixed', 'glft'] as const)('engine backtest, %s quoter, 2 minutes of usdm BTCUSDT', (kind) => {
  it('is deterministic, trades within the limit and ties out with the exchange', async () => {
    const a = await runEngineBacktest(options(kind));
    const b = await runEngineBacktest(options(kind));
    expect(b.statsJson).toBe(a.statsJson);
    expect(b.counts).toEqual(a.counts);

    const s = a.stats;
    expect(s.trading.fills).toBeGreaterThan(0);
    expect(a.counts.decisions).toBeGreaterThan(1000);
    expect(s.span.steps).toBe(a.counts.decisions + 1 - a.counts.skippedSteps);
    expect(s.inventory.max_abs).toBeLessThanOrEqual(a.maxPositionLots);
    expect(a.counts.maxAbsPosition).toBeLessThanOrEqual(a.maxPositionLots);
    expect(a.position.tracker).toBe(a.position.venue);
    expect(s.inventory.last).toBe(a.position.venue);
    expect(a.counts.fillEvents).toBe(s.trading.fills);
    expect(BigInt(s.pnl.net)).toBe(BigInt(s.pnl.realised) + BigInt(s.pnl.unrealised) - BigInt(s.pnl.fees));
    expect(s.adverse_selection.map((x) => x.horizon_ns)).toEqual(['1000000000', '10000000000']);
    expect(s.trading.orders?.placed).toBe(a.counts.ordersSent);
  }, 120_000);
});
