import { APIRequestContext, Page, request as playwrightRequest } from '@playwright/test';
import { expect, hydrated, open, signIn, test } from './helpers';

// Retiring app passwords in favour of API tokens. Builds on the tokens story:
// root (system admin), bob (repository admin of marketing-site), and a
// system policy requiring expiry within 45 days.

const root = { username: 'root', password: 'correct horse battery staple' };
const bob = { username: 'bob', password: 'a member passphrase' };

const today = () => new Date().toISOString().slice(0, 10);
const inDays = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);

/** A REST call as a script makes it: HTTP Basic, no session. */
async function restAs(api: APIRequestContext, user: string, secret: string) {
  return api.get('/rest/api/1.0/tokens/self', {
    headers: { authorization: `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}` },
  });
}

async function createAppPassword(page: Page, label: string, repositories: string): Promise<string> {
  await page.getByLabel('Label').fill(label);
  await page.getByLabel('Repositories').selectOption({ label: repositories });
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  // This one's answer, not the one shown for an earlier app password.
  await expect(page.getByText(`App password "${label}" created.`)).toBeVisible();
  const secret = page.getByRole('textbox', { name: 'New app password' });
  await expect(secret).toHaveCount(1);
  // The form starts over and the secret has the focus, so a second press of
  // Create makes nothing; beside it, how to use it, with this host.
  await expect(secret).toBeFocused();
  await expect(page.getByLabel('Label')).toHaveValue('');
  await expect(page.getByLabel('Repositories')).toHaveValue('');
  const usage = page.locator('.new-token pre.usage');
  await expect(usage).toContainText('curl -u "bob:$APP_PASSWORD" http://127.0.0.1:3100/rest/api/latest/tokens/self');
  await expect(usage).toContainText('git clone http://bob@127.0.0.1:3100/scm/<workspace>/<repository>.git');
  const value = await secret.inputValue();
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(secret).toHaveCount(0);
  return value;
}

test.describe.serial('app passwords', () => {
  let api: APIRequestContext;
  const secrets: Record<string, string> = {};

  test.beforeAll(async () => {
    api = await playwrightRequest.newContext({ baseURL: 'http://127.0.0.1:3100' });
  });

  test('bob creates app passwords while creation is open and uses one', async ({ page }) => {
    await signIn(page, bob);
    await page.getByRole('link', { name: 'App passwords' }).click();
    await hydrated(page);
    secrets.build = await createAppPassword(page, 'Build server', 'Write');
    expect(secrets.build).toMatch(/^ATBB[0-9A-Za-z]{33}$/);
    await expect(page.locator('tr[data-app-password="Build server"]')).toContainText('Repositories: Write');
    secrets.old = await createAppPassword(page, 'Old script', 'Read');
    await expect(page.locator('tr[data-app-password="Old script"]')).toContainText('Never');

    const used = await restAs(api, 'bob', secrets.build);
    expect(used.status()).toBe(200);
    expect((await used.json()).kind).toBe('app_password');
    // Never shown again.
    await open(page, '/account/app-passwords');
    expect(await page.content()).not.toContain(secrets.build);
  });

  test('root closes creation and sees every app password with its last use', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/admin');
    await page.getByRole('link', { name: 'App password retirement' }).click();
    await hydrated(page);
    await expect(page.getByText('App passwords can be created and used.')).toBeVisible();
    // A cutoff before creation closes is refused, saying why.
    await page.getByLabel('Creation closes on').fill(today());
    await page.getByLabel(/Cutoff/).fill(inDays(-1));
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await expect(page.getByRole('alert')).toContainText('cannot be before creation closes');

    await page.getByLabel(/Cutoff/).fill(inDays(30));
    await page.getByRole('button', { name: 'Save schedule' }).click();
    // Saved: the page reloads with the new status.
    await expect(page.getByText(`stop working on ${inDays(30)} (30 days left)`)).toBeVisible();
    await hydrated(page);
    await expect(page.getByLabel(/Cutoff/)).toHaveValue(inDays(30));
    const build = page.locator('tr[data-app-password="Build server"]');
    await expect(build).toContainText('bob');
    await expect(build.locator('td.last-used')).toContainText('from 127.0.0.1 (REST)');
    await expect(build).toContainText('30');
    await expect(page.locator('tr[data-app-password="Old script"] td.last-used')).toHaveText('Never');
  });

  test('bob sees the banner, cannot create more, and replaces one with an API token', async ({ page }) => {
    await signIn(page, bob);
    const banner = page.locator('.banner');
    await expect(banner).toContainText(`You still use 2 app passwords. App passwords stop working on ${inDays(30)}.`);
    await open(page, '/w/acme');
    await expect(banner).toBeVisible();

    await banner.getByRole('link', { name: 'Replace them with API tokens' }).click();
    await hydrated(page);
    await expect(page.getByText('App passwords can no longer be created')).toBeVisible();
    await expect(page.getByText('Create app password')).toHaveCount(0);
    await expect(page.getByRole('link', { name: 'Create an API token' }).first()).toHaveAttribute('href', '/account/access-tokens');

    await page
      .locator('tr[data-app-password="Build server"]')
      .getByRole('link', { name: 'Replace with API token' })
      .click();
    await hydrated(page);
    // Pre-filled: its name, the nearest permission, an expiry the policy allows.
    await expect(page.getByLabel('Name', { exact: true })).toHaveValue('Build server');
    await expect(page.getByLabel('Repository permission')).toHaveValue('REPO_WRITE');
    const checked = page.locator('fieldset.expiry input[type="radio"]:checked');
    await expect(checked).toBeEnabled();
    await expect(page.locator('fieldset.expiry').getByRole('radio', { name: /^60 days/ })).toBeDisabled();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const token = page.getByRole('textbox', { name: 'New token' });
    await expect(token).toBeVisible();
    const secret = await token.inputValue();
    expect(secret).toMatch(/^twu_/);

    await page.getByRole('button', { name: 'Revoke app password' }).click();
    await expect(page.getByText('Done: the app password is revoked')).toBeVisible();

    expect((await restAs(api, 'bob', secret)).status()).toBe(200);
    const refused = await restAs(api, 'bob', secrets.build);
    expect(refused.status()).toBe(401);

    await open(page, '/account/app-passwords');
    await expect(page.locator('tr[data-app-password="Build server"]')).toContainText('Revoked');
    await expect(page.locator('.banner')).toContainText('You still use 1 app password.');
  });

  test('at the cutoff the remaining app password stops working with the message', async ({ page, browser }) => {
    const before = await restAs(api, 'bob', secrets.old);
    expect(before.status(), await before.text()).toBe(200);
    await signIn(page, root);
    await open(page, '/admin/app-passwords');
    await page.getByLabel('Creation closes on').fill(today());
    await page.getByLabel(/Cutoff/).fill(today());
    await page.getByRole('button', { name: 'Save schedule' }).click();
    await expect(page.getByText(`App passwords were retired on ${today()}`)).toBeVisible();

    const refused = await restAs(api, 'bob', secrets.old);
    expect(refused.status()).toBe(401);
    const error = (await refused.json()).errors[0];
    expect(error.reason).toBe('app_password_retired');
    expect(error.message).toContain(`App passwords were retired on ${today()}`);
    expect(error.message).toContain('API token');

    // bob is told, on every page, and his list says so.
    const bobPage = await (await browser.newContext()).newPage();
    await signIn(bobPage, bob);
    await expect(bobPage.locator('.banner')).toContainText(`App passwords were retired on ${today()}`);
    await open(bobPage, '/account/app-passwords');
    await expect(bobPage.locator('tr[data-app-password="Old script"]')).toContainText('Retired');

    // Cleaning up from the dashboard: a plain form post, then the page again.
    await page.locator('tr[data-app-password="Old script"]').getByRole('button', { name: 'Revoke' }).click();
    await expect(page.getByText('No active app passwords: nothing left to migrate.')).toBeVisible();
  });
});
