// The web page at / and the API reference at /api/v1/reference: files built into dist/web by
// `npm run build` (src/web/build.mjs), read once at start and served from memory. Only files
// that exist at start are served, so no request path reaches the file system.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ApiEnv } from './app.js';
import { errorBody } from './errors.js';

/** dist/web beside this file's package (src/api and dist/api are both two levels down). */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../dist/web/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.map': 'application/json', '.png': 'image/png', '.svg': 'image/svg+xml',
};

interface Asset {
  readonly body: Uint8Array;
  readonly type: string;
}

/** The page's URL paths (the UI, not the API): the OpenAPI test excludes exactly these. */
export const WEB_ROUTES = ['/', '/assets/*', '/api/v1/reference', '/api/v1/reference/*'] as const;

function load(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string): void => {
    for (const name of readdirSync(at)) {
      const path = join(at, name);
      if (statSync(path).isDirectory()) walk(path);
      else assets.set('/' + relative(dir, path).split(sep).join('/'), { body: readFileSync(path), type: TYPES[extname(name)] ?? 'application/octet-stream' });
    }
  };
  walk(dir);
  return assets;
}

export function registerWeb(app: OpenAPIHono<ApiEnv>, webDir: string | null): void {
  const assets = webDir !== null && existsSync(join(webDir, 'index.html')) ? load(webDir) : null;
  const serve = (file: string) => (c: Context<ApiEnv>) => {
    if (assets === null) return c.json(errorBody('not_ready', 'the web page is not built: run `npm run build`'), 503);
    const asset = assets.get(file);
    if (asset === undefined) return c.json(errorBody('not_found', 'no such file'), 404);
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'content-type': asset.type, 'cache-control': 'no-cache' });
  };
  app.get('/', (c) => serve('/index.html')(c));
  app.get('/assets/*', (c) => serve(c.req.path.slice('/assets'.length))(c));
  app.get('/api/v1/reference', (c) => serve('/reference/index.html')(c));
  app.get('/api/v1/reference/*', (c) => serve(c.req.path.slice('/api/v1'.length))(c));
}
