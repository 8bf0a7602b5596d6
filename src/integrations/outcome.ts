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
    /** When the service says to try again (ms since the epoch), after a 429. */
    readonly retryAtMs?: number,
  ) {
    super(message);
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
