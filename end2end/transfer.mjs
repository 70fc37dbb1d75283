// Bytes a browser transfers per page, from its own resource timing: run
// against a server that is already up (`./dev run`, or the debug server for
// a comparison). Usage: node end2end/transfer.mjs http://127.0.0.1:3000
// Prints, for a first visit (empty cache) and a second one (same browser),
// each page's transferred bytes: the document plus every resource.
import { chromium } from '@playwright/test';

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
const pages = ['/login', '/setup'];

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const context = await browser.newContext();
const page = await context.newPage();
for (const visit of ['first visit', 'second visit']) {
  for (const path of pages) {
    await page.goto(base + path, { waitUntil: 'load' });
    // The WASM is fetched by the hydration script after load.
    await page.waitForFunction(() =>
      performance.getEntriesByType('resource').some((e) => e.name.endsWith('.wasm')),
    );
    await page.waitForLoadState('networkidle');
    const sizes = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const resources = performance.getEntriesByType('resource');
      return {
        document: nav.transferSize,
        resources: resources.map((r) => ({ name: r.name.split('/').pop(), bytes: r.transferSize })),
      };
    });
    const total = sizes.document + sizes.resources.reduce((sum, r) => sum + r.bytes, 0);
    const detail = sizes.resources.map((r) => `${r.name} ${r.bytes}`).join(', ');
    console.log(`${visit} ${path}: ${total} bytes (document ${sizes.document}; ${detail})`);
  }
}
await browser.close();
