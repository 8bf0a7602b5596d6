// Builds the web page into dist/web: src/web/app.ts bundled with uPlot (JS and CSS) by esbuild,
// the HTML copied, and the API reference (Swagger UI's files from its npm package) beside it.
// Everything the page loads at run time comes from the daemon; nothing from the network.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const out = join(root, 'dist', 'web');
mkdirSync(join(out, 'reference'), { recursive: true });

await build({
  entryPoints: [join(here, 'app.ts')],
  bundle: true, minify: true, sourcemap: true, format: 'esm', target: 'es2022',
  outdir: out, logLevel: 'warning',
});
copyFileSync(join(here, 'index.html'), join(out, 'index.html'));
copyFileSync(join(here, 'reference', 'index.html'), join(out, 'reference', 'index.html'));
copyFileSync(join(here, 'reference', 'init.js'), join(out, 'reference', 'init.js'));
const swagger = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
for (const file of ['swagger-ui-bundle.js', 'swagger-ui.css']) copyFileSync(join(swagger, file), join(out, 'reference', file));
