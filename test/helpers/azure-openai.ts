// A local HTTP server that speaks Azure OpenAI's chat completions as documented (Azure OpenAI
// REST reference): POST /openai/deployments/{deployment}/chat/completions?api-version=…,
// the key in the `api-key` header, a JSON body with `messages` (and `response_format` for
// structured output), answered with a `chat.completion` object; errors as
// `{ error: { code, message } }`, 429 with `retry-after`. What it answers next is set per test.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface AzureRequest {
  readonly method: string;
  readonly path: string;
  readonly apiVersion: string | null;
  readonly apiKey: string | undefined;
  readonly authorization: string | undefined;
  readonly body: {
    model?: string;
    messages: { role: string; content: string }[];
    max_tokens?: number;
    temperature?: number;
    response_format?: { type: string; json_schema?: { name: string; strict?: boolean; schema: unknown } };
  };
}

export type AzureAnswer =
  | { kind: 'content'; content: string }
  | { kind: '429'; retryAfterS: number }
  | { kind: '500' }
  | { kind: 'hang' }
  /** Holds the answer until `release()` is called. */
  | { kind: 'held'; content: string; released: Promise<void> };

export interface FakeAzure {
  readonly endpoint: string;
  readonly requests: AzureRequest[];
  answer: AzureAnswer;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'apim-request-id': 'a4c1b9a0-0000-4000-8000-000000000000', ...headers });
  res.end(JSON.stringify(body));
}

function completion(content: string, model: string) {
  return {
    id: 'chatcmpl-AzUd1bTqvK8x', object: 'chat.completion', created: 1_723_161_600, model,
    choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, finish_reason: 'stop', logprobs: null }],
    usage: { prompt_tokens: 212, completion_tokens: 24, total_tokens: 236 },
    system_fingerprint: 'fp_azure',
  };
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startFakeAzure(deployment: string, apiKey: string): Promise<FakeAzure> {
  const requests: AzureRequest[] = [];
  const state: { answer: AzureAnswer } = { answer: { kind: 'content', content: '' } };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const parsed = JSON.parse((await body(req)) || '{}') as AzureRequest['body'];
      const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
      requests.push({
        method: req.method ?? '', path: url.pathname, apiVersion: url.searchParams.get('api-version'),
        apiKey: header('api-key'), authorization: header('authorization'), body: parsed,
      });
      if (url.pathname !== `/openai/deployments/${deployment}/chat/completions` || req.method !== 'POST') {
        return send(res, 404, { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } });
      }
      if (header('api-key') !== apiKey) {
        return send(res, 401, { error: { code: '401', message: 'Access denied due to invalid subscription key or wrong API endpoint.' } });
      }
      const answer = state.answer;
      switch (answer.kind) {
        case 'hang':
          return;
        case '429':
          return send(res, 429, { error: { code: '429', message: 'Requests to the ChatCompletions_Create Operation have exceeded the token rate limit of your current tier.' } }, { 'retry-after': String(answer.retryAfterS) });
        case '500':
          return send(res, 500, { error: { code: 'InternalServerError', message: 'The server had an error while processing your request.' } });
        case 'held':
          await answer.released;
          return send(res, 200, completion(answer.content, deployment));
        case 'content':
          return send(res, 200, completion(answer.content, deployment));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    get answer() {
      return state.answer;
    },
    set answer(a: AzureAnswer) {
      state.answer = a;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
