// An optional market commentary for a performance report, written by an Azure OpenAI
// deployment from the report's publishable figures only (the summary fields and the market
// spread: no positions, no orders, nothing secret). A failure leaves the report without it.
import type { Logger } from '../../telemetry/logger.js';
import { fieldText, periodText, SUMMARY_FIELDS, type ReportFigures } from '../../report/figures.js';
import { IntegrationError, type IntegrationCalls } from '../outcome.js';
import type { AzureChat } from './chat.js';
import type { AzureOpenAiConfig } from './config.js';

const SYSTEM = [
  "You write a short factual commentary (at most 120 words) on a market maker's performance report for one market and period.",
  'Use only the figures given; do not invent numbers; no investment advice.',
].join(' ');

export function commentaryPrompt(f: ReportFigures): string {
  return JSON.stringify({
    market: f.symbol,
    period: periodText(f.period),
    source: f.kind,
    figures: Object.fromEntries(SUMMARY_FIELDS.map((field) => {
      const t = fieldText(f, field);
      return [field, `${t.label}: ${t.value} (${t.detail})`];
    })),
    market_spread_bps: f.spread.marketSpreadBps,
  });
}

export interface Commentary {
  readonly text: string;
  readonly deployment: string;
}

/** The commentary, or null (off, or the call failed: logged and counted). */
export async function marketCommentary(
  config: AzureOpenAiConfig,
  chat: () => AzureChat,
  f: ReportFigures,
  log: Logger,
  calls?: IntegrationCalls,
): Promise<Commentary | null> {
  if (!config.enabled || !config.commentary.enabled) return null;
  const started = Date.now();
  const fields = { integration: 'azure-openai', op: 'commentary', market: f.symbol };
  try {
    const text = await chat().complete({ system: SYSTEM, user: commentaryPrompt(f), maxTokens: config.commentary.maxTokens, timeoutMs: config.commentary.timeoutMs });
    calls?.inc({ integration: 'azure-openai', op: 'commentary', outcome: 'ok' });
    log.info({ ...fields, outcome: 'ok', durationMs: Date.now() - started, chars: text.length }, 'market commentary received');
    return { text: text.trim(), deployment: config.deployment ?? '' };
  } catch (err) {
    const e = err instanceof IntegrationError ? err : new IntegrationError('invalid-answer', err instanceof Error ? err.message : String(err));
    calls?.inc({ integration: 'azure-openai', op: 'commentary', outcome: e.outcome });
    log.warn({ ...fields, outcome: e.outcome, status: e.status, reason: e.message, durationMs: Date.now() - started }, 'market commentary failed: the report goes without it');
    return null;
  }
}
