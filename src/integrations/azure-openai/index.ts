// Azure OpenAI for the daemon and the report: what the engine calls (phase 2 hook-up):
//
//   const advisor = createConfidenceAdvisor(config.integrations.azureOpenai, secrets, log, { registry: metrics.registry });
//   // off the hot path, not awaited, e.g. after a decision:  void advisor?.refresh(symbol, { features, forecast, horizonMs });
//   // on the hot path:                                        forecast = advisor?.adjust(symbol, forecast, nowMs) ?? forecast;
//
// Both return null / do nothing when the integration or the feature is off: no client is built.
import type { Registry } from 'prom-client';
import { SECRET_ENV, type Secrets } from '../../config/secret.js';
import type { Logger } from '../../telemetry/logger.js';
import { integrationCalls } from '../outcome.js';
import { azureChat, type AzureChat } from './chat.js';
import type { AzureOpenAiConfig } from './config.js';
import { ConfidenceAdvisor } from './confidence.js';

export { ConfidenceAdvisor, type ConfidenceInputs } from './confidence.js';
export { marketCommentary, type Commentary } from './commentary.js';
export type { AzureOpenAiConfig } from './config.js';

/** The chat client factory, or null when the integration is off; throws when it is on without its key. */
export function azureChatFactory(config: AzureOpenAiConfig, secrets: Secrets): (() => AzureChat) | null {
  if (!config.enabled) return null;
  const key = secrets.azureOpenAiApiKey;
  if (key === undefined) throw new Error(`integrations.azureOpenai is enabled but ${SECRET_ENV.azureOpenAiApiKey} is not set`);
  let chat: AzureChat | null = null;
  return () => (chat ??= azureChat(config, key));
}

export function createConfidenceAdvisor(
  config: AzureOpenAiConfig,
  secrets: Secrets,
  log: Logger,
  options: { readonly registry?: Registry; readonly now?: () => number } = {},
): ConfidenceAdvisor | null {
  if (!config.enabled || !config.confidence.enabled) return null;
  const { registry, now } = options;
  const chat = azureChatFactory(config, secrets);
  if (chat === null) return null;
  const advisor = new ConfidenceAdvisor({
    config: config.confidence, chat, log: log.child({ component: 'azure-openai' }),
    ...(registry === undefined ? {} : { calls: integrationCalls(registry) }),
    ...(now === undefined ? {} : { now }),
  });
  if (registry !== undefined) advisor.register(registry);
  return advisor;
}
