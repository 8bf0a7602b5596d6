// The daemon's own operator notifier: trading events that must reach a person at once (kill
// switch, breaker trip, limit breach, disconnect) go to a webhook as Slack-compatible JSON
// (Slack incoming webhooks, Mattermost and Rocket.Chat accept the same body), independently of
// Prometheus and Alertmanager, which may be down with the host.
//
// notify() never blocks and never throws: the quote loop calls it on every tick a condition
// holds, so it deduplicates (one message per condition until it clears or `repeatAfterMs`
// passes), rate-limits (a token bucket, so a flapping breaker cannot flood the channel; what
// the limit held back is counted and named in the next message), and delivers one message at
// a time in order, with retries. The webhook URL is a secret (a Slack URL carries its token):
// it is never logged, and errors are reported by status or error code only.
import pRetry, { AbortError } from 'p-retry';
import type { Secret } from '../config/secret.js';
import type { BreakerReason, KillEvent, RiskEvents, RiskTransition } from '../risk/events.js';
import { TokenBucket } from '../risk/token-bucket.js';
import type { Logger } from './logger.js';
import type { Metrics, NotificationOutcome } from './metrics.js';

export type OperatorEventKind = 'kill_switch' | 'breaker_trip' | 'limit_breach' | 'disconnect';
export type Severity = 'critical' | 'warning';

export interface OperatorEvent {
  readonly kind: OperatorEventKind;
  readonly severity: Severity;
  /**
   * What the condition is about, constant while it lasts (e.g. "SEI/USDC daily-loss", or "all"
   * for the kill switch): with `kind`, the deduplication key. Never a secret.
   */
  readonly subject: string;
  readonly title: string;
  readonly detail: string;
  readonly atMs: number;
  readonly fields?: Readonly<Record<string, string | number>>;
}

/** What notify() did with an event (`dropped`: the notifier is closed or its queue is full). */
export type NotifyDecision = 'queued' | 'deduplicated' | 'rate_limited' | 'dropped';

export interface NotifierOptions {
  readonly webhookUrl: Secret;
  /** Who is speaking, shown in every message (e.g. the pod or host name). */
  readonly source: string;
  /** A condition that is still active is announced again after this long. Default 1 h. */
  readonly repeatAfterMs?: number;
  /** Sustained messages per minute. Default 6. */
  readonly ratePerMinute?: number;
  /** Messages that may go out at once before the rate applies. Default 5. */
  readonly burst?: number;
  /** Per attempt. Default 5 s. */
  readonly timeoutMs?: number;
  /** Retries after a failed attempt (network error, 429 or 5xx). Default 3. */
  readonly retries?: number;
  /** First retry delay; doubles each retry. Default 500 ms. */
  readonly retryDelayMs?: number;
  /** Messages waiting for delivery beyond which new ones are dropped (counted as failed). Default 100. */
  readonly maxQueued?: number;
  readonly metrics?: Metrics;
  readonly log?: Logger;
  readonly nowMs?: () => number;
}

/** The subset of Slack's incoming-webhook message this notifier sends. */
export interface SlackMessage {
  readonly text: string;
  readonly attachments: readonly {
    readonly color: string;
    readonly title: string;
    readonly text: string;
    readonly fields: readonly { readonly title: string; readonly value: string; readonly short: boolean }[];
    readonly footer: string;
    /** Unix seconds. */
    readonly ts: number;
  }[];
}

const COLOR: Readonly<Record<Severity, string>> = { critical: 'danger', warning: 'warning' };

/** The Slack-compatible body for `event`; `suppressed` counts the messages the rate limit held back. */
export function slackMessage(event: OperatorEvent, source: string, suppressed = 0): SlackMessage {
  const fields = Object.entries(event.fields ?? {}).map(([title, value]) => ({ title, value: String(value), short: true }));
  if (suppressed > 0) fields.push({ title: 'suppressed', value: `${suppressed} earlier notification(s) held back by the rate limit`, short: false });
  return {
    text: `[${event.severity.toUpperCase()}] FlashMM ${source}: ${event.title}`,
    attachments: [{
      color: COLOR[event.severity],
      title: event.title,
      text: event.detail,
      fields: [{ title: 'event', value: event.kind, short: true }, { title: 'subject', value: event.subject, short: true }, ...fields],
      footer: `flashmm ${source}`,
      ts: Math.floor(event.atMs / 1000),
    }],
  };
}

class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}

export class Notifier {
  private readonly bucket: TokenBucket;
  /** kind + subject → when it was last sent, for the conditions that have not cleared. */
  private readonly active = new Map<string, number>();
  private readonly queue: { readonly kind: OperatorEventKind; readonly message: SlackMessage }[] = [];
  private suppressed = 0;
  private draining: Promise<void> | null = null;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: NotifierOptions) {
    this.bucket = new TokenBucket((options.ratePerMinute ?? 6) / 60, options.burst ?? 5);
    this.now = options.nowMs ?? Date.now;
  }

  notify(event: OperatorEvent): NotifyDecision {
    const key = `${event.kind}\u0000${event.subject}`;
    const now = this.now();
    const last = this.active.get(key);
    if (last !== undefined && now - last < (this.options.repeatAfterMs ?? 3_600_000)) {
      this.count(event, 'deduplicated');
      return 'deduplicated';
    }
    if (this.closed || this.queue.length >= (this.options.maxQueued ?? 100)) {
      this.count(event, 'failed');
      this.options.log?.warn({ kind: event.kind }, this.closed ? 'notification dropped: notifier closed' : 'notification dropped: delivery queue full');
      return 'dropped';
    }
    if (!this.bucket.take(now)) {
      this.suppressed += 1;
      this.count(event, 'rate_limited');
      return 'rate_limited';
    }
    this.active.set(key, now);
    this.queue.push({ kind: event.kind, message: slackMessage(event, this.options.source, this.suppressed) });
    this.suppressed = 0;
    this.draining ??= this.drain();
    return 'queued';
  }

  /** The condition cleared (breaker back to active, kill switch released): its next occurrence is sent. */
  resolve(kind: OperatorEventKind, subject: string): void {
    this.active.delete(`${kind}\u0000${subject}`);
  }

  /** Resolves once every queued message has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.draining !== null) await this.draining;
  }

  /** Refuses new messages and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) {
      const { kind, message } = next;
      try {
        await this.deliver(message);
        this.options.metrics?.notifications.inc({ kind, outcome: 'sent' });
      } catch (err) {
        this.options.metrics?.notifications.inc({ kind, outcome: 'failed' });
        this.options.log?.warn({ kind, error: describe(err) }, 'notification not delivered');
      }
    }
    this.draining = null;
  }

  private deliver(message: SlackMessage): Promise<void> {
    const body = JSON.stringify(message);
    const attempt = async () => {
      let res: Response;
      try {
        res = await fetch(this.options.webhookUrl.reveal(), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5_000),
        });
        await res.arrayBuffer();
      } catch (err) {
        // fetch's own error may quote the URL: keep only its code.
        throw new DeliveryError(describe(err));
      }
      if (res.ok) return;
      const error = new DeliveryError(`HTTP ${res.status}`);
      // 4xx other than 429: the webhook refuses this message; asking again will not help.
      throw res.status === 429 || res.status >= 500 ? error : new AbortError(error);
    };
    return pRetry(attempt, {
      retries: this.options.retries ?? 3,
      minTimeout: this.options.retryDelayMs ?? 500,
      factor: 2,
      randomize: false,
    });
  }

  private count(event: OperatorEvent, outcome: NotificationOutcome): void {
    this.options.metrics?.notifications.inc({ kind: event.kind, outcome });
  }
}

/** An error's code or class and message, never a URL (fetch errors carry the cause's code). */
function describe(err: unknown): string {
  if (err instanceof DeliveryError) return err.message;
  if (err instanceof AbortError) return err.message;
  const cause = (err as { cause?: { code?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (err instanceof Error) return err.name === 'TimeoutError' ? 'timeout' : err.name;
  return 'unknown error';
}

const KIND_OF: Readonly<Record<Exclude<BreakerReason, 'kill'>, OperatorEventKind>> = {
  'daily-loss': 'limit_breach',
  drawdown: 'limit_breach',
  'position-limit': 'limit_breach',
  'stale-book': 'breaker_trip',
  'error-rate': 'breaker_trip',
  manual: 'breaker_trip',
  disconnect: 'disconnect',
};

/**
 * The risk manager's events as notifications: `risk.subscribe(riskNotifications(notifier))`.
 * A trip (to reducing or halted) is announced once per market and reason until it clears; the
 * kill switch once until `notifier.resolve('kill_switch', 'all')` (its release). The kill
 * switch's own per-market halts are not announced separately.
 */
export function riskNotifications(notifier: Notifier): RiskEvents {
  return {
    onTransition(t: RiskTransition) {
      if (t.reason === 'kill') return;
      const kind = KIND_OF[t.reason];
      const subject = `${t.symbol} ${t.reason}`;
      if (t.cause === 'cleared' || t.to === 'active') {
        notifier.resolve(kind, subject);
        return;
      }
      notifier.notify({
        kind, subject, severity: t.to === 'halted' ? 'critical' : 'warning', atMs: t.atMs,
        title: `${t.symbol} ${t.to === 'halted' ? 'halted' : 'reducing only'}: ${t.reason}`,
        detail: t.detail, fields: { market: t.symbol, from: t.from, to: t.to },
      });
    },
    onKill(k: KillEvent) {
      notifier.notify({
        kind: 'kill_switch', subject: 'all', severity: 'critical', atMs: k.atMs,
        title: 'Kill switch engaged: every order cancelled, quoting stopped',
        detail: k.detail, fields: { trigger: k.automatic ? 'automatic' : 'operator' },
      });
    },
  };
}
