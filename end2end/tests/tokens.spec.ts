import { Locator, Page } from '@playwright/test';
import { expect, hydrated, open, signIn, test } from './helpers';

// Access tokens under expiry policies, at every level. The foundation story
// left behind: root (system admin), bob (member of acme), workspace acme
// with project WEB and repository marketing-site.

const root = { username: 'root', password: 'correct horse battery staple' };
const bob = { username: 'bob', password: 'a member passphrase' };

/** Records every request the page makes from now on. */
function watchRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (r) => seen.push(`${r.method()} ${r.url()}`));
  return seen;
}

const option = (page: Page, label: string): Locator =>
  // A disabled option's accessible name ends with its reason: "180 days — Longer than …".
  page.locator('fieldset.expiry').getByRole('radio', { name: new RegExp(`^${label}( —|$)`) });

async function createToken(page: Page, name: string, expiry: string): Promise<string> {
  await page.getByLabel('Name', { exact: true }).first().fill(name);
  await option(page, expiry).check();
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await expect(page.getByText(`Token "${name}" created.`)).toBeVisible();
  const secret = page.getByRole('textbox', { name: 'New token' });
  await expect(secret).toBeVisible();
  await expect(page.getByText('Copy it now: you will not see it again.')).toBeVisible();
  return secret.inputValue();
}

function row(page: Page, name: string): Locator {
  return page.locator(`tr[data-token="${name}"]`);
}

test.describe.serial('access tokens', () => {
  test('an admin sets a 90-day workspace policy and makes bob a repository admin', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/w/acme/settings/access-tokens');
    await page.locator('#policy').getByRole('radio', { name: '90 days' }).check();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByText('Policy saved.')).toBeVisible();

    await open(page, '/w/acme/settings');
    const members = page.locator('section', { has: page.getByRole('heading', { name: 'Members' }) });
    await members.getByLabel('Username').fill(bob.username);
    await members.getByLabel('Role').selectOption('repository_admin');
    await members.getByLabel(/Project or repository/).selectOption('marketing-site');
    await members.getByRole('button', { name: 'Save' }).click();
    await expect(members.getByRole('cell', { name: /Repository admin of marketing-site/ })).toBeVisible();
  });

  test('bob sees choices beyond the policy disabled instantly, creates a 30-day token, edits and revokes it', async ({ page }) => {
    await signIn(page, bob);
    await open(page, '/w/acme');
    await page.getByRole('link', { name: 'Access tokens' }).last().click();
    await expect(page).toHaveURL(/\/w\/acme\/repos\/marketing-site\/access-tokens$/);
    await hydrated(page);
    await expect(option(page, '90 days')).toBeVisible();

    // From here on the choices render and change without any request.
    const requests = watchRequests(page);
    for (const label of ['180 days', '365 days', 'No expiry']) {
      await expect(option(page, label)).toBeDisabled();
    }
    await expect(page.locator('label.choice', { hasText: '180 days' })).toContainText('Longer than the 90 days the workspace policy allows');
    await expect(page.locator('label.choice', { hasText: 'No expiry' })).toContainText('The workspace policy requires an expiry');
    for (const label of ['7 days', '30 days', '60 days', '90 days', 'Custom date']) {
      await expect(option(page, label)).toBeEnabled();
    }
    await option(page, 'Custom date').check();
    const date = page.locator('input[name="expiry_date"]');
    await expect(date).toBeVisible();
    const max = await date.getAttribute('max');
    expect(max).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const days = (Date.parse(max!) - Date.parse(new Date().toISOString().slice(0, 10))) / 86_400_000;
    expect(days).toBeGreaterThanOrEqual(89);
    expect(days).toBeLessThanOrEqual(90);
    await option(page, '7 days').check();
    await expect(date).toBeHidden();
    await option(page, '30 days').check();
    expect(requests).toEqual([]);

    const secret = await createToken(page, 'CI deploy', '30 days');
    expect(secret).toMatch(/^twr_[0-9A-Za-z]{39}$/);
    const listed = row(page, 'CI deploy');
    await expect(listed).toContainText('in 30 days');
    await expect(listed).toContainText('Active');
    await expect(listed).toContainText('REPO_READ');

    // Shown once: a fresh load of the page never contains it.
    await open(page, '/w/acme/repos/marketing-site/access-tokens');
    await expect(row(page, 'CI deploy')).toBeVisible();
    expect(await page.content()).not.toContain(secret);

    // Editing offers name and permissions, never the expiry.
    await row(page, 'CI deploy').getByRole('button', { name: 'Edit' }).click();
    const edit = page.locator('tr.subrow form');
    await expect(edit.getByText('it cannot be changed')).toBeVisible();
    await expect(edit.locator('input[name="expiry"], input[name="expiry_date"]')).toHaveCount(0);
    await edit.getByLabel('Name', { exact: true }).fill('CI deploy (prod)');
    await edit.getByLabel('Repository permission').selectOption('REPO_WRITE');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect(row(page, 'CI deploy (prod)')).toContainText('REPO_WRITE');
    await expect(row(page, 'CI deploy (prod)')).toContainText('in 30 days');

    // Revoking asks first, then the token stays listed as revoked.
    await row(page, 'CI deploy (prod)').getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('button', { name: 'Revoke token' }).click();
    await expect(row(page, 'CI deploy (prod)')).toContainText('Revoked');
    await expect(row(page, 'CI deploy (prod)').getByRole('button', { name: 'Edit' })).toHaveCount(0);
  });

  test('project and workspace tokens follow the same policy', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/w/acme/projects/WEB/access-tokens');
    await expect(option(page, '180 days')).toBeDisabled();
    await expect(option(page, '90 days')).toBeEnabled();
    await page.getByLabel('Project permission').selectOption('PROJECT_READ');
    await createToken(page, 'Project reader', '30 days');
    await expect(row(page, 'Project reader')).toContainText('PROJECT_READ');

    await open(page, '/w/acme/settings/access-tokens');
    await expect(option(page, '365 days')).toBeDisabled();
    const secret = await createToken(page, 'Workspace bot', '60 days');
    expect(secret).toMatch(/^tww_/);
    await expect(row(page, 'Workspace bot')).toContainText('in 60 days');
  });

  test('personal tokens follow the system "Max days until expiry"', async ({ page, browser }) => {
    await signIn(page, root);
    await open(page, '/admin/access-tokens');
    await page.getByLabel('Expiry required').check();
    await page.getByLabel('Max days until expiry').fill('45');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByText('Policy saved.')).toBeVisible();
    await expect(page.getByRole('cell', { name: 'system policy changed' })).toBeVisible();
    // The 60-day workspace token made earlier now exceeds it: counted, linked, listed, unchanged.
    await expect(page.getByText('1 active token would not be allowed under this policy')).toBeVisible();
    await page.getByRole('link', { name: 'review them' }).click();
    await expect(page.locator('#beyond').getByRole('cell', { name: 'Workspace bot' })).toBeVisible();

    const bobPage = await (await browser.newContext()).newPage();
    await signIn(bobPage, bob);
    await bobPage.getByRole('link', { name: 'Access tokens' }).click();
    await hydrated(bobPage);
    await expect(option(bobPage, '30 days')).toBeEnabled();
    const requests = watchRequests(bobPage);
    for (const label of ['60 days', '90 days', '180 days', '365 days', 'No expiry']) {
      await expect(option(bobPage, label)).toBeDisabled();
    }
    await expect(bobPage.locator('label.choice', { hasText: '60 days' })).toContainText('Longer than the 45 days the system policy allows');
    expect(requests).toEqual([]);
    const secret = await createToken(bobPage, 'Laptop', '30 days');
    expect(secret).toMatch(/^twu_/);
    await expect(row(bobPage, 'Laptop')).toContainText('in 30 days');

    // The system admin sees bob's tokens under Users > bob > Access tokens.
    await open(page, '/admin/users/bob/access-tokens');
    await expect(row(page, 'Laptop')).toBeVisible();
    await expect(page.getByRole('button', { name: 'Create', exact: true })).toHaveCount(0);
  });
});
