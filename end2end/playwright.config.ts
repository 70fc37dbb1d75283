import { defineConfig } from '@playwright/test';

// The server under test: the binary `./dev test` built (cargo test builds it
// with the server tests; `cargo leptos build` would too), on its own
// port with a fresh embedded database for every run.
const port = 3100;

// Debian's chromium: Playwright's own browser download cannot work here.
const chromium = {
  browserName: 'chromium' as const,
  launchOptions: {
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  },
};

export default defineConfig({
  testDir: './tests',
  timeout: 60_000,
  expect: { timeout: 10_000 },
  // The tests are one story on one server (setup happens once), so in order.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  reporter: 'list',
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'foundation',
      testMatch: /foundation\.spec\.ts/,
      use: chromium,
    },
    {
      // Builds on the users and workspace the foundation story leaves behind.
      name: 'tokens',
      testMatch: /tokens\.spec\.ts/,
      dependencies: ['foundation'],
      use: chromium,
    },
    {
      // Builds on the users and the system policy the tokens story leaves.
      name: 'app-passwords',
      testMatch: /app_passwords\.spec\.ts/,
      dependencies: ['tokens'],
      use: chromium,
    },
    {
      // The demanding user's story: a policy change followed at once,
      // defaults and dates, the one-time secret, lists that say what they
      // mean. Builds on what the app-password story leaves.
      name: 'ux',
      testMatch: /ux\.spec\.ts/,
      dependencies: ['app-passwords'],
      use: chromium,
    },
    {
      // Warnings in the app and webhooks, after the demanding user's story.
      name: 'warnings',
      testMatch: /warnings\.spec\.ts/,
      dependencies: ['ux'],
      use: chromium,
    },
    {
      // Rotation, after the warnings story.
      name: 'rotation',
      testMatch: /rotation\.spec\.ts/,
      dependencies: ['warnings'],
      use: chromium,
    },
    {
      // Every page at 1280 and 390 px: axe, width, screenshots.
      name: 'pages',
      testMatch: /pages\.spec\.ts/,
      dependencies: ['rotation'],
      use: chromium,
    },
  ],
  webServer: {
    command: 'rm -rf target/e2e-data && exec target/debug/tokenwarden',
    cwd: '..',
    url: `http://127.0.0.1:${port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: 'pipe',
    env: {
      TOKENWARDEN_ADDR: `127.0.0.1:${port}`,
      TOKENWARDEN_DATA_DIR: 'target/e2e-data',
      TOKENWARDEN_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
      // Rounds every second, and webhooks to the tests' receivers on loopback.
      TOKENWARDEN_SWEEP_SECONDS: '1',
      TOKENWARDEN_WEBHOOKS_ALLOW_PRIVATE: 'true',
    },
  },
});
