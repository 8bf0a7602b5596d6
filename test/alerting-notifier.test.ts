// The daemon's own notifier against a real local HTTP receiver: Slack-compatible JSON, a kill
// switch announced once however many ticks report it, the rate limit, retries, and a webhook
// URL (a secret) that never reaches a log line.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Secret } from '../src/config/secret.js';
import { createLogger } from '../src/telemetry/logger.js';
import { createMetrics } from '../src/telemetry/metrics.js';
import {
  Notifier, type NotifierOptions, type OperatorEvent, riskNotifications, slackMessage, type SlackMessage,
} from '../src/telemetry/notifier.js';
import { freePort } from './helpers/servers.js';
import { startWebhookReceiver, type WebhookReceiver } from './helpers/prometheus.js';

// A Slack webhook URL carries its token in the path: it must never be logged.
const TOKEN_PATH = '/services/T0000/B0000/XXXXsecretXXXX';

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
afterAll(() => receiver.close());

const kill = (atMs: number): OperatorEvent => ({
  kind: 'kill_switch', severity: 'critical', subject: 'all', title: 'Kill switch engaged',
  detail: 'daily loss limit: every order cancelled', atMs, fields: { trigger: 'daily-loss' },
});
const trip = (market: string, atMs: number): OperatorEvent => ({
  kind: 'breaker_trip', severity: 'warning', subject: `${market} stale-book`, title: `${market} halted`, detail: 'no book update for 3 s', atMs,
});

function setup(overrides: Partial<NotifierOptions> = {}, url = receiver.url + TOKEN_PATH) {
  let now = 1_700_000_000_000;
  const lines: string[] = [];
  const log = createLogger({
    format: 'json', level: 'debug',
    destination: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString()), cb()) }),
  });
  const metrics = createMetrics({ build: { version: 'test' }, defaultMetrics: false });
  const notifier = new Notifier({ webhookUrl: new Secret(url), source: 'flashmm-0', metrics, log, nowMs: () => now, retryDelayMs: 10, ...overrides });
  return { notifier, metrics, lines, advance: (ms: number) => (now += ms), now: () => now };
}

const bodies = (from: number): SlackMessage[] => receiver.received.slice(from).map((r) => JSON.parse(r.body) as SlackMessage);

describe('Notifier', () => {
  test('a kill switch reported on every tick is delivered once, as Slack-compatible JSON', async () => {
    const { notifier, metrics, advance, now } = setup();
    const before = receiver.received.length;
    const decisions = [];
    for (let tick = 0; tick < 50; tick++) {
      decisions.push(notifier.notify(kill(now())));
      advance(200);
    }
    await notifier.idle();
    expect(decisions[0]).toBe('queued');
    expect(decisions.slice(1).every((d) => d === 'deduplicated')).toBe(true);
    const got = receiver.received.slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]?.path).toBe(TOKEN_PATH);
    expect(got[0]?.headers['content-type']).toBe('application/json');
    expect(bodies(before)[0]).toEqual(slackMessage(kill(1_700_000_000_000), 'flashmm-0'));
    expect(bodies(before)[0]).toEqual({
      text: '[CRITICAL] FlashMM flashmm-0: Kill switch engaged',
      attachments: [{
        color: 'danger', title: 'Kill switch engaged', text: 'daily loss limit: every order cancelled',
        fields: [
          { title: 'event', value: 'kill_switch', short: true },
          { title: 'subject', value: 'all', short: true },
          { title: 'trigger', value: 'daily-loss', short: true },
        ],
        footer: 'flashmm flashmm-0', ts: 1_700_000_000,
      }],
    });
    const page = await metrics.render();
    expect(page).toContain('flashmm_notifications_total{kind="kill_switch",outcome="sent"} 1');
    expect(page).toContain('flashmm_notifications_total{kind="kill_switch",outcome="deduplicated"} 49');
  });

  test('after the condition clears, its next occurrence is delivered; a lasting one is repeated after repeatAfterMs', async () => {
    const { notifier, advance, now } = setup({ repeatAfterMs: 60_000 });
    const before = receiver.received.length;
    expect(notifier.notify(trip('SEI/USDC', now()))).toBe('queued');
    advance(1_000);
    expect(notifier.notify(trip('SEI/USDC', now()))).toBe('deduplicated');
    notifier.resolve('breaker_trip', 'SEI/USDC stale-book');
    expect(notifier.notify(trip('SEI/USDC', now()))).toBe('queued');
    advance(59_000);
    expect(notifier.notify(trip('SEI/USDC', now()))).toBe('deduplicated');
    advance(1_000);
    expect(notifier.notify(trip('SEI/USDC', now()))).toBe('queued');
    await notifier.idle();
    expect(bodies(before).map((b) => b.attachments[0]?.ts)).toEqual([1_700_000_000, 1_700_000_001, 1_700_000_061]);
  });

  test('the rate limit holds back a flood and names what it held back in the next message', async () => {
    const { notifier, metrics, advance, now } = setup({ burst: 2, ratePerMinute: 1 });
    const before = receiver.received.length;
    const markets = ['A', 'B', 'C', 'D', 'E'];
    expect(markets.map((m) => notifier.notify(trip(m, now())))).toEqual(['queued', 'queued', 'rate_limited', 'rate_limited', 'rate_limited']);
    advance(60_000); // one token back
    expect(notifier.notify(trip('F', now()))).toBe('queued');
    await notifier.idle();
    const got = bodies(before);
    expect(got.map((b) => b.attachments[0]?.title)).toEqual(['A halted', 'B halted', 'F halted']);
    expect(got[2]?.attachments[0]?.fields.at(-1)).toEqual({ title: 'suppressed', value: '3 earlier notification(s) held back by the rate limit', short: false });
    expect(await metrics.render()).toContain('flashmm_notifications_total{kind="breaker_trip",outcome="rate_limited"} 3');
  });

  test('a 5xx is retried and delivered once; a 4xx is not retried', async () => {
    const { notifier, metrics, now } = setup();
    const before = receiver.received.length;
    receiver.failNext(2, 503);
    notifier.notify(trip('SEI/USDC', now()));
    await notifier.idle();
    expect(receiver.received.length - before).toBe(1);
    receiver.failNext(1, 400);
    notifier.notify(trip('ETH/USDC', now()));
    await notifier.idle();
    expect(receiver.received.length - before).toBe(1);
    const page = await metrics.render();
    expect(page).toContain('flashmm_notifications_total{kind="breaker_trip",outcome="sent"} 1');
    expect(page).toContain('flashmm_notifications_total{kind="breaker_trip",outcome="failed"} 1');
  });

  test('an unreachable webhook: counted as failed, logged by error code, the URL never logged', async () => {
    const port = await freePort(); // nothing listens there
    const { notifier, metrics, lines, now } = setup({ retries: 1 }, `http://127.0.0.1:${port}${TOKEN_PATH}`);
    notifier.notify(kill(now()));
    await notifier.close();
    expect(notifier.notify(trip('SEI/USDC', now()))).toBe('dropped');
    expect(await metrics.render()).toContain('flashmm_notifications_total{kind="kill_switch",outcome="failed"} 1');
    const failure = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'notification not delivered');
    expect(failure?.['error']).toBe('ECONNREFUSED');
    expect(lines.join('')).not.toContain('secret');
    expect(lines.join('')).not.toContain(String(port));
  });

  test('riskNotifications: trips once per market and reason until cleared, kill once, kill halts not repeated', async () => {
    const { notifier, now } = setup();
    const before = receiver.received.length;
    const events = riskNotifications(notifier);
    const at = now();
    const transition = (symbol: string, to: 'active' | 'reducing' | 'halted', reason: 'daily-loss' | 'stale-book' | 'disconnect' | 'kill', cause: 'tripped' | 'cleared') =>
      events.onTransition?.({ symbol, from: to === 'active' ? 'halted' : 'active', to, reason, cause, detail: `${reason} detail`, atMs: at });
    for (let tick = 0; tick < 10; tick++) transition('SEI/USDC', 'halted', 'stale-book', 'tripped');
    transition('SEI/USDC', 'active', 'stale-book', 'cleared');
    transition('SEI/USDC', 'halted', 'stale-book', 'tripped');
    transition('ETH/USDC', 'reducing', 'daily-loss', 'tripped');
    transition('ETH/USDC', 'halted', 'disconnect', 'tripped');
    for (let tick = 0; tick < 10; tick++) events.onKill?.({ detail: 'operator: SIGUSR2', automatic: false, atMs: at });
    transition('SEI/USDC', 'halted', 'kill', 'tripped');
    await notifier.idle();
    const got = bodies(before).map((b) => [b.text, b.attachments[0]?.fields.slice(0, 2).map((f) => f.value)]);
    expect(got).toEqual([
      ['[CRITICAL] FlashMM flashmm-0: SEI/USDC halted: stale-book', ['breaker_trip', 'SEI/USDC stale-book']],
      ['[CRITICAL] FlashMM flashmm-0: SEI/USDC halted: stale-book', ['breaker_trip', 'SEI/USDC stale-book']],
      ['[WARNING] FlashMM flashmm-0: ETH/USDC reducing only: daily-loss', ['limit_breach', 'ETH/USDC daily-loss']],
      ['[CRITICAL] FlashMM flashmm-0: ETH/USDC halted: disconnect', ['disconnect', 'ETH/USDC disconnect']],
      ['[CRITICAL] FlashMM flashmm-0: Kill switch engaged: every order cancelled, quoting stopped', ['kill_switch', 'all']],
    ]);
  });
});
