import { test as base, expect, Page } from '@playwright/test';

/**
 * Playwright's `test`, failing any test whose page logs a script error or a
 * console error (a hydration mismatch, a panic in the WASM client, an invalid
 * attribute) or breaks the Content-Security-Policy (each violation is
 * reported as a console error, whether or not the browser logs it itself).
 * Error statuses of refused requests are part of the tests, so the
 * browser's "Failed to load resource" lines are not counted.
 */
export const test = base.extend({
  page: async ({ page }, use) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline code'}`),
      );
    });
    await use(page);
    expect(errors, 'errors in the browser console').toEqual([]);
  },
});
export { expect };

/**
 * Waits until the WASM client runs and has hydrated every island on the page
 * (pages are rendered on the server; only islands are interactive). A page
 * without islands loads no client, so there is nothing to wait for.
 */
export async function hydrated(page: Page) {
  if ((await page.locator('leptos-island').count()) === 0) return;
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached();
  await page.waitForFunction(
    () => document.querySelectorAll('leptos-island').length <= Number(document.body.dataset.islandsReady ?? 0),
  );
}

/** Opens `path` and waits until its islands are interactive. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await hydrated(page);
}

/** Signs in through the form and waits for the home page. */
export async function signIn(page: Page, who: { username: string; password: string }) {
  await open(page, '/login');
  await page.getByLabel('Username or email').fill(who.username);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
}
