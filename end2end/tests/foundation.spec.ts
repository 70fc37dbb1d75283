import { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, hydrated, open, test } from './helpers';

/** The one-time code the server wrote to its data directory (see playwright.config.ts). */
const setupCode = () => readFileSync(join(__dirname, '../../target/e2e-data/setup-code'), 'utf8').trim();

// One story on a fresh server: first-run setup, sign-in, administration,
// and a member who must not see the admin pages.

const admin = { username: 'root', email: 'root@example.com', name: 'Root Admin', password: 'correct horse battery staple' };
const member = { username: 'bob', email: 'bob@example.com', name: 'Bob Member', password: 'a member passphrase' };

async function signIn(page: Page, identifier: string, password: string) {
  await open(page, '/login');
  await page.getByLabel('Username or email').fill(identifier);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
}

test.describe.serial('foundation', () => {
  test('a fresh install sends visitors to setup, which creates the first admin', async ({ page }) => {
    await open(page, '/');
    await expect(page).toHaveURL(/\/setup$/);
    await expect(page.getByRole('heading', { name: 'Welcome to Tokenwarden' })).toBeVisible();

    // Without the code the server printed, nobody can take the instance.
    await page.getByLabel('Setup code').fill('AAAA-BBBB-CCCC-DDDD');
    await page.getByLabel('Username').fill(admin.username);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Full name').fill(admin.name);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByLabel('Confirm password').fill(admin.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page.getByRole('alert')).toContainText('Setup code is not the one the server printed');
    await page.getByLabel('Setup code').fill(setupCode());

    // A weak password is refused in place, and nothing is created.
    await page.getByLabel('Username').fill(admin.username);
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Full name').fill(admin.name);
    await page.getByLabel('Password', { exact: true }).fill('too short');
    await page.getByLabel('Confirm password').fill('too short');
    // Skip the browser's own minlength check to see the server's answer.
    await page.locator('form').evaluate((f: HTMLFormElement) => (f.noValidate = true));
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page.getByRole('alert')).toHaveText('Password must be at least 12 characters');

    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByLabel('Confirm password').fill(admin.password);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('heading', { name: 'Workspaces' })).toBeVisible();
    await expect(page.locator('.topbar .who')).toHaveText(admin.name);

    // Setup is closed from now on.
    await open(page, '/setup');
    await expect(page).toHaveURL(/\/$/);
  });

  test('signing out ends the session; admin pages then need sign-in', async ({ page }) => {
    await signIn(page, admin.username, admin.password);
    await expect(page).toHaveURL(/\/$/);
    await signOut(page);
    await page.goto('/admin');
    await expect(page).toHaveURL(/\/login$/);
  });

  test('a wrong password gets one generic message', async ({ page }) => {
    await signIn(page, admin.username, 'not the right password');
    await expect(page.getByRole('alert')).toHaveText('Incorrect username, email or password.');
    await expect(page).toHaveURL(/\/login$/);
    await signIn(page, 'nobody-at-all', 'not the right password');
    await expect(page.getByRole('alert')).toHaveText('Incorrect username, email or password.');
  });

  test('an admin creates a workspace, a project, a repository and a member', async ({ page }) => {
    await signIn(page, admin.email, admin.password);
    await expect(page).toHaveURL(/\/$/);
    await page.getByRole('link', { name: 'Administration' }).click();
    await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();
    await hydrated(page);

    const users = page.locator('section', { has: page.getByRole('heading', { name: 'Users' }) });
    await users.getByLabel('Username').fill(member.username);
    await users.getByLabel('Email').fill(member.email);
    await users.getByLabel('Full name').fill(member.name);
    await users.getByLabel('Password', { exact: true }).fill(member.password);
    await users.getByLabel('Confirm password').fill(member.password);
    await users.getByRole('button', { name: 'Create user' }).click();
    await expect(users.getByText('User created.')).toBeVisible();
    await expect(users.getByRole('cell', { name: member.email })).toBeVisible();

    const workspaces = page.locator('section', { has: page.getByRole('heading', { name: 'Workspaces' }) });
    await workspaces.getByLabel('Name', { exact: true }).fill('Acme Inc');
    await workspaces.getByLabel('Slug (used in URLs)').fill('acme');
    await workspaces.getByRole('button', { name: 'Create workspace' }).click();
    await expect(workspaces.getByText('Workspace created.')).toBeVisible();
    await workspaces.getByRole('link', { name: 'Acme Inc' }).click();

    await expect(page.getByRole('heading', { name: 'Acme Inc' })).toBeVisible();
    await expect(page.getByText('No projects yet.')).toBeVisible();
    await page.getByRole('link', { name: 'Workspace settings' }).click();
    await expect(page.getByRole('heading', { name: 'Acme Inc settings' })).toBeVisible();
    await hydrated(page);

    const project = page.locator('form', { has: page.getByRole('button', { name: 'Create project' }) });
    await project.getByLabel('Key').fill('WEB');
    await project.getByLabel('Name', { exact: true }).fill('Website');
    await project.getByRole('button', { name: 'Create project' }).click();
    await expect(page.getByText('Project created.')).toBeVisible();

    const repository = page.locator('form', { has: page.getByRole('button', { name: 'Create repository' }) });
    await repository.getByLabel('Name', { exact: true }).fill('Marketing site');
    await repository.getByLabel('Slug').fill('marketing-site');
    await repository.getByRole('button', { name: 'Create repository' }).click();
    await expect(page.getByText('Repository created.')).toBeVisible();

    const members = page.locator('section', { has: page.getByRole('heading', { name: 'Members' }) });
    await members.getByLabel('Username').fill(member.username);
    await members.getByLabel('Role').selectOption('member');
    await members.getByRole('button', { name: 'Save' }).click();
    await expect(members.getByRole('cell', { name: /Bob Member/ })).toBeVisible();

    await open(page, '/w/acme');
    await expect(page.getByRole('heading', { name: /Website/ })).toBeVisible();
    await expect(page.getByText('Marketing site')).toBeVisible();
  });

  test('only pages with islands download the client', async ({ page }) => {
    await signIn(page, admin.username, admin.password);
    await expect(page).toHaveURL(/\/$/);
    const client: string[] = [];
    page.on('request', (r) => {
      if (/\.(wasm|js)$/.test(new URL(r.url()).pathname)) client.push(new URL(r.url()).pathname);
    });
    // Home and the workspace's page have nothing to hydrate.
    for (const path of ['/', '/w/acme']) {
      await page.goto(path, { waitUntil: 'networkidle' });
      await expect(page.locator('leptos-island')).toHaveCount(0);
    }
    expect(client).toEqual([]);
    // The workspace's settings have islands: the client comes and hydrates them.
    await open(page, '/w/acme/settings');
    expect(client.some((path) => path.endsWith('.wasm'))).toBe(true);
    await signOut(page);
  });

  test('a member sees the workspace but no admin pages', async ({ page }) => {
    await signIn(page, member.username, member.password);
    await expect(page).toHaveURL(/\/$/);
    await expect(page.getByRole('link', { name: 'Acme Inc' })).toBeVisible();
    await expect(page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workspaces' })).toBeVisible();
    await expect(page.getByRole('link', { name: 'Administration' })).toHaveCount(0);

    await page.getByRole('link', { name: 'Acme Inc' }).click();
    await expect(page.getByText('Marketing site')).toBeVisible();
    await expect(page.getByRole('link', { name: 'Workspace settings' })).toHaveCount(0);

    await open(page, '/admin');
    await expect(page.getByRole('alert')).toContainText("You don't have permission to view this page.");
    await expect(page.getByRole('heading', { name: 'Users' })).toHaveCount(0);

    await open(page, '/w/acme/settings');
    await expect(page.getByRole('alert')).toContainText("You don't have permission");
    await expect(page.getByRole('button', { name: 'Create project' })).toHaveCount(0);

    await signOut(page);
  });
});
