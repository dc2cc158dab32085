// End to end: the built console served by a real `berth server`, driven in Debian's Chromium.
// Logs in as admin, creates an API token and sees its one-time secret, finds the token's
// creation in the audit log, exports and verifies the log, manages a user, switches to Chinese.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startBerth } from './console-server.ts';
import type { BerthUnderTest } from './console-server.ts';

const chromiumPath = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const screenshotPath = process.env.BERTH_CONSOLE_SCREENSHOT ?? join(tmpdir(), 'berth-console-audit.png');

const chromiumMissing = !existsSync(chromiumPath);
// Locally a machine without Chromium skips with a reason; in CI the missing browser is a failure.
const skip = chromiumMissing && process.env.CI !== 'true' ? `Chromium not installed at ${chromiumPath}` : false;

let berth: BerthUnderTest | undefined;
let baseUrl = '';
let adminPassword = '';
let browser: Browser | undefined;

before(async () => {
  if (skip) return;
  assert.ok(!chromiumMissing, `Chromium is required in CI but ${chromiumPath} does not exist`);
  berth = await startBerth();
  baseUrl = berth.url;
  adminPassword = berth.adminPassword;
  browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
});

after(async () => {
  await browser?.close();
  await berth?.stop();
});

async function login(page: Page, username = 'admin', password = adminPassword): Promise<void> {
  await page.goto(baseUrl);
  await page.waitForURL('**/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL('**/tokens');
}

function apiAsAdmin(method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${berth?.adminToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
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
    assert.equal(await page.title(), 'Audit log · Berth');
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
    assert.equal(await page.title(), '审计日志 · Berth');
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

test('console: the navigation shows only the pages the permissions allow', { skip }, async () => {
  assert.ok(browser);
  const suffix = Date.now().toString(36);
  const password = `pw-${crypto.randomUUID()}`;
  const cases = [
    { role: 'user', pages: ['API tokens', 'Projects'] },
    { role: 'auditor', pages: ['API tokens', 'Projects', 'Audit log'] },
  ];
  for (const { role, pages } of cases) {
    const name = `e2e-${role}-${suffix}`;
    const created = await apiAsAdmin('POST', '/api/v1/users', { name, password, platformRoles: [role] });
    assert.equal(created.status, 201, await created.clone().text());
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    try {
      await login(page, name, password);
      await page.getByTestId('current-user').getByText(name).waitFor();
      const items = (await page.getByRole('menu').getByRole('menuitem').allInnerTexts()).map((t) => t.trim());
      assert.deepEqual(items, pages, `menu of a ${role}`);
      // A page the user may not open is not reachable by typing its path either.
      await page.goto(`${baseUrl}/users`);
      await page.waitForURL('**/tokens');
      assert.equal(await page.getByRole('button', { name: 'New user' }).count(), 0);
    } finally {
      await context.close();
      await apiAsAdmin('DELETE', `/api/v1/users/${name}`);
    }
  }
});
