// End to end: the built console served by a real `berth server`, driven in Debian's Chromium.
// Logs in as admin, creates an API token and sees its one-time secret, finds the token's
// creation in the audit log, exports and verifies the log, manages a user, switches to Chinese.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

const repo = fileURLToPath(new URL('..', import.meta.url));
const chromiumPath = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const adminPassword = `e2e-${crypto.randomUUID()}`;
const screenshotPath = process.env.BERTH_CONSOLE_SCREENSHOT ?? join(tmpdir(), 'berth-console-audit.png');

let work = '';
let server: ChildProcess | undefined;
let serverLog = '';
let baseUrl = '';
let browser: Browser | undefined;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    if (server?.exitCode !== null && server?.exitCode !== undefined) {
      throw new Error(`berth server exited with ${server.exitCode} before it was ready:\n${serverLog}`);
    }
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.status === 200) return;
      last = `readyz answered ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`berth server not ready after ${timeoutMs} ms (${last}):\n${serverLog}`);
}

const chromiumMissing = !existsSync(chromiumPath);
// Locally a machine without Chromium skips with a reason; in CI the missing browser is a failure.
const skip = chromiumMissing && process.env.CI !== 'true' ? `Chromium not installed at ${chromiumPath}` : false;

before(async () => {
  if (skip) return;
  assert.ok(!chromiumMissing, `Chromium is required in CI but ${chromiumPath} does not exist`);
  work = await mkdtemp(join(tmpdir(), 'berth-console-'));
  // Built into a private folder so that the test always runs the current sources and never
  // races another test that serves console/dist.
  const consoleDir = join(work, 'console');
  const build = spawnSync(process.execPath, [join(repo, 'node_modules/vite/bin/vite.js'), 'build', 'console', '--outDir', consoleDir, '--emptyOutDir', '--logLevel', 'warn'],
    { cwd: repo, encoding: 'utf8' });
  assert.equal(build.status, 0, `console build failed:\n${build.stdout}\n${build.stderr}`);

  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, [join(repo, 'src/cli/main.ts'), 'server', '--port', String(port), '--data-dir', join(work, 'data')], {
    cwd: repo,
    env: { ...process.env, BERTH_ADMIN_PASSWORD: adminPassword, BERTH_HOST: '127.0.0.1', BERTH_CONSOLE_DIR: consoleDir, BERTH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout?.on('data', (d: Buffer) => { serverLog += d.toString(); });
  server.stderr?.on('data', (d: Buffer) => { serverLog += d.toString(); });
  await waitReady(baseUrl, 60_000);
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server?.once('exit', r));
    server.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (server.exitCode === null) server.kill('SIGKILL');
  }
  if (work) await rm(work, { recursive: true, force: true });
});

async function login(page: Page): Promise<void> {
  await page.goto(baseUrl);
  await page.waitForURL('**/login');
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/tokens');
}

test('console: log in, create a token, find it in the audit log, switch to Chinese', { skip }, async () => {
  assert.ok(browser);
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  try {
    // A wrong password shows the server's Status message and stays on the login page.
    await page.goto(baseUrl);
    await page.waitForURL('**/login');
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: /./ }).first().waitFor();
    assert.match(page.url(), /\/login$/);

    await login(page);
    const nav = page.getByRole('menu');
    for (const item of ['API tokens', 'Users', 'Audit log']) await nav.getByText(item, { exact: true }).waitFor();

    // Create a token: its secret is shown once, and it really authenticates.
    const tokenName = `e2e-${Date.now().toString(36)}`;
    await page.getByRole('button', { name: 'New token' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill(tokenName);
    await dialog.getByRole('button', { name: 'Create' }).click();
    const secretBox = page.getByTestId('token-secret');
    await secretBox.getByText('shown only once', { exact: false }).waitFor();
    const secret = (await secretBox.locator('code').first().innerText()).trim();
    assert.ok(secret.length >= 20, `token secret looks too short: "${secret}"`);
    const who = await fetch(`${baseUrl}/api/v1/whoami`, { headers: { Authorization: `Bearer ${secret}` } });
    assert.equal(who.status, 200);
    assert.equal(((await who.json()) as { name: string }).name, 'admin');

    const tokenRow = page.getByRole('row').filter({ hasText: tokenName });
    await tokenRow.waitFor();
    const tokenId = (await tokenRow.locator('code').first().innerText()).trim();
    assert.ok(tokenId.length > 0);
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await secretBox.count(), 0, 'the secret is gone once dismissed');

    // The audit log records the creation: action create, resource tokens, named by the token id.
    await nav.getByText('Audit log', { exact: true }).click();
    await page.waitForURL('**/audit');
    const auditRow = page.getByRole('row').filter({ hasText: tokenId });
    await auditRow.waitFor();
    const cells = await auditRow.getByRole('cell').allInnerTexts();
    assert.ok(cells.some((c) => c.trim() === 'create'), `audit row ${JSON.stringify(cells)} has action create`);
    assert.ok(cells.some((c) => c.trim() === 'tokens'), `audit row ${JSON.stringify(cells)} has resource tokens`);
    assert.ok(cells.some((c) => c.trim() === 'admin'), `audit row ${JSON.stringify(cells)} has actor admin`);

    // Filtering by resource keeps the row; filtering by another resource drops it.
    await page.getByLabel('Resource').fill('users');
    await page.getByRole('button', { name: 'Search' }).click();
    await auditRow.waitFor({ state: 'detached' });
    await page.getByLabel('Resource').fill('tokens');
    await page.getByRole('button', { name: 'Search' }).click();
    await auditRow.waitFor();

    // Export as CSV: a real download of the filtered log.
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const csv = await readFile(await download.path(), 'utf8');
    assert.match(csv.split('\n')[0], /seq/);
    assert.ok(csv.includes(tokenId), 'the export holds the token creation');
    assert.ok(!csv.includes(',users,'), 'the export follows the resource filter');

    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByTestId('verify-result').getByText('The audit chain is intact', { exact: false }).waitFor();

    await page.screenshot({ path: screenshotPath, fullPage: true });

    // Switch to Chinese: the console's texts and antd's own texts change, and the choice persists.
    await page.getByText('中文', { exact: true }).click();
    await page.getByRole('menu').getByText('审计日志', { exact: true }).waitFor();
    await page.getByRole('button', { name: '校验哈希链' }).waitFor();
    await page.getByPlaceholder('开始日期').waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
    await page.reload();
    await page.getByRole('menu').getByText('API 令牌', { exact: true }).waitFor();

    // A token the server refuses (401) sends the user back to the login page.
    await page.evaluate(() => sessionStorage.setItem('berth.token', 'not-a-valid-token'));
    await page.reload();
    await page.waitForURL('**/login');
    await page.getByText('登录 Berth').first().waitFor();

    assert.deepEqual(pageErrors, []);
  } finally {
    await context.close();
  }
});

test('console: an admin creates, disables and deletes a user', { skip }, async () => {
  assert.ok(browser);
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  try {
    await login(page);
    await page.getByRole('menu').getByText('Users', { exact: true }).click();
    await page.waitForURL('**/users');
    const name = `e2e-user-${Date.now().toString(36)}`;
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill(name);
    await dialog.getByLabel('Password').fill(`pw-${crypto.randomUUID()}`);
    await dialog.getByLabel('Email').fill(`${name}@example.com`);
    await dialog.getByRole('button', { name: 'Create' }).click();
    const row = page.getByRole('row').filter({ hasText: name });
    await row.getByText('Enabled', { exact: true }).waitFor();

    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('Disabled', { exact: true }).waitFor();

    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('tooltip').getByRole('button', { name: 'Yes' }).click();
    await row.waitFor({ state: 'detached' });

    const res = await fetch(`${baseUrl}/api/v1/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: name, password: 'x' }),
    });
    assert.equal(res.status, 401, 'the deleted user can no longer log in');
  } finally {
    await context.close();
  }
});
