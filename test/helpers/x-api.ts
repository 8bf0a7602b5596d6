// A local HTTPS server that speaks the parts of the X API v2 a report post uses, as documented
// (docs.x.com): the chunked media upload (POST /2/media/upload/initialize with a JSON body,
// POST /2/media/upload/{id}/append as multipart/form-data with `media` and `segment_index`,
// POST /2/media/upload/{id}/finalize) and POST /2/tweets (JSON `{ text, media: { media_ids } }`,
// 201 `{ data: { id, text } }`), with OAuth 1.0a user-context signatures checked (RFC 5849,
// HMAC-SHA1) and the documented 429 answer (x-rate-limit-* headers, problem JSON). The
// certificate is self-signed for 127.0.0.1 (openssl); clients trust it through `ca`.
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';

export interface XCredentialValues {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly accessToken: string;
  readonly accessSecret: string;
}

export interface XRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType: string;
  readonly json?: unknown | undefined;
  readonly form?: { readonly media: Buffer; readonly segmentIndex: string } | undefined;
  /** Whether the OAuth 1.0a signature verified with the expected credentials. */
  readonly signed: boolean;
  readonly authorization: string;
}

/** How the server answers POST /2/tweets next: normally, 429, 500, or never (a hung request). */
export type TweetMode = { kind: 'ok' } | { kind: '429'; resetEpochS: number } | { kind: '500' } | { kind: 'hang' };

export interface FakeX {
  readonly baseUrl: string;
  readonly ca: string;
  readonly caFile: string;
  readonly requests: XRequest[];
  tweetMode: TweetMode;
  close(): Promise<void>;
}

export const MEDIA_ID = '1880028106020515840';
export const POST_ID = '1445880548472328192';

const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** RFC 5849 §3.4: the signature base string over the oauth_* and query (and form-encoded body) parameters. */
function oauthValid(req: IncomingMessage, body: Buffer, origin: string, creds: XCredentialValues): boolean {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('OAuth ')) return false;
  const oauth = Object.fromEntries(
    [...header.slice(6).matchAll(/([a-z_]+)="([^"]*)"/g)].map((m) => [m[1]!, decodeURIComponent(m[2]!)]),
  );
  if (oauth['oauth_consumer_key'] !== creds.apiKey || oauth['oauth_token'] !== creds.accessToken) return false;
  if (oauth['oauth_signature_method'] !== 'HMAC-SHA1' || oauth['oauth_version'] !== '1.0' || !oauth['oauth_nonce'] || !oauth['oauth_timestamp']) return false;
  const url = new URL(req.url ?? '/', origin);
  const params: [string, string][] = Object.entries(oauth).filter(([k]) => k !== 'oauth_signature');
  for (const [k, v] of url.searchParams) params.push([k, v]);
  if ((req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
    for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.push([k, v]);
  }
  const normalised = params.map(([k, v]) => [enc(k), enc(v)]).sort(([a, b], [c, d]) => (a! < c! ? -1 : a! > c! ? 1 : b! < d! ? -1 : 1)).map(([k, v]) => `${k}=${v}`).join('&');
  const base = [req.method ?? 'GET', enc(`${url.origin}${url.pathname}`), enc(normalised)].join('&');
  const expected = createHmac('sha1', `${enc(creds.apiSecret)}&${enc(creds.accessSecret)}`).update(base).digest('base64');
  return expected === oauth['oauth_signature'];
}

/**
 * The parts of a multipart/form-data body by name, bytes as sent (RFC 7578). Binary-safe:
 * X's upload takes `media` without a filename, which WHATWG form parsers read as text.
 */
function multipart(body: Buffer, boundary: string): Map<string, Buffer> {
  const parts = new Map<string, Buffer>();
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const start = at + delimiter.length + 2; // past "\r\n" (or "--" at the end)
    const next = body.indexOf(delimiter, start);
    if (next < 0) break;
    const part = body.subarray(start, next - 2); // without the "\r\n" before the delimiter
    const split = part.indexOf('\r\n\r\n');
    const name = /name="([^"]+)"/.exec(part.subarray(0, split).toString('utf8'))?.[1];
    if (name !== undefined) parts.set(name, Buffer.from(part.subarray(split + 4)));
    at = next;
  }
  return parts;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

/** A self-signed certificate for 127.0.0.1 in `dir`. */
function certificate(dir: string): { key: string; cert: string; certFile: string } {
  const keyFile = join(dir, 'x-key.pem');
  const certFile = join(dir, 'x-cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), certFile };
}

export async function startFakeX(dir: string, creds: XCredentialValues): Promise<FakeX> {
  const { key, cert, certFile } = certificate(dir);
  const requests: XRequest[] = [];
  let origin = '';
  const state: { tweetMode: TweetMode } = { tweetMode: { kind: 'ok' } };
  const server: Server = createServer({ key, cert }, (req, res) => {
    void (async () => {
      const body = await readBody(req);
      const contentType = req.headers['content-type'] ?? '';
      const path = new URL(req.url ?? '/', origin).pathname;
      let json: unknown;
      let form: XRequest['form'];
      if (contentType.startsWith('application/json')) json = JSON.parse(body.toString('utf8'));
      if (contentType.startsWith('multipart/form-data')) {
        const parts = multipart(body, /boundary=(\S+)/.exec(contentType)?.[1] ?? '');
        form = { media: parts.get('media') ?? Buffer.alloc(0), segmentIndex: parts.get('segment_index')?.toString('utf8') ?? '' };
      }
      const signed = oauthValid(req, body, origin, creds);
      requests.push({ method: req.method ?? '', path, contentType, json, form, signed, authorization: req.headers.authorization ?? '' });
      if (!signed) return send(res, 401, { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' });
      const upload = /^\/2\/media\/upload\/(initialize|(\d+)\/append|(\d+)\/finalize)$/.exec(path);
      if (req.method === 'POST' && upload?.[1] === 'initialize') {
        return send(res, 200, { data: { id: MEDIA_ID, media_key: `3_${MEDIA_ID}`, expires_after_secs: 86_400 } });
      }
      if (req.method === 'POST' && upload?.[2] === MEDIA_ID) return send(res, 200, { data: { expires_at: 1_900_000_000 } });
      if (req.method === 'POST' && upload?.[3] === MEDIA_ID) {
        const size = requests.filter((r) => r.form !== undefined).reduce((n, r) => n + (r.form?.media.length ?? 0), 0);
        return send(res, 200, { data: { id: MEDIA_ID, media_key: `3_${MEDIA_ID}`, size, expires_after_secs: 86_400 } });
      }
      if (req.method === 'POST' && path === '/2/tweets') {
        const mode = state.tweetMode;
        if (mode.kind === 'hang') return; // never answers; closed with the server
        if (mode.kind === '429') {
          return send(res, 429, { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 }, {
            'x-rate-limit-limit': '17', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(mode.resetEpochS),
          });
        }
        if (mode.kind === '500') return send(res, 500, { title: 'Internal Server Error', detail: 'Internal Server Error', type: 'about:blank', status: 500 });
        const text = (json as { text?: string } | undefined)?.text ?? '';
        return send(res, 201, { data: { id: POST_ID, text, edit_history_tweet_ids: [POST_ID] } });
      }
      return send(res, 404, { title: 'Not Found Error', type: 'about:blank', status: 404, detail: `no route ${req.method} ${path}` });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  origin = `https://127.0.0.1:${port}`;
  return {
    baseUrl: origin,
    ca: cert,
    caFile: certFile,
    requests,
    get tweetMode() {
      return state.tweetMode;
    },
    set tweetMode(m: TweetMode) {
      state.tweetMode = m;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
