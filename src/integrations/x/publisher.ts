// Posts a report's card and one-line summary to X, within limits: never when the integration is
// off (the X client is not even built), only logged in dry-run mode, at most `maxPostsPerDay`
// in any 24 hours and `minIntervalMinutes` apart, and not before the time X gave with a 429.
// A post is not retried: X has no idempotency key, and a post whose answer timed out may have
// gone out, so an uncertain attempt counts against the limits like a sent one. Every attempt is
// logged once (outcome, sizes, duration; never credentials) and counted.
import { createHash } from 'node:crypto';
import type { Logger } from '../../telemetry/logger.js';
import { IntegrationError, type IntegrationCalls } from '../outcome.js';
import type { XApi } from './api.js';
import type { XConfig } from './config.js';

export interface XPost {
  readonly text: string;
  /** The card, PNG. */
  readonly card: Buffer;
}

export type PublishOutcome =
  | { readonly status: 'disabled' }
  | { readonly status: 'dry-run' }
  | { readonly status: 'posted'; readonly id: string }
  | { readonly status: 'rate-limited'; readonly by: 'config' | 'x'; readonly retryAtMs: number }
  | { readonly status: 'failed'; readonly outcome: IntegrationError['outcome']; readonly reason: string };

export interface XPublisherDeps {
  readonly config: XConfig;
  readonly log: Logger;
  /** Builds the client on first use (never when off or in dry-run mode). */
  readonly api: () => XApi;
  readonly now?: () => number;
  readonly calls?: IntegrationCalls;
}

const DAY_MS = 86_400_000;

export class XPublisher {
  /** Start times of attempts that reached the post call, oldest first (the last 24 h). */
  private readonly attempts: number[] = [];
  private blockedUntilMs = 0;
  private client: XApi | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: XPublisherDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** When the next post may go out (ms since the epoch): now, or later under the limits. */
  nextAllowedAt(nowMs = this.now()): { atMs: number; by: 'config' | 'x' } {
    while (this.attempts.length > 0 && this.attempts[0]! <= nowMs - DAY_MS) this.attempts.shift();
    const { maxPostsPerDay, minIntervalMinutes } = this.deps.config;
    let at = nowMs;
    const last = this.attempts[this.attempts.length - 1];
    if (last !== undefined) at = Math.max(at, last + minIntervalMinutes * 60_000);
    if (this.attempts.length >= maxPostsPerDay) at = Math.max(at, this.attempts[this.attempts.length - maxPostsPerDay]! + DAY_MS);
    return this.blockedUntilMs > at ? { atMs: this.blockedUntilMs, by: 'x' } : { atMs: at, by: 'config' };
  }

  async publish(post: XPost): Promise<PublishOutcome> {
    const { config, log } = this.deps;
    if (!config.enabled) return { status: 'disabled' };
    const fields = { integration: 'x', textLength: post.text.length, cardBytes: post.card.length };
    if (config.dryRun) {
      const cardSha256 = createHash('sha256').update(post.card).digest('hex');
      log.info({ ...fields, text: post.text, cardSha256 }, 'x dry run: would post this text with the card');
      return { status: 'dry-run' };
    }
    const started = this.now();
    const allowed = this.nextAllowedAt(started);
    if (allowed.atMs > started) {
      log.warn({ ...fields, by: allowed.by, retryAt: new Date(allowed.atMs).toISOString() }, 'x post skipped: rate limit');
      this.count('post', 'rate-limited');
      return { status: 'rate-limited', by: allowed.by, retryAtMs: allowed.atMs };
    }
    this.client ??= this.deps.api();
    let op: 'upload' | 'post' = 'upload';
    try {
      const mediaId = await this.client.uploadPng(post.card);
      this.count('upload', 'ok');
      op = 'post';
      this.attempts.push(started);
      const id = await this.client.post(post.text, mediaId);
      this.count('post', 'ok');
      log.info({ ...fields, id, durationMs: this.now() - started }, 'x post published');
      return { status: 'posted', id };
    } catch (err) {
      const e = err instanceof IntegrationError ? err : new IntegrationError('invalid-answer', err instanceof Error ? err.message : String(err));
      this.count(op, e.outcome);
      if (e.outcome === 'rate-limited') {
        // X's 429 carries x-rate-limit-reset; without it, wait X's 15-minute rate-limit window.
        this.blockedUntilMs = Math.max(this.blockedUntilMs, e.retryAtMs(this.now(), 15 * 60_000));
      }
      log.warn(
        { ...fields, op, outcome: e.outcome, status: e.status, reason: e.message, durationMs: this.now() - started },
        'x post failed',
      );
      return e.outcome === 'rate-limited'
        ? { status: 'rate-limited', by: 'x', retryAtMs: this.blockedUntilMs }
        : { status: 'failed', outcome: e.outcome, reason: e.message };
    }
  }

  private count(op: string, outcome: string): void {
    this.deps.calls?.inc({ integration: 'x', op, outcome });
  }
}
