// What an outside service's answer was, in one vocabulary for every integration, and a counter
// of them. Errors from the client libraries are turned into an `IntegrationError` at the
// adapter, so no library error object (which can carry request headers, hence credentials)
// ever reaches a log line or a metric: only its kind, HTTP status and a short reason.
import { Counter, type Registry } from 'prom-client';
import { METRIC_PREFIX } from '../telemetry/metrics.js';

export type CallOutcome = 'ok' | 'rate-limited' | 'timeout' | 'http-error' | 'network-error' | 'invalid-answer';

export class IntegrationError extends Error {
  override readonly name = 'IntegrationError';
  constructor(
    readonly outcome: Exclude<CallOutcome, 'ok'>,
    message: string,
    /** HTTP status, when the service answered. */
    readonly status?: number,
    /** After a 429: when the service says to try again, as a time (ms since the epoch) or a wait (ms). */
    readonly retry?: { readonly atMs: number } | { readonly afterMs: number },
  ) {
    super(message);
  }

  /** When to try again after a 429, on the caller's clock; `fallbackMs` when the service did not say. */
  retryAtMs(nowMs: number, fallbackMs: number): number {
    if (this.retry === undefined) return nowMs + fallbackMs;
    return 'atMs' in this.retry ? this.retry.atMs : nowMs + this.retry.afterMs;
  }
}

/** Calls to outside services by integration, operation and outcome. */
export type IntegrationCalls = Counter<'integration' | 'op' | 'outcome'>;

/** Registers `flashmm_integration_calls_total` on the daemon's registry (or a test's). */
export function integrationCalls(registry: Registry): IntegrationCalls {
  const name = `${METRIC_PREFIX}integration_calls_total`;
  const existing = registry.getSingleMetric(name);
  if (existing !== undefined) return existing as IntegrationCalls;
  return new Counter({
    name, help: 'Calls to outside services (X, Azure OpenAI), by integration, operation and outcome.',
    labelNames: ['integration', 'op', 'outcome'], registers: [registry],
  });
}
