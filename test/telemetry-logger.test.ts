import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, test } from 'vitest';
import { Secret } from '../src/config/secret.js';
import { componentLogger, createLogger, createLogOnce, type LogFormat } from '../src/telemetry/logger.js';

const MNEMONIC = 'abandon ability able about above absent absorb abstract absurd abuse access accident';

/** A logger writing into a string. */
function captured(format: LogFormat) {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ format, destination, isTTY: false, level: 'debug' });
  return { logger, text: () => text };
}

describe('logger', () => {
  test('JSON mode writes one parseable object per line', () => {
    const { logger, text } = captured('json');
    componentLogger(logger, 'engine', 'SEI/USDC').info({ tick: 7 }, 'quoted');
    const line: unknown = JSON.parse(text().trim());
    expect(line).toMatchObject({ level: 'info', component: 'engine', market: 'SEI/USDC', tick: 7, msg: 'quoted' });
  });

  test.each(['json', 'pretty'] as const)('%s: secrets in log objects print as [redacted]', (format) => {
    const { logger, text } = captured(format);
    logger.info({ mnemonic: MNEMONIC }, 'top level');
    logger.info({ wallet: { mnemonic: MNEMONIC, privateKey: 'pk-1' } }, 'nested');
    logger.info({ req: { headers: { authorization: 'Bearer tok-1', 'x-api-key': 'key-1' } } }, 'deeper');
    logger.info({ config: { storage: { influx: { token: 'tok-2' } } } }, 'deepest');
    logger.info({ signer: new Secret(MNEMONIC) }, 'a Secret anywhere');
    const out = text();
    expect(out).toContain('[redacted]');
    for (const secret of ['abandon', 'pk-1', 'tok-1', 'key-1', 'tok-2']) expect(out).not.toContain(secret);
  });

  test('pretty mode is readable text, not JSON', () => {
    const { logger, text } = captured('pretty');
    logger.warn({ market: 'SEI/USDC' }, 'book stale');
    expect(text()).toMatch(/WARN.*book stale/);
    expect(text()).toContain('market: "SEI/USDC"');
  });

  test('logOnce logs the first occurrence of a key and counts the rest', () => {
    const { logger, text } = captured('json');
    const counted: string[] = [];
    const logOnce = createLogOnce(logger, (key) => counted.push(key));
    expect(logOnce('binance:bad-json', { line: 3 }, 'unparseable line')).toBe(true);
    expect(logOnce('binance:bad-json', { line: 4 }, 'unparseable line')).toBe(false);
    expect(logOnce('binance:gap', {}, 'sequence gap')).toBe(true);
    expect(logOnce.count('binance:bad-json')).toBe(2);
    expect(counted).toHaveLength(3);
    expect(text().trim().split('\n')).toHaveLength(2);
  });

  test('logOnce bounds the number of distinct keys it remembers', () => {
    const { logger, text } = captured('json');
    const logOnce = createLogOnce(logger, undefined, 2);
    for (const key of ['a', 'b', 'c', 'd']) logOnce(key, {}, 'bad');
    const lines = text().trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain('too many distinct keys');
  });
});

describe('logs survive process.exit', () => {
  // The logger runs in a child process that logs and exits at once. Node 20 cannot run
  // TypeScript, so logger.ts is transpiled next to a node_modules link to the repository's.
  const dir = mkdtempSync(join(tmpdir(), 'flashmm-logger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const source = readFileSync(new URL('../src/telemetry/logger.ts', import.meta.url), 'utf8');
  const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
  writeFileSync(join(dir, 'logger.mjs'), js.outputText);
  symlinkSync(fileURLToPath(new URL('../node_modules', import.meta.url)), join(dir, 'node_modules'));
  writeFileSync(
    join(dir, 'main.mjs'),
    `import { createLogger } from './logger.mjs';
     const log = createLogger({ format: process.argv[2], isTTY: false });
     for (let i = 0; i < 5000; i++) log.info({ i }, 'line');
     log.info('last');
     process.exit(0);`,
  );

  test.each([
    ['json', 5001],
    ['pretty', 5001],
  ] as const)('%s: every line written before exit arrives', (format, lines) => {
    const out = execFileSync(process.execPath, [join(dir, 'main.mjs'), format], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const messages = out.split('\n').filter((l) => /line|last/.test(l) && !/^\s+i:/.test(l));
    expect(messages).toHaveLength(lines);
    expect(messages.at(-1)).toContain('last');
  });
});
