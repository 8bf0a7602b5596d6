import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { ConfigError, loadConfig, type LoadConfigOptions } from '../src/config/load.js';
import { ENVIRONMENTS } from '../src/config/schema.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A config directory holding `files` (name → YAML text). */
function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'flashmm-config-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** The ConfigError message of a load that must fail. */
function failure(options: LoadConfigOptions): string {
  try {
    loadConfig({ envVars: {}, ...options });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message;
  }
  throw new Error('expected a ConfigError');
}

// What testnet.yml and production.yml deliberately leave to the deployment (fail closed).
const SEI_DEPLOYMENT = {
  FLASHMM_VENUE__CONTRACT_ADDR: `sei1${'q'.repeat(58)}`,
  FLASHMM_VENUE__PAIRS: '{"SEI/USDC": {priceDenom: uusdc, assetDenom: usei}}',
};

describe('shipped config files', () => {
  // Each file on its own (--config), so that this machine's config/local.yml cannot matter.
  test.each(ENVIRONMENTS)('config/%s.yml is valid', (env) => {
    const needsIds = env === 'testnet' || env === 'production';
    const configPath = `config/${env}.yml`;
    const { config, sources } = loadConfig({ configPath, env, envVars: needsIds ? SEI_DEPLOYMENT : {} });
    expect(config.env).toBe(env);
    expect(config.venue.kind).toBe(needsIds ? 'sei' : 'sim');
    expect(sources[0]).toBe(configPath);
  });

  test.each(['testnet', 'production'] as const)('config/%s.yml refuses to start without the deployment ids', (env) => {
    expect(failure({ configPath: `config/${env}.yml` })).toBe(`config/${env}.yml: venue.contractAddr: required`);
  });
});

describe('loadConfig', () => {
  test('a bad value names the file, the key path and the reason', () => {
    const dir = configDir({ 'development.yml': 'risk:\n  maxPositionLots: -5\n' });
    expect(failure({ configDir: dir })).toBe(`${dir}/development.yml: risk.maxPositionLots: expected a positive number, got -5`);
  });

  test('every problem is reported at once, list indices included', () => {
    const dir = configDir({
      'development.yml': 'engine: { intervalMs: fast }\nmarkets:\n  - { symbol: X/Y, tickSize: "0.01", lotSize: "-1" }\n',
    });
    const lines = failure({ configDir: dir }).split('\n');
    expect(lines).toEqual([
      `${dir}/development.yml: markets[0].lotSize: expected a decimal string such as "0.0001" (quote long numbers), got "-1"`,
      `${dir}/development.yml: engine.intervalMs: expected a number, got "fast"`,
    ]);
  });

  test('an unknown key (a typo) is named', () => {
    const dir = configDir({ 'development.yml': 'risk:\n  maxPositonLots: 5\n' });
    expect(failure({ configDir: dir })).toBe(`${dir}/development.yml: risk.maxPositonLots: unknown key (a typo?)`);
  });

  test('FLASHMM_* overrides set nested keys, parsed as YAML scalars', () => {
    const dir = configDir({ 'development.yml': 'engine: { intervalMs: 300 }\n' });
    const { config, sources } = loadConfig({
      configDir: dir,
      envVars: { FLASHMM_ENGINE__INTERVAL_MS: '100', FLASHMM_VENUE__LATENCY__ENTRY_MS: '2.5', FLASHMM_API__ENABLED: 'false', FLASHMM_DATA_DIR: '/x' },
    });
    expect(config.engine.intervalMs).toBe(100);
    expect(config.venue.kind === 'sim' && config.venue.latency).toEqual({ entryMs: 2.5, responseMs: 5 });
    expect(config.api.enabled).toBe(false);
    expect(sources).toEqual([`${dir}/development.yml`, 'FLASHMM_API__ENABLED', 'FLASHMM_ENGINE__INTERVAL_MS', 'FLASHMM_VENUE__LATENCY__ENTRY_MS']);
  });

  test('a bad override names the variable', () => {
    const dir = configDir({ 'development.yml': '' });
    expect(failure({ configDir: dir, envVars: { FLASHMM_ENGINE__INTERVAL_MS: '0' } })).toBe(
      'FLASHMM_ENGINE__INTERVAL_MS: engine.intervalMs: expected a positive number, got 0',
    );
    expect(failure({ configDir: dir, envVars: { FLASHMM_ENGINE__INTERVALMS: '5' } })).toBe(
      'FLASHMM_ENGINE__INTERVALMS: engine.intervalms: unknown key (a typo?)',
    );
  });

  test('precedence: defaults < <env>.yml < local.yml < FLASHMM_* ; --config replaces both files', () => {
    const dir = configDir({
      'testnet.yml': 'env: testnet\nengine: { intervalMs: 400, largeMoveBps: 20 }\napi: { port: 1 }\n',
      'local.yml': 'engine: { intervalMs: 300 }\napi: { port: 2 }\n',
      'explicit.yml': 'engine: { intervalMs: 50 }\n',
    });
    const envVars = { FLASHMM_ENV: 'testnet', FLASHMM_API__PORT: '3' };
    const layered = loadConfig({ configDir: dir, envVars }).config;
    expect([layered.env, layered.engine.intervalMs, layered.engine.largeMoveBps, layered.api.port]).toEqual(['testnet', 300, 20, 3]);
    const explicit = loadConfig({ configDir: dir, configPath: join(dir, 'explicit.yml'), envVars }).config;
    expect([explicit.env, explicit.engine.intervalMs, explicit.engine.largeMoveBps, explicit.api.port]).toEqual(['testnet', 50, 10, 3]);
  });

  test('config/<env>.yml must be for that environment', () => {
    const dir = configDir({ 'testnet.yml': 'env: production\n' });
    expect(failure({ configDir: dir, env: 'testnet' })).toBe(`${dir}/testnet.yml: env: this file is for "testnet", got "production"`);
  });

  test('an unknown FLASHMM_ENV and a missing file are named', () => {
    expect(failure({ envVars: { FLASHMM_ENV: 'prod' } })).toBe(
      'FLASHMM_ENV: env: expected one of development, testnet, production, local, got "prod"',
    );
    expect(failure({ configPath: '/nonexistent/flashmm.yml' })).toBe('/nonexistent/flashmm.yml: (file): file not found');
  });

  test('a YAML syntax error names the file', () => {
    const dir = configDir({ 'development.yml': 'engine: [\n' });
    expect(failure({ configDir: dir })).toMatch(new RegExp(`^${dir}/development.yml: \\(yaml\\): `));
  });

  test('a secret in a file is rejected by key path, without echoing it', () => {
    const mnemonic = 'abandon ability able about above absent absorb abstract absurd abuse access accident';
    const dir = configDir({
      'development.yml': `venue: { kind: sim, mnemonic: "${mnemonic}" }\nstorage:\n  influx: { url: "http://x", org: o, bucket: b, token: tok-123 }\n`,
    });
    const message = failure({ configDir: dir });
    expect(message).toMatch(new RegExp(`^${dir}/development.yml: venue.mnemonic: secrets are not allowed in configuration: set FLASHMM_MNEMONIC`));
    expect(message).toContain(`${dir}/development.yml: storage.influx.token: secrets are not allowed`);
    expect(message).not.toMatch(/abandon|tok-123/);
  });

  test('a secret-named override and a password in a URL are rejected without echoing them', () => {
    const dir = configDir({ 'development.yml': '' });
    const message = failure({
      configDir: dir,
      envVars: { FLASHMM_VENUE__PRIVATE_KEY: 'deadbeef', FLASHMM_STORAGE__REDIS__URL: 'redis://user:hunter2@db:6379' },
    });
    expect(message).toContain('FLASHMM_VENUE__PRIVATE_KEY: venue.privateKey: secrets are not allowed');
    expect(message).not.toContain('deadbeef');
    const url = failure({ configDir: dir, envVars: { FLASHMM_STORAGE__REDIS__URL: 'redis://user:hunter2@db:6379' } });
    expect(url).toBe('FLASHMM_STORAGE__REDIS__URL: storage.redis.url: a password in a URL is a secret: set it in the environment, got "redis://***@db:6379"');
  });

  test('long numbers are never rounded in silence', () => {
    const dir = configDir({ 'development.yml': 'markets:\n  - { symbol: X/Y, tickSize: 0.00010000000000000000001, lotSize: 1 }\n' });
    expect(loadConfig({ configDir: dir, envVars: {} }).config.markets[0]?.tickSize).toBe('0.00010000000000000000001');
  });
});
