// The audit trail of admin actions: who (the token's name and role, never the token), what,
// the state before and after, and the outcome (refused and unsupported attempts are recorded
// too). Kept in the log today; a Redis sink (storage) implements the same interface.
import type { Logger } from '../telemetry/logger.js';
import type { Actor } from './control.js';

export type AuditOutcome = 'applied' | 'invalid' | 'not_implemented' | 'not_found' | 'failed';

export interface AuditEntry {
  readonly atMs: number;
  readonly actor: Actor;
  /** e.g. 'pause', 'kill', 'params'. */
  readonly action: string;
  /** The market, or 'all'. */
  readonly target: string;
  readonly outcome: AuditOutcome;
  readonly before?: unknown;
  readonly after?: unknown;
  /** What was asked for (a parameter patch), or why it was refused. */
  readonly detail?: unknown;
}

export interface AuditSink {
  record(entry: AuditEntry): void;
}

/** One `admin action` log line per entry, on the `audit` component. */
export class LogAuditSink implements AuditSink {
  constructor(private readonly log: Logger) {}

  record(entry: AuditEntry): void {
    this.log.info({ audit: entry }, 'admin action');
  }
}
