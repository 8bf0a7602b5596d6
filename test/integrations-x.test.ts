// The X publisher against a local server that speaks the X API v2 (test/helpers/x-api.ts):
// the real twitter-api-v2 client, a real card. Requests are well-formed and OAuth-signed, the
// limits hold (ours and X's 429), timeouts and 500s are reported and not retried, no secret
// reaches a log line, and with posting off nothing calls X.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Agent } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Secret, type Secrets } from '../src/config/secret.js';
import { xConfigSchema, type XConfig } from '../src/integrations/x/config.js';
import { createXPublisher, nextPostAt, startDailyPosts, type XPost } from '../src/integrations/x/index.js';
import { integrationCalls } from '../src/integrations/outcome.js';
import { recording } from '../src/config/data-dir.js';
import { runBacktest } from '../src/native.js';
import { BacktestJsonSource } from '../src/report/backtest-source.js';
import { createLogger } from '../src/telemetry/logger.js';
import { repoRoot } from './helpers/cargo.js';
import { removeDir, scratchDir } from './helpers/servers.js';
import { MEDIA_ID, POST_ID, startFakeX, type FakeX } from './helpers/x-api.js';

const run = promisify(execFile);
const cli = join(repoRoot.pathname, 'dist/cli.js');
const CREDS = { apiKey: 'xk-app-4f2a9c', apiSecret: 'xs-app-secret-77d1e0b3', accessToken: '1234-user-token-9a8b7c', accessSecret: 'xs-user-secret-5e6f70' };
const SECRETS: Secrets = { x: { apiKey: new Secret(CREDS.apiKey), apiSecret: new Secret(CREDS.apiSecret), accessToken: new Secret(CREDS.accessToken), accessSecret: new Secret(CREDS.accessSecret) } };
const CARD = Buffer.from('89504e470d0a1a0a' + 'ab'.repeat(3000), 'hex'); // PNG signature + bytes: the upload must carry them unchanged
const POST: XPost = { text: 'FlashMM BTCUSDT 2024-08-08 23:54–00:00 UTC (backtest): net P&L -0.003445945 · fills 345', card: CARD };

/** Every line any test logs, checked for secrets at the end. */
const logs: string[] = [];

function captureLog() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, cb) {
      const got = chunk.toString('utf8').split('\n').filter(Boolean);
      lines.push(...got);
      logs.push(...got);
      cb();
    },
  });
  return { log: createLogger({ level: 'debug', format: 'json', destination, isTTY: false }), lines };
}

describe('X publisher against a local X API v2', () => {
  let dir: string;
  let x: FakeX;
  let agent: Agent;
  const registry = new Registry();
  const calls = () => integrationCalls(registry);

  beforeAll(async () => {
    dir = scratchDir('x');
    x = await startFakeX(dir, CREDS);
    agent = new Agent({ ca: x.ca });
  });
  afterAll(async () => {
    // No line of any test's log holds a credential or the OAuth header.
    const all = logs.join('\n');
    for (const secret of Object.values(CREDS)) expect(all).not.toContain(secret);
    expect(all).not.toContain('oauth_signature');
    agent.destroy();
    await x.close();
    removeDir(dir);
  });
  beforeEach(() => {
    x.requests.length = 0;
    x.tweetMode = { kind: 'ok' };
  });

  function publisher(overrides: Partial<XConfig>, clock: { now: number }) {
    const config = xConfigSchema.parse({ enabled: true, apiBaseUrl: x.baseUrl, timeoutMs: 300, ...overrides });
    const { log, lines } = captureLog();
    // The rate limits read the test's clock; the transport is the real one.
    return { p: createXPublisher(config, SECRETS, log, { registry, agent, now: () => clock.now }), lines };
  }

  it('uploads the card in the documented three steps and posts the text with its media id, every request signed', async () => {
    const { p, lines } = publisher({}, { now: Date.UTC(2024, 7, 9) });
    await expect(p.publish(POST)).resolves.toEqual({ status: 'posted', id: POST_ID });
    expect(x.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'POST /2/media/upload/initialize', `POST /2/media/upload/${MEDIA_ID}/append`, `POST /2/media/upload/${MEDIA_ID}/finalize`, 'POST /2/tweets',
    ]);
    expect(x.requests.every((r) => r.signed)).toBe(true);
    const [init, append, , tweet] = x.requests;
    expect(init).toMatchObject({ contentType: expect.stringMatching(/^application\/json/), json: { media_type: 'image/png', total_bytes: CARD.length, media_category: 'tweet_image' } });
    expect(append?.form?.segmentIndex).toBe('0');
    expect(append?.form?.media.equals(CARD)).toBe(true);
    expect(tweet).toMatchObject({ contentType: expect.stringMatching(/^application\/json/), json: { text: POST.text, media: { media_ids: [MEDIA_ID] } } });
    const published = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'x post published');
    expect(published).toMatchObject({ integration: 'x', id: POST_ID, textLength: POST.text.length, cardBytes: CARD.length });
    expect((await calls().get()).values).toContainEqual(expect.objectContaining({ labels: { integration: 'x', op: 'post', outcome: 'ok' }, value: 1 }));
  });

  it('is refused by the server when signed with another secret (the signature check is real)', async () => {
    const config = xConfigSchema.parse({ enabled: true, apiBaseUrl: x.baseUrl, timeoutMs: 300 });
    const wrong: Secrets = { x: { ...SECRETS.x!, accessSecret: new Secret('not-the-secret') } };
    const p = createXPublisher(config, wrong, captureLog().log, { agent });
    await expect(p.publish(POST)).resolves.toEqual({ status: 'failed', outcome: 'http-error', reason: 'X answered 401: Unauthorized' });
    expect(x.requests.map((r) => [r.path, r.signed])).toEqual([['/2/media/upload/initialize', false]]);
  });

  it('keeps to its own limits: minIntervalMinutes apart and maxPostsPerDay in any 24 hours', async () => {
    const clock = { now: Date.UTC(2024, 7, 9) };
    const { p, lines } = publisher({ minIntervalMinutes: 30, maxPostsPerDay: 2 }, clock);
    expect((await p.publish(POST)).status).toBe('posted');
    clock.now += 10 * 60_000;
    await expect(p.publish(POST)).resolves.toEqual({ status: 'rate-limited', by: 'config', retryAtMs: Date.UTC(2024, 7, 9, 0, 30) });
    clock.now = Date.UTC(2024, 7, 9, 0, 30);
    expect((await p.publish(POST)).status).toBe('posted');
    clock.now = Date.UTC(2024, 7, 9, 12);
    await expect(p.publish(POST)).resolves.toEqual({ status: 'rate-limited', by: 'config', retryAtMs: Date.UTC(2024, 7, 10) });
    clock.now = Date.UTC(2024, 7, 10);
    expect((await p.publish(POST)).status).toBe('posted');
    expect(x.requests.filter((r) => r.path === '/2/tweets')).toHaveLength(3);
  });

  it("honours X's 429: not posted, nothing sent before x-rate-limit-reset, posted after it", async () => {
    const clock = { now: Date.UTC(2024, 7, 9) };
    const { p, lines } = publisher({ minIntervalMinutes: 0 }, clock);
    const resetEpochS = Date.UTC(2024, 7, 9, 0, 15) / 1000;
    x.tweetMode = { kind: '429', resetEpochS };
    await expect(p.publish(POST)).resolves.toEqual({ status: 'rate-limited', by: 'x', retryAtMs: resetEpochS * 1000 });
    x.tweetMode = { kind: 'ok' };
    x.requests.length = 0;
    clock.now = Date.UTC(2024, 7, 9, 0, 14);
    await expect(p.publish(POST)).resolves.toEqual({ status: 'rate-limited', by: 'x', retryAtMs: resetEpochS * 1000 });
    expect(x.requests).toHaveLength(0);
    clock.now = resetEpochS * 1000;
    expect((await p.publish(POST)).status).toBe('posted');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ msg: 'x post failed', op: 'post', outcome: 'rate-limited', status: 429 }));
  });

  it('reports a 500 and a timeout as failures and does not retry the post (it may have gone out)', async () => {
    const clock = { now: Date.UTC(2024, 7, 9) };
    const { p, lines } = publisher({ minIntervalMinutes: 0 }, clock);
    x.tweetMode = { kind: '500' };
    await expect(p.publish(POST)).resolves.toEqual({ status: 'failed', outcome: 'http-error', reason: 'X answered 500: Internal Server Error' });
    x.tweetMode = { kind: 'hang' };
    const t0 = performance.now();
    await expect(p.publish(POST)).resolves.toEqual({ status: 'failed', outcome: 'timeout', reason: 'X did not answer in time' });
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(x.requests.filter((r) => r.path === '/2/tweets')).toHaveLength(2);
    const values = (await calls().get()).values;
    expect(values).toContainEqual(expect.objectContaining({ labels: { integration: 'x', op: 'post', outcome: 'http-error' }, value: 1 }));
    expect(values).toContainEqual(expect.objectContaining({ labels: { integration: 'x', op: 'post', outcome: 'timeout' }, value: 1 }));
  });

  it('in dry-run mode logs what it would post and calls nothing; switched off it answers disabled without a client', async () => {
    const clock = { now: Date.UTC(2024, 7, 9) };
    const dry = publisher({ dryRun: true }, clock);
    await expect(dry.p.publish(POST)).resolves.toEqual({ status: 'dry-run' });
    expect(dry.lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toContainEqual(expect.objectContaining({ msg: 'x dry run: would post this text with the card', text: POST.text, cardBytes: CARD.length }));
    const off = publisher({ enabled: false }, clock);
    await expect(off.p.publish(POST)).resolves.toEqual({ status: 'disabled' });
    // Off, the credentials are not even needed.
    expect(() => createXPublisher(xConfigSchema.parse({}), {}, captureLog().log)).not.toThrow();
    expect(() => createXPublisher(xConfigSchema.parse({ enabled: true }), {}, captureLog().log)).toThrow('FLASHMM_X_API_KEY');
    expect(x.requests).toHaveLength(0);
  });

  it('posts daily at the configured UTC time the report of the 24 hours before (the source decides what it can report)', async () => {
    expect(nextPostAt(Date.UTC(2024, 7, 9, 0, 4), '00:05')).toBe(Date.UTC(2024, 7, 9, 0, 5));
    expect(nextPostAt(Date.UTC(2024, 7, 9, 0, 5), '00:05')).toBe(Date.UTC(2024, 7, 10, 0, 5));
    const file = recording('spot_btcusdt_20240808.gz');
    const out = runBacktest({ path: file, records: true });
    writeFileSync(join(dir, 'bt.json'), out.json);
    const source = new BacktestJsonSource({ resultPath: join(dir, 'bt.json'), spec: out.spec });
    const clock = { now: Date.UTC(2024, 7, 9, 0, 5) };
    const { p, lines } = publisher({}, clock);
    const armed: number[] = [];
    const posts = startDailyPosts({
      config: xConfigSchema.parse({ enabled: true }), source, publisher: p, log: captureLog().log, now: () => clock.now,
      timers: { setTimeout: (_fn, ms) => armed.push(ms), clearTimeout: () => undefined },
    });
    expect(armed).toEqual([24 * 3_600_000]); // the next 00:05 UTC
    // The backtest ran 2024-08-08 23:54–00:00: the 24 hours before 00:05 contain all of it.
    await expect(posts.runOnce(clock.now)).resolves.toEqual({ status: 'posted', id: POST_ID });
    const tweet = x.requests.find((r) => r.path === '/2/tweets')?.json as { text: string };
    expect(tweet.text).toMatch(/^FlashMM BTCUSDT 2024-08-08 23:54 – 2024-08-09 00:00 UTC \(backtest\): net P&L -0\.003445945 · fills 345 · spread vs market 0\.00 bp · forecast accuracy -$/);
    // A day that cuts into the backtest cannot be reported from it: nothing is posted.
    x.requests.length = 0;
    await expect(posts.runOnce(Date.UTC(2024, 7, 8, 23, 58))).resolves.toMatchObject({ status: 'no-report' });
    expect(x.requests).toHaveLength(0);
    posts.stop();
  });

  it('flashmm report --post: off by default (nothing sent), dry-run prints the post, and posts with the environment credentials', async () => {
    const file = recording('spot_btcusdt_20240808.gz');
    writeFileSync(join(dir, 'bt.json'), runBacktest({ path: file, records: true }).json);
    const config = (x2: Record<string, unknown>) => {
      const path = join(dir, `config-${Object.keys(x2).join('-') || 'off'}.yml`);
      writeFileSync(path, `telemetry:\n  logFormat: json\nintegrations:\n  x:\n    apiBaseUrl: ${x.baseUrl}\n${Object.entries(x2).map(([k, v]) => `    ${k}: ${String(v)}\n`).join('')}`);
      return path;
    };
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: x.caFile, FLASHMM_X_API_KEY: CREDS.apiKey, FLASHMM_X_API_SECRET: CREDS.apiSecret, FLASHMM_X_ACCESS_TOKEN: CREDS.accessToken, FLASHMM_X_ACCESS_SECRET: CREDS.accessSecret };
    const report = (cfg: string, ...extra: string[]) =>
      run(process.execPath, [cli, 'report', '--backtest', join(dir, 'bt.json'), '--recording', file, '--out', join(dir, 'r'), '--config', cfg, '--post', ...extra], { env, timeout: 60_000 })
        .then((r) => ({ code: 0, ...r }), (e: { code: number; stdout: string; stderr: string }) => e);
    const off = await report(config({}));
    expect(off).toMatchObject({ code: 1, stderr: 'flashmm report: X posting is off (integrations.x.enabled: false): nothing posted\n' });
    expect(x.requests).toHaveLength(0);
    const dry = await report(config({ enabled: true }), '--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/\ndry run: would post to X the text above with .*r\.png \(\d+ bytes\)\n$/);
    expect(x.requests).toHaveLength(0);
    const posted = await report(config({ enabled: true }));
    expect(posted).toMatchObject({ code: 0 });
    expect(posted.stdout.endsWith(`posted to X: ${POST_ID}\n`)).toBe(true);
    expect(x.requests.map((r) => r.path).at(-1)).toBe('/2/tweets');
    expect(x.requests.every((r) => r.signed)).toBe(true);
    for (const out of [off, dry, posted]) for (const secret of Object.values(CREDS)) expect(out.stdout + out.stderr).not.toContain(secret);
    logs.push(off.stderr, dry.stderr, posted.stderr);
  });
});
