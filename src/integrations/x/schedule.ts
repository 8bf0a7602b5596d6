// The daily X post: at `schedule.dailyAtUtc` the report of the 24 hours before is built from a
// report source (the daemon's Redis state, in phase 2) and handed to the publisher with its
// card and one-line summary. Timers are injected so a test drives the clock.
import type { Logger } from '../../telemetry/logger.js';
import { renderCard } from '../../report/card.js';
import { reportFigures, summaryLine } from '../../report/figures.js';
import type { ReportSource } from '../../report/source.js';
import type { XConfig } from './config.js';
import type { PublishOutcome, XPublisher } from './publisher.js';

const DAY_MS = 86_400_000;

/** The first `HH:MM` UTC strictly after `nowMs`. */
export function nextPostAt(nowMs: number, dailyAtUtc: string): number {
  const [h, m] = dailyAtUtc.split(':').map(Number) as [number, number];
  const day = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const today = day + (h * 60 + m) * 60_000;
  return today > nowMs ? today : today + DAY_MS;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface DailyPostsDeps {
  readonly config: XConfig;
  readonly source: ReportSource;
  readonly publisher: XPublisher;
  readonly log: Logger;
  readonly now?: () => number;
  readonly timers?: Timers;
}

export interface DailyPosts {
  /** Builds and publishes the report of the 24 hours before `atMs`. */
  runOnce(atMs: number): Promise<PublishOutcome | { readonly status: 'no-report'; readonly reason: string }>;
  stop(): void;
}

export function startDailyPosts(deps: DailyPostsDeps): DailyPosts {
  const now = deps.now ?? Date.now;
  const timers: Timers = deps.timers ?? { setTimeout: (fn, ms) => setTimeout(fn, ms).unref(), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };
  let handle: unknown = null;
  let stopped = false;

  const runOnce: DailyPosts['runOnce'] = async (atMs) => {
    try {
      const toNs = BigInt(atMs) * 1_000_000n;
      const data = await deps.source.load({ period: { fromNs: toNs - BigInt(DAY_MS) * 1_000_000n, toNs } });
      const figures = reportFigures(data);
      const fields = deps.config.summaryFields;
      return await deps.publisher.publish({ text: summaryLine(figures, fields), card: renderCard(figures, fields) });
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      deps.log.warn({ integration: 'x', reason }, 'x daily post: no report to post');
      return { status: 'no-report', reason };
    }
  };

  const arm = (): void => {
    if (stopped) return;
    const at = nextPostAt(now(), deps.config.schedule.dailyAtUtc);
    handle = timers.setTimeout(() => {
      void runOnce(at).finally(arm);
    }, at - now());
  };
  if (deps.config.enabled) arm();
  return {
    runOnce,
    stop() {
      stopped = true;
      if (handle !== null) timers.clearTimeout(handle);
    },
  };
}
