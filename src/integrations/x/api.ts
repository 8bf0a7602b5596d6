// The two X API v2 calls a report post needs, through `twitter-api-v2` with OAuth 1.0a user
// context: the chunked media upload (POST /2/media/upload/initialize, …/{id}/append,
// …/{id}/finalize) and POST /2/tweets with the media id. Library errors become
// IntegrationErrors here (status, retry time; never the request, which holds the OAuth header).
import type { Agent } from 'node:https';
import { ApiRequestError, ApiResponseError, TwitterApi, TwitterApiv2, type ITwitterApiClientPlugin } from 'twitter-api-v2';
import type { XCredentials } from '../../config/secret.js';
import { IntegrationError } from '../outcome.js';
import type { XConfig } from './config.js';

export interface XApi {
  /** Uploads a PNG for a post; resolves with its media id. */
  uploadPng(png: Buffer): Promise<string>;
  /** Posts `text` with the uploaded media; resolves with the post's id. */
  post(text: string, mediaId: string): Promise<string>;
}

function asIntegrationError(err: unknown): IntegrationError {
  if (err instanceof ApiResponseError) {
    if (err.code === 429) {
      const reset = err.rateLimit?.reset; // epoch seconds (x-rate-limit-reset)
      return new IntegrationError('rate-limited', 'X answered 429 Too Many Requests', 429, reset === undefined ? undefined : { atMs: reset * 1000 });
    }
    const title = typeof err.data?.title === 'string' ? `: ${err.data.title}` : '';
    return new IntegrationError('http-error', `X answered ${err.code}${title}`, err.code);
  }
  if (err instanceof ApiRequestError) {
    // twitter-api-v2 1.29 stores the cause as `error` but reads it back as `requestError`.
    const cause = (err.requestError as Error | undefined) ?? (err as unknown as { _options?: { error?: Error } })._options?.error;
    const reason = cause?.message ?? err.message;
    return /timeout/i.test(reason) ? new IntegrationError('timeout', 'X did not answer in time') : new IntegrationError('network-error', `cannot reach X: ${reason}`);
  }
  return new IntegrationError('invalid-answer', `unexpected answer from X: ${err instanceof Error ? err.message : String(err)}`);
}

/** The v2 client at another origin (`cloneWithPrefix` cannot be used: it calls the class without `new`). */
class TwitterApiV2At extends TwitterApiv2 {
  constructor(base: TwitterApi, prefix: string) {
    super(base);
    this.setPrefix(prefix);
  }
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asIntegrationError(err);
  }
}

/** X through twitter-api-v2. `agent`: an https.Agent (a proxy, or a test server's CA). */
export function twitterXApi(config: Pick<XConfig, 'apiBaseUrl' | 'timeoutMs'>, credentials: XCredentials, agent?: Agent): XApi {
  // The library has no client-wide timeout: set the socket idle timeout on every request.
  const timeout: ITwitterApiClientPlugin = {
    onBeforeRequestConfig: ({ params }) => {
      params.timeout = config.timeoutMs;
    },
  };
  const base = new TwitterApi(
    {
      appKey: credentials.apiKey.reveal(), appSecret: credentials.apiSecret.reveal(),
      accessToken: credentials.accessToken.reveal(), accessSecret: credentials.accessSecret.reveal(),
    },
    { plugins: [timeout], ...(agent === undefined ? {} : { httpAgent: agent }) },
  );
  const client = new TwitterApiV2At(base, `${config.apiBaseUrl.replace(/\/+$/, '')}/2/`);
  return {
    uploadPng: (png) => call(() => client.uploadMedia(png, { media_type: 'image/png', media_category: 'tweet_image' })),
    post: async (text, mediaId) => (await call(() => client.tweet({ text, media: { media_ids: [mediaId] } }))).data.id,
  };
}
