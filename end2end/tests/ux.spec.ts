import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Locator, Page, request as playwrightRequest } from '@playwright/test';
import { expect, hydrated, open, signIn, test } from './helpers';

// The token pages as a demanding user meets them. Builds on what the
// app-password story leaves: root (system admin), bob, workspace acme (a
// 90-day policy) with project WEB and repository marketing-site, and a
// system policy requiring expiry within 45 days.

const root = { username: 'root', password: 'correct horse battery staple' };
const origin = 'http://127.0.0.1:3100';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** "Thu 24 Dec 2026" for the local date `days` from now. */
function dayLabel(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${WEEKDAYS[d.getDay()]} ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}
/** The local date `days` from now as a date input holds it. */
function isoDay(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

const option = (page: Page, label: string): Locator =>
  page.locator('fieldset.expiry').getByRole('radio', { name: new RegExp(`^${label}( —|$)`) });

const row = (page: Page, name: string): Locator => page.locator(`tr[data-token="${name}"]`);

/** Marks the page, so a later check can tell it was never reloaded. */
async function mark(page: Page) {
  await page.evaluate(() => ((window as unknown as { unreloaded: boolean }).unreloaded = true));
}
async function stillUnreloaded(page: Page) {
  expect(await page.evaluate(() => (window as unknown as { unreloaded?: boolean }).unreloaded)).toBe(true);
}

test.describe.serial('the demanding user', () => {
  test('the system policy form keeps its default within the max days as it is typed, then lifts the requirement', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/admin/access-tokens');
    const defaults = page.getByLabel('Pre-selected expiry for new tokens');
    await expect(defaults).toHaveValue('30');
    await page.getByLabel('Max days until expiry').fill('20');
    // The same rule as the server's: beyond 20 days is disabled, and the
    // choice moves down to the longest preset left.
    await expect(defaults.locator('option[value="30"]')).toBeDisabled();
    await expect(defaults).toHaveValue('7');
    await page.getByLabel('Expiry required').uncheck();
    await expect(defaults.locator('option[value="365"]')).toBeEnabled();
    await page.getByLabel('Max days until expiry').fill('45');
    await defaults.selectOption('30');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByText('Policy saved.')).toBeVisible();
    await expect(page.getByRole('cell', { name: /expiry required: no, max days: 45, default 30 days/ })).toBeVisible();
  });

  test('a saved workspace policy changes the create form beside it at once, defaults and all', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/w/acme/settings/access-tokens');
    await mark(page);
    const policy = page.locator('#policy');
    const defaults = policy.getByLabel('Pre-selected expiry for new tokens');
    await expect(option(page, '180 days')).toBeDisabled();
    await expect(page.locator('fieldset.expiry')).toContainText('at most 90 days');
    // Choosing a longer maximum opens longer defaults before saving.
    await expect(defaults.locator('option[value="180"]')).toBeDisabled();
    await policy.getByRole('radio', { name: '365 days' }).check();
    await expect(defaults.locator('option[value="180"]')).toBeEnabled();
    await defaults.selectOption('180');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByText('Policy saved.')).toBeVisible();
    // No reload: the create form offers the new choices, pre-selecting the new default.
    await expect(page.locator('fieldset.expiry')).toContainText('at most 365 days');
    for (const label of ['180 days', '365 days']) await expect(option(page, label)).toBeEnabled();
    await expect(option(page, '180 days')).toBeChecked();
    await stillUnreloaded(page);

    // And back: 90 days with a 30-day default.
    await policy.getByRole('radio', { name: '90 days' }).check();
    await expect(defaults).toHaveValue('90');
    await defaults.selectOption('30');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.locator('fieldset.expiry')).toContainText('at most 90 days');
    await expect(option(page, '180 days')).toBeDisabled();
    await expect(option(page, '30 days')).toBeChecked();
    await stillUnreloaded(page);
  });

  test('each option shows the date it gives, and the date picker ends where the longest option does', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/w/acme/repos/marketing-site/access-tokens');
    await expect(option(page, '30 days')).toBeChecked();
    await expect(page.locator('label.choice', { hasText: /^30 days/ })).toContainText(`30 days — until ${dayLabel(30)}`);
    await expect(page.locator('label.choice', { hasText: /^90 days/ })).toContainText(`until ${dayLabel(90)}`);
    await option(page, 'Custom date').check();
    const date = page.locator('input[name="expiry_date"]');
    await expect(date).toHaveAttribute('max', isoDay(90));
    await expect(page.getByText(`on ${dayLabel(90)}, the last day allowed, at the 90-day limit`)).toBeVisible();
  });

  test('the one-time secret: the form starts over, the secret has the focus, with its expiry and how to use it, and Done closes it', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/w/acme/repos/marketing-site/access-tokens');
    const name = page.getByLabel('Name', { exact: true }).first();
    await name.fill('Deploy key');
    await option(page, '7 days').check();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByText('Token "Deploy key" created.')).toBeVisible();
    const secret = page.getByRole('textbox', { name: 'New token' });
    await expect(secret).toBeFocused();
    await expect(name).toHaveValue('');
    await expect(option(page, '30 days')).toBeChecked();
    const token = await secret.inputValue();
    const box = page.locator('.new-token');
    await expect(box).toContainText(`It expires on ${dayLabel(7)} (in 7 days).`);
    await expect(box).toContainText('with the username x-token-auth');
    const usage = box.locator('pre.usage');
    await expect(usage).toContainText(`curl -H "Authorization: Bearer $TOKEN" ${origin}/rest/api/latest/tokens/self`);
    const clone = `git clone http://x-token-auth@127.0.0.1:3100/scm/acme/marketing-site.git`;
    await expect(usage).toContainText(clone);

    // The lines work as shown, with the token where they say.
    const api = await playwrightRequest.newContext({ baseURL: origin });
    const self = await api.get('/rest/api/latest/tokens/self', { headers: { authorization: `Bearer ${token}` } });
    expect(self.status()).toBe(200);
    const dir = mkdtempSync(join(tmpdir(), 'tokenwarden-clone-'));
    try {
      const url = clone.split(' ')[2].replace('x-token-auth@', `x-token-auth:${token}@`);
      execFileSync('git', ['clone', '--quiet', url, join(dir, 'site')], {
        timeout: 30_000,
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
        stdio: 'pipe',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }

    await page.getByRole('button', { name: 'Done' }).click();
    await expect(secret).toHaveCount(0);
    await expect(box).toHaveCount(0);

    // Listed: a 7-day token is not "expiring soon" the moment it is made;
    // its permission says what it does; its last use says when, from where
    // and how; its actions name it.
    await open(page, '/w/acme/repos/marketing-site/access-tokens');
    const listed = row(page, 'Deploy key');
    await expect(listed.locator('.state')).toHaveText('Active');
    await expect(listed).toContainText('Repository: read — clone, fetch and read');
    await expect(listed).toContainText(/from 127\.0\.0\.1 \((REST|Git)\)/);
    await expect(page.getByRole('button', { name: 'Edit Deploy key' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Revoke Deploy key' })).toBeVisible();
  });

  test('on a phone the whole secret shows, and a personal token is used with its owner\'s name', async ({ page }) => {
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, root);
    await open(page, '/account/access-tokens');
    await page.getByLabel('Name', { exact: true }).first().fill('Phone');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const secret = page.getByRole('textbox', { name: 'New token' });
    await expect(secret).toBeFocused();
    expect(await secret.evaluate((el) => el.scrollWidth <= el.clientWidth && el.scrollHeight <= el.clientHeight)).toBe(true);
    const box = await secret.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await expect(page.locator('.new-token')).toContainText('with the username root');
    await expect(page.locator('.new-token pre.usage')).toContainText(
      'git clone http://root@127.0.0.1:3100/scm/<workspace>/<repository>.git',
    );
  });

  test('the permission selects say what each level does', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/w/acme/projects/WEB/access-tokens');
    const repository = page.getByLabel('Repository permission').first();
    await expect(repository.locator('option[value="REPO_WRITE"]')).toHaveText('Write — push, and read');
    await expect(page.getByLabel('Project permission').first().locator('option[value="PROJECT_WRITE"]')).toHaveText(
      'Write — create repositories, push to every one, and read',
    );
  });

  test('no token page says "Access tokens" twice', async ({ page }) => {
    await signIn(page, root);
    for (const path of [
      '/w/acme/settings/access-tokens',
      '/w/acme/projects/WEB/access-tokens',
      '/w/acme/repos/marketing-site/access-tokens',
      '/account/access-tokens',
      '/admin/users/bob/access-tokens',
      '/admin/access-tokens',
    ]) {
      await open(page, path);
      const headings = await page.getByRole('heading').allTextContents();
      const repeated = headings.filter((h, i) => headings.indexOf(h) !== i);
      expect(repeated, `${path}: ${headings.join(' | ')}`).toEqual([]);
      expect(await page.getByRole('heading', { name: 'Access tokens', exact: true }).count(), path).toBeLessThanOrEqual(1);
    }
  });

  test('creating a user empties the form, both passwords too, and returns to Username', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/admin');
    const users = page.locator('section', { has: page.getByRole('heading', { name: 'Users' }) });
    await users.getByLabel('Username').fill('carol');
    await users.getByLabel('Email').fill('carol@example.com');
    await users.getByLabel('Full name').fill('Carol Example');
    await users.getByLabel('Password', { exact: true }).fill('a long enough passphrase');
    await users.getByLabel('Confirm password').fill('a long enough passphrase');
    await users.getByRole('button', { name: 'Create user' }).click();
    await expect(users.getByText('User created.')).toBeVisible();
    await expect(users.getByRole('cell', { name: 'carol', exact: true })).toBeVisible();
    for (const field of ['Username', 'Email', 'Full name', 'Confirm password']) {
      await expect(users.getByLabel(field)).toHaveValue('');
    }
    await expect(users.getByLabel('Password', { exact: true })).toHaveValue('');
    await expect(users.getByLabel('Username')).toBeFocused();
    await hydrated(page);
  });
});
