// `flashmm record` end to end on the simulated venue: record the generated market (its clock
// sped up) until several parts have rotated, stop it with SIGTERM, read every part back (a
// complete gzip, the reader takes the market from the sidecar, the book replayed from the parts
// is exactly the book the recorder recorded), train the logistic model on the parts and serve
// it: the daemon replays a recorded part with the model and quotes.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { BinanceReader, Model, OrderBook } from '../src/native.js';
import { repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('dist/cli.js', repoRoot));
const dir = mkdtempSync(join(tmpdir(), 'flashmm-record-'));
const cwd = fileURLToPath(repoRoot);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Level { price: number; size: number }
interface RecordedBook { symbol: string; valid: boolean; lastUpdateId: number | null; bids: Level[]; asks: Level[] }

/**
 * Runs `flashmm record` into `out` and sends SIGTERM once the part file `until` appears there
 * (so at least the earlier parts have rotated); resolves with its exit code and output.
 */
function recordUntil(out: string, until: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'record', '--out-dir', out, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      watcher?.close();
      resolve({ code, stdout, stderr });
    });
    let watcher: ReturnType<typeof watch> | undefined;
    let signalled = false;
    const arm = (): void => {
      try {
        watcher = watch(out, (_event, name) => {
          // Once: fs.watch reports a new file more than once.
          if (name === until && child.signalCode === null && !signalled) {
            signalled = true;
            child.kill('SIGTERM');
          }
        });
      } catch {
        setTimeout(arm, 50); // the recorder has not created the directory yet
      }
    };
    arm();
  });
}

describe('record → train → serve on the simulated venue', () => {
  it('records rotated parts that read back exactly, trains on them and serves the model', async () => {
    const out = join(dir, 'rec');
    // 40× wall time, a new part every simulated minute (~1.5 s): stop when the fourth opens.
    const r = await recordUntil(out, 'spot_sei_usdc_e2e-4.gz', ['--name', 'e2e', '--clock-speed', '40', '--max-minutes', '1', '--summary', join(dir, 'summary.json')]);
    expect(r.code, r.stderr).toBe(0);
    const stopped = /^stopped \(SIGTERM\): (\d+) events in (\d+) part\(s\)$/m.exec(r.stderr);
    expect(stopped, r.stderr).not.toBeNull();
    const parts = r.stdout.trim().split('\n');
    expect(parts).toHaveLength(Number(stopped?.[2]));
    expect(parts.length).toBeGreaterThanOrEqual(4);
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { reason: string; events: number; parts: string[]; books: RecordedBook[] };
    expect(summary).toMatchObject({ reason: 'SIGTERM', events: Number(stopped?.[1]), parts });
    const recorded = summary.books[0] as RecordedBook;
    expect(summary.books).toHaveLength(1);
    expect(recorded.symbol).toBe('SEI/USDC');
    expect(recorded.valid).toBe(true);

    // Every part replayed in order into one book, and each part alone into its own.
    const whole = new OrderBook('binance-spot');
    let events = 0;
    for (const [i, p] of parts.entries()) {
      expect(p).toBe(join(out, `spot_sei_usdc_e2e-${i + 1}.gz`));
      // A complete gzip member (gunzip throws on a missing trailer), one `<ns> <json>` line each,
      // opening with a snapshot of the book (the venue's first, or the recorded book at the rotation).
      const lines = gunzipSync(readFileSync(p)).toString().trim().split('\n');
      expect(lines[0]).toMatch(/^\d{19} \{"lastUpdateId":\d+,"symbol":"SEI\/USDC",/);
      const reader = new BinanceReader(p);
      expect(reader.market).toBe('spot');
      expect(reader.spec.symbol).toBe('SEI/USDC');
      expect(reader.spec.tickSize).toBe('0.0001');
      const alone = new OrderBook('binance-spot');
      let partEvents = 0;
      for (let b = reader.nextBatch(); b !== null; b = reader.nextBatch()) {
        partEvents += b.length;
        whole.applyBatch(b);
        alone.applyBatch(b);
      }
      expect(partEvents).toBe(lines.length);
      expect(alone.isValid, `part ${i + 1} replays on its own`).toBe(true);
      expect(alone.counts().gaps, `part ${i + 1}`).toBe(0);
      events += partEvents;
    }
    // The recorded events, and the exact book they leave: every level and the last update id.
    expect(events).toBe(Number(stopped?.[1]));
    expect(whole.counts().gaps).toBe(0);
    expect(whole.lastUpdateId).toBe(recorded.lastUpdateId);
    expect(whole.topLevels('buy', whole.levelCount('buy'))).toEqual(recorded.bids);
    expect(whole.topLevels('sell', whole.levelCount('sell'))).toEqual(recorded.asks);
    expect(recorded.bids.length).toBeGreaterThan(5);

    // Train the logistic model on the recorded parts (each part one recording).
    const model = join(dir, 'sim-logistic.onnx');
    const t = await run(process.execPath, [cli, 'train', '--data', ...parts, '--arch', 'logistic', '--out', model], { cwd, timeout: 60_000 });
    expect(t.stdout).toMatch(/^logistic \(window 1 × 64\) written to /m);
    expect(Model.load(model).arch).toBe('logistic');

    // Serve: the daemon replays the first part through the simulated venue with this model, and quotes.
    const d = await run(process.execPath, [cli, 'run', '--replay', parts[0] ?? '', '--speed', 'max', '--duration', '60'], {
      cwd, timeout: 60_000, maxBuffer: 64 << 20,
      env: { ...process.env, FLASHMM_MODEL__PATH: model, FLASHMM_API__ENABLED: 'false', FLASHMM_TELEMETRY__LOG_FORMAT: 'json' },
    });
    const logs = d.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.find((l) => String(l['msg']).startsWith('model loaded'))?.['path']).toBe(model);
    // Its quotes were on the book: orders of ours filled; every order cancelled at the stop.
    expect(logs.filter((l) => l['msg'] === 'fill').length, d.stdout.slice(-4000)).toBeGreaterThan(0);
    expect(logs.at(-1)?.['msg']).toBe('stopped cleanly: no open orders');
  }, 120_000);

  it('refuses a bad part name with a clear message', async () => {
    const err = await run(process.execPath, [cli, 'record', '--out-dir', dir, '--name', '../x', '--duration', '1'], { cwd }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/bad recording name '\.\.\/x'/);
  }, 30_000);
});
