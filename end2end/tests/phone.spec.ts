import { expect, open, signIn, test } from './helpers';

// Every page at a phone's width (390 px, as an iPhone 12 to 15): nothing
// wider than the screen, so nothing is hidden off to the side. Wide lists
// scroll inside their own card. Runs on what the other stories left behind:
// root (system admin), workspace acme with project WEB and repository
// marketing-site, tokens and app passwords.

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

test.use({ viewport: { width: 390, height: 844 } });

test('no page scrolls sideways at 390 px, and the top bar keeps the user and sign-out on it', async ({ page }) => {
  await open(page, '/login');
  const tooWide = (await page.evaluate(() => document.documentElement.scrollWidth)) - 390;
  expect(tooWide, '/login is wider than the screen').toBeLessThanOrEqual(0);
  await signIn(page, root);
  for (const path of pages) {
    await open(page, path);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width, `${path} is ${width} px wide`).toBeLessThanOrEqual(390);
    // The name and "Sign out" stay inside the dark bar, on screen.
    const bar = await page.locator('header.topbar').boundingBox();
    for (const item of [page.locator('header.topbar .who'), page.getByRole('button', { name: 'Sign out' })]) {
      const box = await item.boundingBox();
      expect(box, `${path}: the top bar item is shown`).not.toBeNull();
      expect(box!.x + box!.width, `${path}: on screen`).toBeLessThanOrEqual(390);
      expect(box!.y + box!.height, `${path}: inside the bar`).toBeLessThanOrEqual(bar!.y + bar!.height);
    }
  }
});
