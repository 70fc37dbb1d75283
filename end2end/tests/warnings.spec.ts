import { createHmac } from 'node:crypto';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { expect, open, signIn, test } from './helpers';

// Warnings in the app and webhooks, after the demanding user's story:
// root, workspace acme with repository marketing-site. The server runs its
// warning and webhook round every second (TOKENWARDEN_SWEEP_SECONDS=1) and
// may send webhooks to loopback (TOKENWARDEN_WEBHOOKS_ALLOW_PRIVATE).

const root = { username: 'root', password: 'correct horse battery staple' };
const secret = 'a webhook secret for the browser test';

/** The local date `days` from now as a date input holds it. */
function isoDay(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

type Hit = { event: string; delivery: string; signature: string; body: string };

/** A webhook receiver on loopback that records what it gets and answers 200. */
async function receiver(): Promise<{ url: string; hits: Hit[]; server: Server }> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      hits.push({
        event: String(req.headers['tokenwarden-event']),
        delivery: String(req.headers['tokenwarden-delivery']),
        signature: String(req.headers['tokenwarden-signature']),
        body,
      });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, hits, server };
}

test.describe.serial('warnings', () => {
  test('a token expiring in 3 days puts a banner on every page, linking to where it is replaced', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/account/access-tokens');
    await page.getByLabel('Name', { exact: true }).first().fill('Nightly export');
    await page.locator('fieldset.expiry').getByRole('radio', { name: /^Custom date/ }).check();
    await page.locator('input[name="expiry_date"]').fill(isoDay(3));
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect(page.getByText('Token "Nightly export" created.')).toBeVisible();
    // The banner is rendered with each page: the next one shows it.
    await open(page, '/');
    const banner = page.locator('[data-test="expiry-banner"]');
    await expect(banner).toContainText('Token "Nightly export"');
    await expect(banner).toContainText('within 7 days');
    await banner.getByRole('link', { name: 'Replace it before it stops working' }).click();
    await expect(page).toHaveURL(/\/account\/access-tokens$/);
  });

  test('the expiring count links to the list filtered to those tokens', async ({ page }) => {
    await signIn(page, root);
    await open(page, '/w/acme/repos/marketing-site/access-tokens');
    const count = page.locator('[data-test="expiring-count"]');
    await expect(count).toHaveText(/^Expiring soon: \d+$/);
    await count.click();
    await expect(page).toHaveURL(/\?show=expiring#tokens$/);
    await expect(page.locator('#tokens .list-controls select').first()).toHaveValue('expiring');
  });

  test('an admin registers a webhook, sees its delivery log, and redelivers', async ({ page }) => {
    const hook = await receiver();
    try {
      await signIn(page, root);
      await open(page, '/w/acme/settings/access-tokens');
      const panel = page.locator('#webhooks');
      // A plain form (no client code): a refusal comes back with the page.
      await panel.getByLabel('URL').fill('ftp://hooks.example.com/');
      await panel.getByLabel('Secret').fill(secret);
      await panel.getByRole('button', { name: 'Add webhook' }).click();
      await expect(panel.getByRole('alert')).toContainText('The URL must start with https://');
      await expect(panel.locator('article.webhook')).toHaveCount(0);
      await panel.getByLabel('URL').fill(hook.url);
      await panel.getByLabel('Secret').fill(secret);
      await panel.getByRole('checkbox', { name: /token\.created/ }).check();
      await panel.getByRole('button', { name: 'Add webhook' }).click();
      await expect(panel.locator('article.webhook h3')).toHaveText(hook.url);
      await expect(panel.getByRole('alert')).toHaveCount(0);

      // An event: a workspace token is created.
      await page.getByLabel('Name', { exact: true }).first().fill('Webhook probe');
      await page.getByRole('button', { name: 'Create', exact: true }).click();
      await expect(page.getByText('Token "Webhook probe" created.')).toBeVisible();
      await expect.poll(() => hook.hits.length, { timeout: 15_000 }).toBe(1);
      const [hit] = hook.hits;
      expect(hit.event).toBe('token.created');
      expect(hit.signature).toBe(`sha256=${createHmac('sha256', secret).update(hit.body).digest('hex')}`);
      expect(JSON.parse(hit.body).token.name).toBe('Webhook probe');

      // The log says so, with the receiver's answer.
      await open(page, '/w/acme/settings/access-tokens');
      const log = page.getByRole('table', { name: `Deliveries to ${hook.url}` });
      const row = log.locator('tbody tr').first();
      await expect(row).toContainText('token.created');
      await expect(row).toContainText('Delivered (200)');
      await expect(row).toContainText(hit.delivery);
      await row.getByRole('button', { name: 'Redeliver' }).click();
      await expect.poll(() => hook.hits.length, { timeout: 15_000 }).toBe(2);
      expect(hook.hits[1].delivery).toBe(hit.delivery);
      expect(hook.hits[1].body).toBe(hit.body);
    } finally {
      hook.server.close();
    }
  });
});
