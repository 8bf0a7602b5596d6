import { it } from 'vitest';
import { chromium } from 'playwright-core';
import { startControlPlane } from './helpers/control-plane.js';
it('shot', async () => {
  const cp = await startControlPlane({});
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  page.on('console', (m) => console.log('console', m.type(), m.text()));
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  page.on('request', (r) => { if (!r.url().startsWith(cp.server.url) && !r.url().startsWith('data:')) console.log('EXTERNAL', r.url()); });
  await page.goto(cp.server.url + '/');
  await page.waitForTimeout(3000);
  await page.screenshot({ path: 'test-artifacts/smoke.png', fullPage: true });
  await page.goto(cp.server.url + '/api/v1/reference');
  await page.waitForTimeout(2000);
  await page.screenshot({ path: 'test-artifacts/ref.png' });
  await browser.close();
  await cp.stop();
}, 60000);
