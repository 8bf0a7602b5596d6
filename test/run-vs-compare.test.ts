// One backtest story: the same recording through `flashmm run --replay <file> --speed max` (the
// daemon on a manual clock) and through `flashmm compare` gives identical fills and identical
// P&L to the money unit, and both equal the core statistics' ledger.
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { COMPARE_LARGE_MOVE_BPS, marketParams } from '../src/backtest/calibration.js';
import { recording } from '../src/config/data-dir.js';
import { BinanceReader } from '../src/native.js';
import { repoRoot } from './helpers/cargo.js';

const exec = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));
const file = recording('usdm_ethusdt_20240808.gz');

interface Row {
  strategy: string;
  result?: {
    fills: { side: string; price: number; size: number; liquidity: string; tsNs: string }[];
    ledger: { realised: string; unrealised: string; fees: string; net: string };
    stats: { pnl: { realised: string; unrealised: string; fees: string; net: string }; trading: { fills: number } };
  };
}

describe('flashmm run --speed max and flashmm compare', () => {
  it('trade the same recording identically: the same fills, the same P&L to the unit', async () => {
    const p = marketParams(file);
    const spec = new BinanceReader(file).spec;
    const config = {
      venue: { kind: 'sim' },
      markets: [{ symbol: spec.symbol, tickSize: spec.tickSize, lotSize: spec.lotSize, minSizeLots: spec.minSizeLots, makerFeePpm: spec.makerFeePpm, takerFeePpm: spec.takerFeePpm }],
      strategy: p.strategies.glft, risk: p.risk, engine: { intervalMs: 100, largeMoveBps: COMPARE_LARGE_MOVE_BPS },
      model: { enabled: false }, api: { enabled: false }, telemetry: { logFormat: 'json', logLevel: 'info' },
    };
    const dir = mkdtempSync(join(tmpdir(), 'flashmm-run-vs-compare-'));
    const path = join(dir, 'glft.json');
    writeFileSync(path, JSON.stringify(config));
    const opts = { timeout: 60_000, maxBuffer: 256 << 20 };
    const [run, compare] = await Promise.all([
      exec(process.execPath, [cli, 'run', '--config', path, '--replay', file, '--speed', 'max', '--duration', '60'], opts),
      exec(process.execPath, [cli, 'compare', file, '--json', '--duration-ms', '60000', '--workers', '0', '--model', '/nonexistent/model.onnx', '--baseline', '/nonexistent/logistic.onnx'], opts),
    ]);
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const runFills = lines.filter((l) => l.msg === 'fill').map((l) => ({ side: l.side, price: l.price, size: l.size, liquidity: l.liquidity, tsNs: l.tsNs }));
    const final = lines.find((l) => l.msg === 'final state') as { pnlUnits: Record<string, string> } | undefined;
    const row = (JSON.parse(compare.stdout) as { recordings: { rows: Row[] }[] }).recordings[0]?.rows.find((r) => r.strategy === 'glft');
    const result = row?.result;
    expect(result).toBeDefined();
    if (result === undefined || final === undefined) return;
    expect(runFills.length).toBeGreaterThan(0);
    expect(runFills).toEqual(result.fills);
    expect(result.stats.trading.fills).toBe(result.fills.length);
    expect(final.pnlUnits).toEqual(result.ledger);
    // The statistics book the same fills through the same ledger, marked at the same mid.
    const { realised, unrealised, fees, net } = result.stats.pnl;
    expect({ realised, unrealised, fees, net }).toEqual(result.ledger);
    expect(lines.at(-1)?.msg).toBe('stopped cleanly: no open orders');
  }, 90_000);
});
