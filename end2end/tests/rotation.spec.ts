import { request as playwrightRequest } from '@playwright/test';
import { expect, open, signIn, test } from './helpers';

// Rotation, after the warnings story: root, workspace acme (a 90-day
// policy) with repository marketing-site, and a system policy requiring
// expiry within 45 days.

const root = { username: 'root', password: 'correct horse battery staple' };
const origin = 'http://127.0.0.1:3100';

/** `tokens/self` with `secret`: its status and, when refused, the reason. */
async function whoami(secret: string): Promise<[number, string]> {
  const api = await playwrightRequest.newContext({ baseURL: origin });
  const answer = await api.get('/rest/api/latest/tokens/self', { headers: { authorization: `Bearer ${secret}` } });
  const body = answer.ok() ? {} : await answer.json();
  await api.dispose();
  return [answer.status(), body.errors?.[0]?.reason ?? ''];
}

test.describe.serial('rotation', () => {
  test('the system admin sets the longest overlap', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/admin/access-tokens');
    const rotation = page.locator('#rotation');
    await rotation.getByLabel('Longest overlap').selectOption('1d');
    await rotation.getByLabel(/Overlap when none is picked/).selectOption('1h');
    await rotation.getByRole('button', { name: 'Save rotation rules' }).click();
    await expect(page.locator('#rotation').getByLabel('Longest overlap')).toHaveValue('1d');
  });

  test("rotating offers today's choices, shows the new secret once and links old and new", async ({ page }) => {
    await signIn(page, root);
    await open(page, '/w/acme/repos/marketing-site/access-tokens');
    const form = page.locator('details.create');
    await form.getByLabel('Name', { exact: true }).fill('Release bot');
    await form.getByRole('group', { name: 'Expiry' }).getByRole('radio', { name: /^7 days/ }).check();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByText('Token "Release bot" created.')).toBeVisible();
    const old = await page.getByRole('textbox', { name: 'New token' }).inputValue();
    await page.getByRole('button', { name: 'Done' }).click();

    await page.getByRole('button', { name: 'Rotate Release bot' }).click();
    await expect(form.locator('summary')).toHaveText(/^Rotate "Release bot" \(#\d+\)$/);
    // The same rules as creating, under today's policy (acme's 90 days), and
    // the overlaps beyond the system's longest disabled, with no request.
    const expiry = form.getByRole('group', { name: 'Expiry' });
    const overlap = form.getByRole('group', { name: 'Overlap' });
    await expect(expiry.getByRole('radio', { name: /^365 days/ })).toBeDisabled();
    await expect(expiry.getByRole('radio', { name: /^30 days/ })).toBeEnabled();
    await expect(overlap.getByRole('radio', { name: /^7 days/ })).toBeDisabled();
    await expect(overlap.getByRole('radio', { name: '1 hour' })).toBeChecked();
    await expect(form.getByLabel('Name', { exact: true })).toBeHidden();
    await overlap.getByRole('radio', { name: '1 day' }).check();
    await expiry.getByRole('radio', { name: /^30 days/ }).check();
    await page.getByRole('button', { name: 'Rotate token' }).click();

    await expect(page.getByText(/^Token "Release bot" rotated: this is its successor/)).toBeVisible();
    const secret = page.getByRole('textbox', { name: 'New token' });
    await expect(secret).toBeFocused();
    const fresh = await secret.inputValue();
    expect(fresh).not.toBe(old);
    // The form is a create form again.
    await expect(form.locator('summary')).toHaveText('Create access token');
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByRole('textbox', { name: 'New token' })).toHaveCount(0);

    // Old and new, linked; the old one says when it stops, and still works.
    const rows = page.locator('tr[data-token="Release bot"]');
    await expect(rows).toHaveCount(2);
    await expect(rows.filter({ hasText: 'Rotated — stops at' })).toHaveCount(1);
    await expect(rows.filter({ hasText: /replaces #\d+/ })).toHaveCount(1);
    expect(await whoami(old)).toEqual([200, '']);
    expect(await whoami(fresh)).toEqual([200, '']);
    // Shown once: a reload shows neither secret.
    await open(page, '/w/acme/repos/marketing-site/access-tokens');
    expect(await page.content()).not.toContain(fresh);
    // The rotated one offers no second rotation.
    await expect(page.getByRole('button', { name: 'Rotate Release bot' })).toHaveCount(1);
  });

  test('the preview of an applied policy lists the tokens and dates that the server then applies', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/w/acme/settings/access-tokens');
    const policy = page.locator('#policy');
    // Allow a year, make a year-long token, then tighten back to 90 days.
    await policy.getByRole('radio', { name: '365 days' }).check();
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByText('Policy saved.')).toBeVisible();
    const form = page.locator('details.create');
    await form.getByLabel('Name', { exact: true }).fill('Year-long bot');
    await form.getByRole('group', { name: 'Expiry' }).getByRole('radio', { name: /^365 days/ }).check();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByText('Token "Year-long bot" created.')).toBeVisible();
    await page.getByRole('button', { name: 'Done' }).click();
    await policy.getByRole('radio', { name: '90 days' }).check();
    await policy.getByLabel('Pre-selected expiry for new tokens').selectOption('30');
    await policy.getByRole('button', { name: 'Save policy' }).click();
    await expect(page.getByText('Policy saved.')).toBeVisible();

    // The preview (a page of its own, rendered on the server) names the token and its new date.
    const apply = page.locator('#apply');
    await apply.getByLabel(/Grace period/).fill('30');
    await apply.getByRole('button', { name: 'Preview' }).click();
    await expect(page).toHaveURL(/\?grace=30#apply$/);
    const row = page.locator('[data-test="apply-preview"] tr[data-token="Year-long bot"]');
    await expect(row).toBeVisible();
    const promised = (await row.locator('td').nth(3).textContent())!.trim();
    const day = Math.floor(Date.now() / 86_400_000) + 90;
    expect(promised.slice(0, 10)).toBe(new Date(day * 86_400_000).toISOString().slice(0, 10));

    // Applied: the token now expires when the preview said; nothing is left to apply.
    await apply.getByRole('button', { name: /^Apply to \d+ tokens?$/ }).click();
    await expect(page.locator('[data-test="apply-nothing"]')).toBeVisible();
    await open(page, '/w/acme/settings/access-tokens');
    await expect(page.locator('tr[data-token="Year-long bot"]').first()).toContainText('(in 90 days)');
    await expect(page.getByRole('cell', { name: 'token expiry shortened by policy' }).first()).toBeVisible();
  });
});
