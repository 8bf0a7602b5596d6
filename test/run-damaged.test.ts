// The run that found issue 16: `flashmm run --replay <recording>` on a real recording with lines
// damaged in the middle (a bad receive timestamp, a negative price, a NaN size, a line cut
// short) used to die from the venue's pump timer with orders live. Now it skips and counts each
// bad line (logged once per reason, with its line number), keeps quoting on the valid parts,
// and stops cleanly at the end of its duration: exit 0, no order of ours left on the venue.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { COMPARE_LARGE_MOVE_BPS, marketParams } from '../src/backtest/calibration.js';
import { recording } from '../src/config/data-dir.js';
import { MANUAL_START_MS } from '../src/engine/manual-clock.js';
import { BinanceReader } from '../src/native.js';
import { repoRoot } from './helpers/cargo.js';

const exec = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));
const source = recording('usdm_ethusdt_20240808.gz');
const dir = mkdtempSync(join(tmpdir(), 'flashmm-run-damaged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 1-based line numbers of the damage, and what each becomes (none of them a depth diff: the recording has one snapshot, so a lost diff would end the book for good). */
const DAMAGE: readonly { line: number; reason: string; damage: (l: string) => string }[] = [
  { line: 3050, reason: 'malformed', damage: (l) => `x${l}` }, // the receive timestamp
  { line: 0, reason: 'negative', damage: (l) => l.replace(/"p":"/, '"p":"-') },
  { line: 0, reason: 'not-a-number', damage: (l) => l.replace(/"q":"[^"]*"/, '"q":"NaN"') },
  { line: 9_000, reason: 'malformed', damage: (l) => l.slice(0, l.length >> 1) },
];

/**
 * The first 70 s of the recording with the damage applied; returns the file and the damaged
 * lines, each with its time from the recording's start.
 */
function damagedCopy(): { path: string; damaged: { line: number; reason: string; offsetNs: bigint }[] } {
  const lines = gunzipSync(readFileSync(source)).toString('utf8').split('\n', 16_000);
  const receiveNs = (l: string) => BigInt(l.slice(0, l.indexOf(' ')));
  const startNs = receiveNs(lines[0] ?? '');
  const tradeAfter = (n: number) => lines.findIndex((l, i) => i >= n && l.includes('@trade')) + 1;
  const damaged = DAMAGE.map((d, i) => {
    const line = d.line > 0 ? d.line : tradeAfter(4_000 + i * 1_500);
    const original = lines[line - 1] ?? '';
    lines[line - 1] = d.damage(original);
    return { line, reason: d.reason, offsetNs: receiveNs(original) - startNs };
  });
  const path = join(dir, 'usdm_ethusdt_20240808.gz');
  writeFileSync(path, gzipSync(`${lines.join('\n')}\n`, { level: 1 }));
  return { path, damaged };
}

type Line = Record<string, unknown>;

describe('flashmm run --replay on a damaged recording', () => {
  it('skips and counts the bad lines, quotes on, and stops cleanly with exit 0 and no order left', async () => {
    const { path, damaged } = damagedCopy();
    const p = marketParams(source);
    const spec = new BinanceReader(source).spec;
    const config = {
      venue: { kind: 'sim' },
      markets: [{ symbol: spec.symbol, tickSize: spec.tickSize, lotSize: spec.lotSize, minSizeLots: spec.minSizeLots, makerFeePpm: spec.makerFeePpm, takerFeePpm: spec.takerFeePpm }],
      strategy: p.strategies.glft, risk: p.risk, engine: { intervalMs: 100, largeMoveBps: COMPARE_LARGE_MOVE_BPS },
      model: { enabled: false }, api: { enabled: false }, telemetry: { logFormat: 'json', logLevel: 'info' },
    };
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(config));
    // exec rejects on a non-zero exit (or a death by signal): resolving is exit 0.
    const run = await exec(process.execPath, [cli, 'run', '--config', configPath, '--replay', path, '--speed', 'max', '--duration', '60'], {
      timeout: 60_000, maxBuffer: 256 << 20,
    });
    const lines = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as Line);

    // Each reason logged once, naming its first line; every damaged line was a reason we gave.
    const bad = lines.filter((l) => String(l['msg']).startsWith('bad input skipped'));
    expect(bad.map((l) => l['reason'])).toEqual(['malformed', 'negative', 'not-a-number']);
    for (const l of bad) {
      const first = damaged.find((d) => d.reason === l['reason']);
      expect(l['source']).toBe('recording');
      expect(String(l['detail'])).toContain(`line ${first?.line}`);
    }
    // Quoting went on past the last bad line: orders kept filling on the valid parts (the
    // manual clock starts the replay at MANUAL_START_MS).
    const lastBadNs = damaged.reduce((m, d) => (d.offsetNs > m ? d.offsetNs : m), 0n);
    const fills = lines.filter((l) => l['msg'] === 'fill').map((l) => BigInt(String(l['tsNs'])) - BigInt(MANUAL_START_MS) * 1_000_000n);
    expect(fills.filter((ts) => ts > lastBadNs).length).toBeGreaterThan(0);
    expect(lines.some((l) => l['msg'] === 'daemon fault: stopping in order' || l['msg'] === 'market fault: halting the market')).toBe(false);
    const last = lines.at(-1);
    expect(last?.['msg']).toBe('stopped cleanly: no open orders');
    expect(last?.['openOrders']).toBe(0);
  }, 90_000);
});
