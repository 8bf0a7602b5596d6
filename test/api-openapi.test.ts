// The OpenAPI document: valid OpenAPI 3.1 by a maintained validator, and it lists exactly the
// routes the app serves (the web page's files apart), each with its role where it has one.
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { WEB_ROUTES } from '../src/api/web.js';
import { call, type ControlPlane, roleTokens, startControlPlane, tokenConfig } from './helpers/control-plane.js';

let cp: ControlPlane;

beforeAll(async () => {
  cp = await startControlPlane({ tokens: tokenConfig(roleTokens()) });
}, 30_000);

afterAll(async () => {
  await cp?.stop();
});

type Doc = { openapi: string; paths: Record<string, Record<string, { security?: unknown; 'x-role'?: string; responses: Record<string, unknown> }>> };

it('is valid OpenAPI 3.1', async () => {
  const doc = (await call(cp.server.url, '/api/v1/openapi.json')).body as Doc;
  const validator = new Validator();
  const result = await validator.validate(doc as unknown as Parameters<Validator['validate']>[0]);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');
});

it('lists exactly the served routes, the admin ones needing admin', async () => {
  const doc = (await call(cp.server.url, '/api/v1/openapi.json')).body as Doc;
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`)).sort();
  const web = new Set<string>(WEB_ROUTES);
  const served = [...new Set(cp.server.app.routes
    .filter((r) => r.method !== 'ALL' && !web.has(r.path))
    .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`))].sort();
  expect(documented).toEqual(served);
  expect(documented).toHaveLength(18);
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (path.startsWith('/api/v1/admin/')) {
        expect(op['x-role'], `${method} ${path}`).toBe('admin');
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '401', '403', '413', '429', '501']));
      }
      if (op.security !== undefined) expect(op.responses['401'], `${method} ${path}`).toBeDefined();
    }
  }
});

it('the reference page and its assets are served by the daemon itself', async () => {
  const page = await call(cp.server.url, '/api/v1/reference');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  for (const src of page.text.match(/(?:src|href)="([^"]+)"/g) ?? []) {
    const url = src.replace(/^(?:src|href)="|"$/g, '');
    if (url.startsWith('data:')) continue;
    expect(url.startsWith('/api/v1/reference/'), url).toBe(true);
    expect((await call(cp.server.url, url)).status, url).toBe(200);
  }
});
