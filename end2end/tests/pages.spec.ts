import { readFileSync } from 'node:fs';
import { Page } from '@playwright/test';
import { expect, open, signIn, test } from './helpers';

// Every page, at a desktop's width (1280 px) and a phone's (390 px, as an
// iPhone 12 to 15), with what the other stories left behind: root (system
// admin), workspace acme with project WEB and repository marketing-site,
// tokens and app passwords.
// - axe-core finds no serious or critical accessibility violation;
// - at 390 px nothing is wider than the screen (wide lists scroll inside
//   their own card) and the top bar keeps the user's name and "Sign out" on
//   it;
// - a full-page screenshot of each is saved under test-results/screenshots
//   for a person to look at (nothing compares them).

const root = { username: 'root', password: 'correct horse battery staple' };

const pages = [
  '/',
  '/admin',
  '/admin/access-tokens',
  '/admin/app-passwords',
  '/admin/users/bob/access-tokens',
  '/w/acme',
  '/w/acme/settings',
  '/w/acme/settings/access-tokens',
  '/w/acme/projects/WEB/access-tokens',
  '/w/acme/repos/marketing-site/access-tokens',
  '/account/access-tokens',
  '/account/app-passwords',
];

// axe's own script, evaluated in the page through the DevTools protocol
// (the page's Content-Security-Policy rightly refuses injected <script>s).
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    // @ts-expect-error: axe is defined by the script evaluated above.
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations
      .filter((v: { impact: string }) => v.impact === 'serious' || v.impact === 'critical')
      .map(
        (v: { id: string; impact: string; nodes: { target: string[] }[] }) =>
          `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
      );
  });
}

const shot = (width: number, path: string) =>
  `test-results/screenshots/${width}/${path === '/' ? 'home' : path.slice(1).replaceAll('/', '_')}.png`;

for (const width of [1280, 390]) {
  test.describe(`at ${width} px`, () => {
    test.use({ viewport: { width, height: width > 400 ? 900 : 844 } });

    test('every page: no serious accessibility issue, nothing off the side of the screen', async ({ page }) => {
      const check = async (path: string) => {
        expect(await seriousViolations(page), `${path}: axe`).toEqual([]);
        await page.screenshot({ path: shot(width, path), fullPage: true });
        const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(scrollWidth, `${path} is ${scrollWidth} px wide`).toBeLessThanOrEqual(width);
      };
      await open(page, '/login');
      await check('/login');
      await signIn(page, root);
      for (const path of pages) {
        await open(page, path);
        await check(path);
        // The name and "Sign out" stay inside the dark bar, on screen.
        const bar = await page.locator('header.topbar').boundingBox();
        for (const item of [page.locator('header.topbar .who'), page.getByRole('button', { name: 'Sign out' })]) {
          const box = await item.boundingBox();
          expect(box, `${path}: the top bar item is shown`).not.toBeNull();
          expect(box!.x + box!.width, `${path}: on screen`).toBeLessThanOrEqual(width);
          expect(box!.y + box!.height, `${path}: inside the bar`).toBeLessThanOrEqual(bar!.y + bar!.height);
        }
      }
    });
  });
}
