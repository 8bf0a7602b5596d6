// What a newcomer reads first: the banner of `flashmm run` and `flashmm --help` /
// `flashmm run --help` say what runs (venue, markets, quoting, model), where the API and the
// metrics are, and how to stop, from the configuration actually loaded.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runBanner, runPlan } from '../src/commands/run-banner.js';
import { loadConfig } from '../src/config/load.js';
import { configSchema } from '../src/config/schema.js';
import { repoRoot } from './helpers/cargo.js';

const run = promisify(execFile);
const cli = join(repoRoot.pathname, 'dist/cli.js');
const configDir = join(repoRoot.pathname, 'config');

describe('the first screen of flashmm run', () => {
  it('says what the development configuration runs, where the API is and how to stop', () => {
    const { config, sources } = loadConfig({ configDir, envVars: {} });
    expect(runBanner({ config, sources, modelPath: '/opt/flashmm/models/default.onnx', apiUrl: 'http://127.0.0.1:8080', version: '0.1.0', coreVersion: '0.1.0' })).toBe(
      [
        'FlashMM 0.1.0 (core 0.1.0): market-making daemon starting',
        '  venue    simulated exchange in this process, fed by generated zero-intelligence order flow (seed 1, from 0.4000); latency 5/5 ms, queue power; no keys, no network',
        '  markets  SEI/USDC: tick 0.0001, lot 0.1, min 10 lots, fees maker 1 bp / taker 5 bp',
        '  quoting  GLFT, 2 levels a side, every 200 ms (at once on a 10 bp move)',
        '  model    /opt/flashmm/models/default.onnx: its forecast skews and widens the quotes',
        '  api      http://127.0.0.1:8080/status  /health  /metrics (Prometheus)',
        `  config   ${sources.join(' < ')}`,
        '  stop     Ctrl-C (or SIGTERM): cancels every order, waits until the venue shows none, exits 0',
        '           SIGUSR2: kill switch (cancel everything and stop quoting until a restart)',
        '',
      ].join('\n'),
    );
  });

  it('names a replay, a missing or disabled model, a disabled API, and a Sei venue', () => {
    const replay = configSchema.parse({ venue: { replay: { path: 'rec.gz', speed: 10 } }, model: { path: 'nope.onnx' }, api: { enabled: false } });
    const lines = runBanner({ config: replay, modelPath: null, apiUrl: null, version: 'v', coreVersion: 'c' }).split('\n');
    expect(lines[1]).toBe('  venue    simulated exchange in this process, driven by the recording rec.gz at 10x; latency 5/5 ms, queue power; no keys, no network');
    expect(lines).toContain('  model    nope.onnx not found: quotes without a forecast');
    expect(lines).toContain('  api      off (api.enabled: false): no /status, /health or /metrics');
    const noModel = configSchema.parse({ model: { enabled: false } });
    expect(runBanner({ config: noModel, modelPath: null, apiUrl: null, version: 'v', coreVersion: 'c' })).toContain('  model    off (model.enabled: false): quotes without a forecast\n');
    const sei = configSchema.parse({
      venue: { kind: 'sei', rpcUrl: 'http://127.0.0.1:26657', wsUrl: 'ws://127.0.0.1:26657/websocket', chainId: 'flashmm-local', contractAddr: `sei1${'q'.repeat(58)}`, pairs: { 'SEI/USDC': { priceDenom: 'uusdc', assetDenom: 'usei' } } },
    });
    expect(runBanner({ config: sei, modelPath: null, apiUrl: 'http://127.0.0.1:9', version: 'v', coreVersion: 'c' })).toContain(
      '  venue    Sei order book module on chain flashmm-local (http://127.0.0.1:26657); orders are signed transactions\n',
    );
  });
});

describe('flashmm --help and flashmm run --help', () => {
  it('point at the first command and, for run, describe what the loaded configuration would trade', async () => {
    const env = { ...process.env, FLASHMM_ENGINE__INTERVAL_MS: '150' };
    const main = await run(process.execPath, [cli, '--help'], { env });
    expect(main.stdout).toContain('Start here:\n  flashmm run                 the daemon on the embedded simulated venue');
    const help = await run(process.execPath, [cli, 'run', '--help'], { env, cwd: repoRoot.pathname });
    const { config, sources } = loadConfig({ envVars: env });
    expect(sources.at(-1)).toBe('FLASHMM_ENGINE__INTERVAL_MS');
    expect(help.stdout.endsWith(`\n${runPlan(config, sources)}  (--config and --env choose another configuration)\n`)).toBe(true);
    expect(help.stdout).toContain('every 150 ms');
    expect(help.stdout).toContain('Ctrl-C (or SIGTERM): cancels every order');
  });
});
