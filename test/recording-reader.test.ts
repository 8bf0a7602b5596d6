// The Binance reader through N-API on bad input: every failure is a clear error with its
// line number, the reader keeps going after a bad line, and nothing crashes.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { recording } from '../src/config/data-dir.js';
import { BinanceReader, EventKind } from '../src/native.js';

const dir = mkdtempSync(join(tmpdir(), 'flashmm-reader-'));

function gz(name: string, lines: string[]): string {
  const path = join(dir, name);
  writeFileSync(path, gzipSync(lines.join('\n') + '\n'));
  return path;
}

const diff = (U: number, u: number, bid: string): string =>
  `1 {"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1723161255208,"s":"BTCUSDT","U":${U},"u":${u},"b":[["${bid}","1.00000000"]],"a":[]}}`;

describe('BinanceReader', () => {
  it('decodes events into typed columns with exact ticks and lots', () => {
    const reader = new BinanceReader(gz('spot_ok.gz', [diff(10, 12, '61737.63000000')]));
    const batch = reader.nextBatch()!;
    expect(batch.length).toBe(1);
    expect(Array.from(batch.kinds)).toEqual([EventKind.DepthDiff]);
    expect(Array.from(batch.firstId)).toEqual([10]);
    expect(Array.from(batch.lastId)).toEqual([12]);
    expect(Array.from(batch.prevId)).toEqual([-1]);
    expect(Array.from(batch.exchangeTs)).toEqual([1723161255208000000n]);
    expect(Array.from(batch.prices)).toEqual([6173763]);
    expect(Array.from(batch.sizes)).toEqual([1000000]);
    expect(reader.spec.lotSize).toBe('0.000001');
    expect(reader.nextBatch()).toBeNull();
  });

  it('reports each bad line once with its number and continues after it', () => {
    const path = gz('spot_bad.gz', [
      diff(1, 1, '100.00'),
      'not a message',
      '2 {"stream":"btcusdt@kline_1m","data":{}}',
      diff(2, 2, 'NaN'),
      diff(3, 3, '-5.00'),
      diff(4, 4, '100.005'),
      diff(5, 5, '101.00'),
    ]);
    const reader = new BinanceReader(path);
    const errors: string[] = [];
    const lastIds: number[] = [];
    for (;;) {
      try {
        const batch = reader.nextBatch();
        if (batch === null) break;
        lastIds.push(...batch.lastId);
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    expect(lastIds).toEqual([1, 5]);
    expect(errors).toHaveLength(5);
    expect(errors[0]).toMatch(/^line 2: /);
    expect(errors[1]).toMatch(/^line 3: unknown stream 'btcusdt@kline_1m'/);
    expect(errors[2]).toMatch(/^line 4: .*'NaN' is not a decimal number/);
    expect(errors[3]).toMatch(/^line 5: .*'-5.00' is negative/);
    expect(errors[4]).toMatch(/^line 6: .*'100.005' is not on the grid of 0.01/);
  });

  it('turns a truncated gzip into one clear error, then ends', () => {
    const whole = readFileSync(recording('spot_btcusdt_20240808.gz'));
    const path = join(dir, 'spot_truncated.gz');
    writeFileSync(path, whole.subarray(0, whole.length >> 1));
    const reader = new BinanceReader(path);
    let events = 0;
    let error = '';
    for (;;) {
      try {
        const batch = reader.nextBatch(1 << 16);
        if (batch === null) break;
        events += batch.length;
      } catch (err) {
        error = (err as Error).message;
      }
    }
    expect(error).toMatch(/^truncated or corrupt gzip at line \d+/);
    expect(events).toBeGreaterThan(1000);
    expect(events).toBeLessThan(41249);
  });

  it('refuses files it cannot place', () => {
    expect(() => new BinanceReader(join(dir, 'missing_file.gz'), 'spot')).toThrow(/^cannot open .*missing_file\.gz/);
    expect(() => new BinanceReader(gz('mystery.gz', [diff(1, 1, '1.00')]))).toThrow(
      /does not start with spot_, usdm_ or cm_; pass the market explicitly/,
    );
    expect(() => new BinanceReader(gz('x.gz', [diff(1, 1, '1.00')]), 'nyse')).toThrow("unknown Binance market 'nyse'");
  });
});
