// One chat completion on an Azure OpenAI deployment through the `openai` package's AzureOpenAI
// client: POST {endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…
// with the `api-key` header. No retries inside the client (the caller decides: the next
// refresh is the retry), a timeout per call, the SDK's own logging off. Errors become
// IntegrationErrors (kind, status, retry time), never the SDK's error objects.
import { APIConnectionError, APIConnectionTimeoutError, APIError, AzureOpenAI } from 'openai';
import type { Secret } from '../../config/secret.js';
import { IntegrationError } from '../outcome.js';
import type { AzureOpenAiConfig } from './config.js';

export interface ChatRequest {
  readonly system: string;
  readonly user: string;
  readonly maxTokens: number;
  readonly timeoutMs: number;
  /** A JSON schema the answer must follow (structured output); plain text without. */
  readonly schema?: { readonly name: string; readonly schema: Record<string, unknown> };
}

export interface AzureChat {
  /** The answer's text (JSON text with a schema). */
  complete(request: ChatRequest): Promise<string>;
}

/** `retry-after-ms` (ms), `retry-after` (seconds or an HTTP date): when to try again. */
function retry(headers: Headers | undefined): IntegrationError['retry'] {
  const ms = Number(headers?.get('retry-after-ms') ?? Number.NaN);
  if (Number.isFinite(ms) && ms >= 0) return { afterMs: ms };
  const after = headers?.get('retry-after');
  if (after === null || after === undefined) return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds)) return { afterMs: seconds * 1000 };
  const date = Date.parse(after);
  return Number.isNaN(date) ? undefined : { atMs: date };
}

function asIntegrationError(err: unknown): IntegrationError {
  if (err instanceof APIConnectionTimeoutError) return new IntegrationError('timeout', 'Azure OpenAI did not answer in time');
  if (err instanceof APIConnectionError) return new IntegrationError('network-error', 'cannot reach Azure OpenAI');
  if (err instanceof APIError && err.status !== undefined) {
    const code = err.code ? ` (${err.code})` : '';
    return err.status === 429
      ? new IntegrationError('rate-limited', `Azure OpenAI answered 429${code}`, 429, retry(err.headers))
      : new IntegrationError('http-error', `Azure OpenAI answered ${err.status}${code}`, err.status);
  }
  return new IntegrationError('invalid-answer', `unexpected answer from Azure OpenAI: ${err instanceof Error ? err.message : String(err)}`);
}

export function azureChat(config: AzureOpenAiConfig, apiKey: Secret): AzureChat {
  if (config.endpoint === undefined || config.deployment === undefined) throw new Error('integrations.azureOpenai: endpoint and deployment are required');
  const deployment = config.deployment;
  const client = new AzureOpenAI({
    endpoint: config.endpoint, deployment, apiVersion: config.apiVersion, apiKey: apiKey.reveal(),
    maxRetries: 0, logLevel: 'off',
  });
  return {
    async complete(request) {
      let answer;
      try {
        answer = await client.chat.completions.create(
          {
            model: deployment,
            messages: [{ role: 'system', content: request.system }, { role: 'user', content: request.user }],
            max_tokens: request.maxTokens,
            temperature: 0,
            ...(request.schema === undefined
              ? {}
              : { response_format: { type: 'json_schema' as const, json_schema: { name: request.schema.name, strict: true, schema: request.schema.schema } } }),
          },
          { timeout: request.timeoutMs },
        );
      } catch (err) {
        throw asIntegrationError(err);
      }
      const text = answer.choices[0]?.message.content;
      if (typeof text !== 'string' || text.trim() === '') throw new IntegrationError('invalid-answer', 'Azure OpenAI answered without content');
      return text;
    },
  };
}
