// No route, log line, error body or metric label leaks a mnemonic, a keystore password or a
// token: every route of the OpenAPI document is called with the secrets in every place a client
// can put them (bearer token, query, headers, bodies, junk JSON, the method, the path, the
// websocket subprotocol), by valid and invalid callers, and everything that comes back or is
// logged or exported is searched for them.
import { request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadSecrets, type Secret } from '../src/config/secret.js';
import { call, type ControlPlane, roleTokens, SIM_CONFIG, startControlPlane, tokenConfig } from './helpers/control-plane.js';

const MNEMONIC = 'abandon ability able about above absent absorb abstract absurd abuse access accident';
const PASSWORD = 'keystore-pw "quoted" \\ 9';
const tokens = roleTokens();
const WRONG = `fmm_${'A'.repeat(43)}`;
let cp: ControlPlane;
const seen: string[] = [];

beforeAll(async () => {
  const signing = loadSecrets({ FLASHMM_MNEMONIC: MNEMONIC }).signingKey;
  const keystore = loadSecrets({ FLASHMM_KEYSTORE_PATH: '/tmp/k.json', FLASHMM_KEYSTORE_PASSWORD: PASSWORD }).signingKey;
  const secrets = [signing, keystore].map((k) => (k?.kind === 'mnemonic' ? k.mnemonic : k?.kind === 'keystore' ? k.password : null)).filter((s): s is Secret => s !== null);
  expect(secrets).toHaveLength(2);
  cp = await startControlPlane({ tokens: tokenConfig(tokens) }, SIM_CONFIG, secrets);
  cp.log.info({ signing, keystore }, 'secrets loaded'); // what a daemon may log at start
  await cp.nextLine((l) => l.msg === 'first quote sent');
}, 30_000);

afterAll(async () => {
  await cp?.stop();
});

async function record(path: string, options: Parameters<typeof call>[2]): Promise<void> {
  const reply = await call(cp.server.url, path, options);
  seen.push(`${reply.status} ${JSON.stringify([...reply.headers])} ${reply.text}`);
}

function rawRequest(method: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(`${cp.server.url}${path}`, { method }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => {
        seen.push(`${res.statusCode} ${JSON.stringify(res.headers)} ${body}`);
        resolve();
      });
    });
    req.on('error', reject);
    req.end();
  });
}

it('no secret in any answer, log line or metric', async () => {
  const doc = (await call(cp.server.url, '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const secretsAsTokens = [MNEMONIC, PASSWORD, WRONG, tokens.admin.slice(0, -1)];
  let calls = 0;
  for (const [template, methods] of Object.entries(doc.paths)) {
    const path = template.replace('{symbol}', encodeURIComponent('SEI/USDC'));
    for (const method of Object.keys(methods).map((m) => m.toUpperCase())) {
      const bodies = method === 'GET' ? [undefined] : [
        { reason: MNEMONIC }, { reason: `token ${tokens.admin} password ${PASSWORD}` },
        { strategy: { kind: PASSWORD, glft: { gamma: MNEMONIC } }, risk: { [tokens.admin]: 1 } },
        `{"reason": "${WRONG}`,
      ];
      const auths = [...secretsAsTokens, tokens.read, tokens.admin];
      for (const body of bodies) {
        for (const token of auths) {
          await record(`${path}?token=${tokens.admin}&password=${encodeURIComponent(PASSWORD)}`, {
            method, token, body, headers: { 'x-api-key': PASSWORD, cookie: `session=${tokens.trade}` },
          });
          calls += 1;
        }
      }
    }
  }
  await record(`/api/v1/${tokens.admin}`, { token: tokens.admin });
  await record(`/api/v1/markets/${encodeURIComponent(MNEMONIC)}`, {});
  await rawRequest(`X${tokens.admin.replace('fmm_', '')}`, '/api/v1/status');
  for (const protocol of [`bearer.${WRONG}`, `bearer.${tokens.admin}`]) {
    await new Promise<void>((resolve) => {
      const ws = new WebSocket(`${cp.server.url.replace('http', 'ws')}/api/v1/stream?token=${tokens.read}`, ['flashmm.v1', protocol]);
      ws.on('message', (data) => {
        seen.push(data.toString());
        ws.close();
      });
      ws.on('unexpected-response', (_req, res) => {
        seen.push(`ws ${res.statusCode}`);
        resolve();
      });
      ws.on('close', () => resolve());
      ws.on('error', () => resolve());
    });
  }
  seen.push((await call(cp.server.url, '/metrics')).text);
  const corpus = [...seen, ...cp.lines.map((l) => JSON.stringify(l))].join('\n');

  expect(calls).toBeGreaterThan(100);
  // The calls did reach the handlers: admin actions were audited (with the secrets scrubbed).
  const reasons = cp.lines.filter((l) => l.component === 'audit').map((l) => (l['audit'] as { detail?: unknown }).detail);
  expect(reasons).toContain('[redacted]');
  expect(seen.some((s) => s.startsWith('200 '))).toBe(true);
  expect(seen.some((s) => s.startsWith('401 '))).toBe(true);
  expect(seen).toContain('ws 401');

  for (const secret of [MNEMONIC, PASSWORD, JSON.stringify(PASSWORD).slice(1, -1), 'keystore-pw', 'abandon ability', WRONG, ...Object.values(tokens)]) {
    expect(corpus.includes(secret), `leaked: ${secret.slice(0, 12)}…`).toBe(false);
  }
  expect(corpus.match(/fmm_[A-Za-z0-9_-]{16,}/g)).toBeNull();
}, 120_000);
