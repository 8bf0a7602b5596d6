// When Avellaneda–Stoikov quotes, and the end its finite horizon counts down to (Hummingbot's
// execution_timeframe_mode): 'infinite' quotes always, the finite horizon running over
// epoch-aligned sessions of as.sessionSeconds; 'from-date-to-date' quotes inside one window and
// τ counts down to its end; 'daily-between-times' does the same every UTC day (a window may
// wrap midnight). Outside its window AS posts nothing. Pure: time comes in.
import type { QuotingConfig } from '../config.js';

export interface ExecutionWindow {
  /** Quoting is allowed now. */
  readonly open: boolean;
  /** Seconds to the end of the current window (or session), the finite horizon's τ; NaN when closed. */
  readonly tauSeconds: number;
}

const NS_PER_S = 1_000_000_000n;
const DAY_S = 86_400;
const CLOSED: ExecutionWindow = { open: false, tauSeconds: Number.NaN };

/** Seconds left in the session containing nowNs (sessions aligned to the epoch). */
export function secondsToSessionEnd(nowNs: bigint, sessionSeconds: number): number {
  const sessionNs = BigInt(Math.round(sessionSeconds * 1e9));
  const intoSession = ((nowNs % sessionNs) + sessionNs) % sessionNs;
  return Number(sessionNs - intoSession) / Number(NS_PER_S);
}

/** 'HH:MM[:SS]' as seconds after UTC midnight (the config schema checked the format). */
function secondOfDay(text: string): number {
  const [h = 0, m = 0, s = 0] = text.split(':').map(Number);
  return h * 3600 + m * 60 + s;
}

export function executionWindow(nowNs: bigint, as: QuotingConfig['as']): ExecutionWindow {
  const t = as.executionTimeframe;
  switch (t.mode) {
    case 'infinite':
      return { open: true, tauSeconds: secondsToSessionEnd(nowNs, as.sessionSeconds) };
    case 'from-date-to-date': {
      const nowMs = Number(nowNs / 1_000_000n);
      const [start, end] = [Date.parse(t.start ?? ''), Date.parse(t.end ?? '')];
      return nowMs >= start && nowMs < end ? { open: true, tauSeconds: (end - nowMs) / 1e3 } : CLOSED;
    }
    case 'daily-between-times': {
      const now = secondsToSessionEnd(nowNs, DAY_S); // seconds left in the UTC day
      const t0 = DAY_S - now; // seconds into it
      const [start, end] = [secondOfDay(t.start ?? ''), secondOfDay(t.end ?? '')];
      const inside = start < end ? t0 >= start && t0 < end : t0 >= start || t0 < end;
      return inside ? { open: true, tauSeconds: (end - t0 + DAY_S) % DAY_S } : CLOSED;
    }
  }
}
