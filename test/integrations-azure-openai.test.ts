// Azure OpenAI through the `openai` package's AzureOpenAI client against a local server that
// speaks its chat-completions API (test/helpers/azure-openai.ts). The confidence advice is
// well-formed, bounded, cached and ignored when stale, late, malformed, rate-limited, failed or
// timed out; every call is logged and counted and no log line holds the key; the report's
// commentary comes from publishable figures only; with the integration off nothing calls it.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret } from '../src/config/secret.js';
import { recording } from '../src/config/data-dir.js';
import { azureOpenAiConfigSchema } from '../src/integrations/azure-openai/config.js';
import { createConfidenceAdvisor, type ConfidenceAdvisor, type ConfidenceInputs } from '../src/integrations/azure-openai/index.js';
import { runBacktest } from '../src/native.js';
import { createLogger } from '../src/telemetry/logger.js';
import { startFakeAzure, type FakeAzure } from './helpers/azure-openai.js';
import { repoRoot } from './helpers/cargo.js';
import { removeDir, scratchDir } from './helpers/servers.js';

const run = promisify(execFile);
const cli = join(repoRoot.pathname, 'dist/cli.js');
const KEY = 'azk-3f9d0c2b7e1a4b6c8d5e9f0a1b2c3d4e';
const DEPLOYMENT = 'gpt-4o-mini';
const T0 = Date.UTC(2024, 7, 9, 12);
const INPUTS: ConfidenceInputs = {
  features: { spread_bps: 0.0016, imbalance_l1: -0.389, micro_minus_mid_ticks: -0.1945123456 },
  forecast: { pUp: 0.6, pDown: 0.1, confidence: 0.5 },
  horizonMs: 100,
};
const answer = (m: number) => JSON.stringify({ confidence_multiplier: m, reason: 'A thin book makes the forecast less reliable.' });

const logs: string[] = [];
function logger() {
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      cb();
    },
  });
  return createLogger({ level: 'debug', format: 'json', destination, isTTY: false });
}
const logged = (msg: string) => logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l['msg'] === msg);

describe('Azure OpenAI integration against a local chat-completions server', () => {
  let azure: FakeAzure;
  let dir: string;
  const clock = { now: T0 };
  const registry = new Registry();
  let advisor: ConfidenceAdvisor;

  beforeAll(async () => {
    azure = await startFakeAzure(DEPLOYMENT, KEY);
    dir = scratchDir('azure');
    const config = azureOpenAiConfigSchema.parse({
      enabled: true, endpoint: azure.endpoint, deployment: DEPLOYMENT,
      confidence: { enabled: true, maxAdjustment: 0.2, refreshSeconds: 60, maxAgeSeconds: 180, timeoutMs: 300 },
    });
    advisor = createConfidenceAdvisor(config, { azureOpenAiApiKey: new Secret(KEY) }, logger(), { registry, now: () => clock.now })!;
  });
  afterAll(async () => {
    expect(logs.join('\n')).not.toContain(KEY);
    await azure.close();
    removeDir(dir);
  });
  beforeEach(() => {
    azure.requests.length = 0;
  });

  const calls = async (outcome: string) =>
    (await registry.getSingleMetric('flashmm_integration_calls_total')!.get()).values.find((v) => v.labels['outcome'] === outcome && v.labels['op'] === 'confidence')?.value ?? 0;

  it('sends a structured prompt in the documented request, and applies the answer clamped to 1 ± maxAdjustment', async () => {
    azure.answer = { kind: 'content', content: answer(0.5) };
    await advisor.refresh('BTCUSDT', INPUTS);
    expect(azure.requests).toHaveLength(1);
    const r = azure.requests[0]!;
    expect(r).toMatchObject({ method: 'POST', path: `/openai/deployments/${DEPLOYMENT}/chat/completions`, apiVersion: '2024-10-21', apiKey: KEY });
    expect(r.body).toMatchObject({ max_tokens: 120, temperature: 0, response_format: { type: 'json_schema', json_schema: { name: 'confidence_adjustment', strict: true } } });
    expect(r.body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(JSON.parse(r.body.messages[1]!.content)).toEqual({
      market: 'BTCUSDT', forecast: { horizon_ms: 100, p_up: 0.6, p_down: 0.1, confidence: 0.5 },
      features: { spread_bps: 0.0016, imbalance_l1: -0.389, micro_minus_mid_ticks: -0.194512 },
    });
    expect(advisor.multiplier('BTCUSDT', clock.now)).toBe(0.8); // 0.5 asked, capped at −20 %
    expect(advisor.adjust('BTCUSDT', INPUTS.forecast, clock.now)).toEqual({ pUp: 0.6, pDown: 0.1, confidence: 0.4 });
    expect(advisor.adjustedCount('BTCUSDT')).toBe(1);
    expect(logged('confidence advice received: applied to the forecasts until it is stale').at(-1)).toMatchObject({
      integration: 'azure-openai', op: 'confidence', market: 'BTCUSDT', outcome: 'ok', suggested: 0.5, applied: 0.8,
    });
    expect(await calls('ok')).toBe(1);
    expect(await registry.getSingleMetricAsString('flashmm_confidence_multiplier')).toContain('flashmm_confidence_multiplier{market="BTCUSDT"} 0.8');
  });

  it('asks again only after refreshSeconds, caps a high answer, and ignores advice older than maxAgeSeconds', async () => {
    azure.answer = { kind: 'content', content: answer(3) };
    await advisor.refresh('BTCUSDT', INPUTS); // asked at T0: cached
    expect(azure.requests).toHaveLength(0);
    clock.now = T0 + 60_000;
    await advisor.refresh('BTCUSDT', INPUTS);
    expect(azure.requests).toHaveLength(1);
    expect(advisor.multiplier('BTCUSDT', clock.now)).toBe(1.2);
    expect(advisor.adjust('BTCUSDT', { pUp: 0.5, pDown: 0.2, confidence: 0.9 }, clock.now).confidence).toBe(1); // confidence stays ≤ 1
    const stale = clock.now + 180_001;
    expect(advisor.multiplier('BTCUSDT', stale)).toBe(1);
    expect(advisor.adjust('BTCUSDT', INPUTS.forecast, stale)).toBe(INPUTS.forecast);
  });

  it('on a 429 keeps the last advice, counts it, and asks nothing before retry-after', async () => {
    clock.now = T0 + 120_000;
    azure.answer = { kind: '429', retryAfterS: 7 };
    await advisor.refresh('BTCUSDT', INPUTS);
    expect(advisor.multiplier('BTCUSDT', clock.now)).toBe(1.2); // the advice of T0 + 60 s still holds
    expect(await calls('rate-limited')).toBe(1);
    azure.answer = { kind: 'content', content: answer(0.9) };
    expect(advisor.due('ETHUSDT', clock.now + 6_999)).toBe(false); // the deployment's limit: every market waits
    await advisor.refresh('ETHUSDT', INPUTS);
    expect(azure.requests).toHaveLength(1);
    clock.now += 7_000;
    await advisor.refresh('ETHUSDT', INPUTS);
    expect(azure.requests).toHaveLength(2);
    expect(advisor.multiplier('ETHUSDT', clock.now)).toBe(0.9);
    expect(logged('confidence advice failed: ignored (the last advice holds until it is stale)').at(-1)).toMatchObject({ outcome: 'rate-limited', status: 429, applied: 1.2 });
  });

  it('ignores a 500, a timeout, a malformed answer and an answer that arrives after its maximum age', async () => {
    const ask = async (symbol: string) => {
      clock.now += 61_000;
      await advisor.refresh(symbol, INPUTS);
    };
    azure.answer = { kind: '500' };
    await ask('SOLUSDT');
    azure.answer = { kind: 'hang' };
    const t = performance.now();
    await ask('SOLUSDT');
    expect(performance.now() - t).toBeLessThan(5_000);
    azure.answer = { kind: 'content', content: 'I think 0.7' };
    await ask('SOLUSDT');
    azure.answer = { kind: 'content', content: JSON.stringify({ confidence_multiplier: -1, reason: 'x' }) };
    await ask('SOLUSDT');
    let release = () => undefined as void;
    azure.answer = { kind: 'held', content: answer(0.85), released: new Promise<void>((r) => (release = r)) };
    clock.now += 61_000;
    const pending = advisor.refresh('SOLUSDT', INPUTS);
    await expect.poll(() => azure.requests.length).toBe(5);
    clock.now += 181_000; // the features it saw are stale by the time it answers
    release();
    await pending;
    expect(advisor.multiplier('SOLUSDT', clock.now)).toBe(1);
    expect(advisor.adjustedCount('SOLUSDT')).toBe(0);
    expect(await calls('http-error')).toBe(1);
    expect(await calls('timeout')).toBe(1);
    expect(await calls('invalid-answer')).toBe(3);
    const failures = logged('confidence advice failed: ignored (the last advice holds until it is stale)').filter((l) => l['market'] === 'SOLUSDT');
    expect(failures.map((l) => l['reason'])).toEqual([
      'Azure OpenAI answered 500 (InternalServerError)',
      'Azure OpenAI did not answer in time',
      'the answer is not the requested JSON object',
      'the answer is not the requested JSON object',
      'the answer came after its maximum age',
    ]);
  });

  it('builds nothing when off: no advisor, no client; on without its key it says which variable is missing', () => {
    const off = azureOpenAiConfigSchema.parse({ endpoint: azure.endpoint, deployment: DEPLOYMENT, confidence: { enabled: true } });
    expect(createConfidenceAdvisor(off, { azureOpenAiApiKey: new Secret(KEY) }, logger())).toBeNull();
    const featureOff = azureOpenAiConfigSchema.parse({ enabled: true, endpoint: azure.endpoint, deployment: DEPLOYMENT });
    expect(createConfidenceAdvisor(featureOff, { azureOpenAiApiKey: new Secret(KEY) }, logger())).toBeNull();
    const noKey = azureOpenAiConfigSchema.parse({ enabled: true, endpoint: azure.endpoint, deployment: DEPLOYMENT, confidence: { enabled: true } });
    expect(() => createConfidenceAdvisor(noKey, {}, logger())).toThrow('integrations.azureOpenai is enabled but FLASHMM_AZURE_OPENAI_API_KEY is not set');
    expect(() => azureOpenAiConfigSchema.parse({ enabled: true })).toThrow(/endpoint[\s\S]*required when enabled/);
    expect(azure.requests).toHaveLength(0);
  });

  it('flashmm report: a commentary from publishable figures only when enabled; none and no call when off; a failure leaves the report without it', async () => {
    const file = recording('spot_btcusdt_20240808.gz');
    writeFileSync(join(dir, 'bt.json'), runBacktest({ path: file, records: true }).json);
    const config = (azureYaml: string) => {
      const path = join(dir, `c${Math.random().toString(36).slice(2)}.yml`);
      writeFileSync(path, `telemetry:\n  logFormat: json\nintegrations:\n  azureOpenai:\n    endpoint: ${azure.endpoint}\n    deployment: ${DEPLOYMENT}\n${azureYaml}`);
      return path;
    };
    const report = (cfg: string) =>
      run(process.execPath, [cli, 'report', '--backtest', join(dir, 'bt.json'), '--recording', file, '--out', join(dir, 'r'), '--config', cfg], {
        env: { ...process.env, FLASHMM_AZURE_OPENAI_API_KEY: KEY }, timeout: 60_000,
      });
    const off = await report(config('    commentary:\n      enabled: true\n'));
    expect(azure.requests).toHaveLength(0);
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).not.toContain('id="commentary"');

    azure.answer = { kind: 'content', content: 'A quiet six minutes: the quoter joined a one-tick market & lost a little.' };
    const on = await report(config('    enabled: true\n    commentary:\n      enabled: true\n'));
    expect(azure.requests).toHaveLength(1);
    const prompt = azure.requests[0]!.body.messages[1]!.content;
    expect(JSON.parse(prompt)).toMatchObject({ market: 'BTCUSDT', source: 'backtest', figures: { pnl: expect.stringContaining('net P&L: -0.003445945') } });
    expect(prompt).not.toMatch(/inventory|position/i);
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(html).toContain('<p id="commentary-text">A quiet six minutes: the quoter joined a one-tick market &#38; lost a little.</p>');

    azure.answer = { kind: '500' };
    const failed = await report(config('    enabled: true\n    commentary:\n      enabled: true\n'));
    expect(readFileSync(join(dir, 'r.html'), 'utf8')).not.toContain('id="commentary"');
    expect(failed.stderr).toContain('"msg":"market commentary failed: the report goes without it"');
    for (const out of [off, on, failed]) expect(out.stdout + out.stderr).not.toContain(KEY);
    logs.push(off.stderr, on.stderr, failed.stderr);
  });
});
