// End to end: the built console served by a real `berth server`, driven in Debian's Chromium.
// Logs in as admin, creates an API token and sees its one-time secret, finds the token's
// creation in the audit log, exports and verifies the log, manages a user, switches to Chinese;
// then the registry: a project, an image pushed by skopeo, its repository and artifacts with the
// pull command, a robot account whose one-time secret really logs skopeo in, members, GC.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { startBerth } from './console-server.ts';
import { Layout, run, tool } from './registry/support.ts';
import type { BerthUnderTest } from './console-server.ts';

const chromiumPath = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const screenshotPath = process.env.BERTH_CONSOLE_SCREENSHOT ?? join(tmpdir(), 'berth-console-audit.png');
const registryScreenshotPath = process.env.BERTH_CONSOLE_REGISTRY_SCREENSHOT ?? join(tmpdir(), 'berth-console-registry.png');

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

/** Logs in and waits for the landing page: the overview for those who may read any of it, else the first page they may open. */
async function login(page: Page, username = 'admin', password = adminPassword, landing = '/overview'): Promise<void> {
  await page.goto(baseUrl);
  await page.waitForURL('**/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`**${landing}`);
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
    for (const item of ['Overview', 'Clusters', 'Tenants', 'API tokens', 'Users', 'Audit log']) await nav.getByText(item, { exact: true }).waitFor();
    assert.equal(await page.title(), 'Overview · Berth');
    await nav.getByText('API tokens', { exact: true }).click();
    await page.waitForURL('**/tokens');

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
    { role: 'user', pages: ['API tokens', 'Projects'], landing: '/tokens' },
    { role: 'auditor', pages: ['Overview', 'API tokens', 'Projects', 'Audit log'], landing: '/overview' },
  ];
  for (const { role, pages, landing } of cases) {
    const name = `e2e-${role}-${suffix}`;
    const created = await apiAsAdmin('POST', '/api/v1/users', { name, password, platformRoles: [role] });
    assert.equal(created.status, 201, await created.clone().text());
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    try {
      await login(page, name, password, landing);
      await page.getByTestId('current-user').getByText(name).waitFor();
      const items = (await page.getByRole('menu').getByRole('menuitem').allInnerTexts()).map((t) => t.trim());
      assert.deepEqual(items, pages, `menu of a ${role}`);
      // A page the user may not open is not reachable by typing its path either.
      for (const path of ['/users', '/clusters']) {
        await page.goto(`${baseUrl}${path}`);
        await page.waitForURL(`**${landing}`);
      }
      assert.equal(await page.getByRole('button', { name: 'New user' }).count(), 0);
    } finally {
      await context.close();
      await apiAsAdmin('DELETE', `/api/v1/users/${name}`);
    }
  }
});

test('console: registry — a project, a pushed image, its pull command, a robot account, members, GC, in Chinese too', { skip, timeout: 180_000 }, async () => {
  assert.ok(browser);
  const skopeo = tool('skopeo');
  const suffix = Date.now().toString(36);
  const project = `e2e-${suffix}`;
  const host = new URL(baseUrl).host;
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseUrl });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const work = await mkdtemp(join(tmpdir(), 'berth-console-registry-'));
  const guest = `e2e-guest-${suffix}`;
  const guestPassword = `pw-${crypto.randomUUID()}`;
  try {
    await login(page);
    const nav = page.getByRole('menu');
    await nav.getByText('Projects', { exact: true }).click();
    await page.waitForURL('**/projects');

    // The admin creates a platform project with a storage quota.
    await page.getByRole('button', { name: 'New project' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill(project);
    await dialog.getByLabel('Storage quota (MiB)').fill('10');
    await dialog.getByRole('button', { name: 'Create' }).click();
    const projectRow = page.getByRole('row').filter({ hasText: project });
    await projectRow.getByText('0 B of 10 MiB', { exact: true }).waitFor();

    // A real client pushes an image, and an SBOM that refers to it, through /v2.
    const layout = new Layout(join(work, 'layout'));
    const image = layout.image([[{ path: 'app/hello.txt', content: `hello ${suffix}\n` }]]);
    layout.tag(image, 'v1');
    const sbom = layout.image([[{ path: 'sbom.json', content: '{"spdxVersion":"SPDX-2.3"}' }]], { subject: image, artifactType: 'application/spdx+json' });
    layout.tag(sbom, 'sbom');
    const creds = `admin:${adminPassword}`;
    let r = await run(skopeo, ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:v1`, `docker://${host}/${project}/team/web:v1`]);
    assert.equal(r.code, 0, r.stderr);
    r = await run(skopeo, ['copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${layout.dir}:sbom`, `docker://${host}/${project}/team/web@${sbom.digest}`]);
    assert.equal(r.code, 0, r.stderr);

    // Project → repository → artifacts: tag, short digest, referrer, and the pull commands.
    await page.getByRole('button', { name: 'Refresh' }).click();
    // The list shows the usage its one answer carries: two artifacts, no artifact limit.
    await projectRow.getByText('2 of no limit', { exact: true }).waitFor();
    await projectRow.getByRole('link', { name: project }).click();
    await page.waitForURL(`**/projects/${project}`);
    await page.getByTestId('project-usage').getByText('2 of no limit', { exact: true }).waitFor();
    await page.getByRole('link', { name: 'team/web' }).click();
    await page.waitForURL(`**/projects/${project}/repositories/team/web`);
    const imageRow = page.getByRole('row').filter({ has: page.getByText('v1', { exact: true }) });
    await imageRow.waitFor();
    assert.equal((await imageRow.getByTestId('artifact-digest').innerText()).trim(), image.digest.slice(0, 'sha256:'.length + 12));
    assert.ok((await imageRow.getByTestId('artifact-referrer').innerText()).includes(sbom.digest.slice(7, 19)), 'the SBOM is listed as a referrer of the image');
    const pull = imageRow.getByTestId('pull-command');
    const expected = `docker pull ${host}/${project}/team/web:v1`;
    assert.equal((await pull.locator('code').innerText()).trim(), expected);
    await pull.locator('.ant-typography-copy').click();
    await page.getByText('Copied', { exact: true }).first().waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), expected, 'the copy button puts the pull command on the clipboard');
    await imageRow.getByRole('button', { name: /expand/i }).click();
    const byDigest = page.getByTestId('pull-by-digest');
    assert.equal((await byDigest.locator('code').innerText()).trim(), `docker pull ${host}/${project}/team/web@${image.digest}`);
    await page.screenshot({ path: registryScreenshotPath, fullPage: true });

    // A robot account: its secret and docker login command are shown once, and the secret works.
    await page.getByRole('link', { name: project }).click();
    await page.getByRole('tab', { name: 'Robot accounts' }).click();
    await page.waitForURL(`**/projects/${project}/robots`);
    await page.getByRole('button', { name: 'New robot account' }).click();
    const robotDialog = page.getByRole('dialog');
    await robotDialog.getByLabel('Name', { exact: true }).fill('ci');
    await robotDialog.getByTestId('robot-permission').getByRole('textbox').fill('team/*');
    await robotDialog.getByRole('checkbox', { name: 'push' }).check();
    await robotDialog.getByRole('button', { name: 'Create' }).click();
    const secretBox = page.getByTestId('robot-secret');
    await secretBox.getByText('shown only once', { exact: false }).waitFor();
    const username = `robot$${project}+ci`;
    const secret = (await secretBox.getByTestId('robot-secret-value').locator('code').innerText()).trim();
    assert.ok(secret.length >= 20, `robot secret looks too short: "${secret}"`);
    assert.equal((await secretBox.getByTestId('robot-login-command').locator('code').innerText()).trim(),
      `echo ${secret} | docker login ${host} --username 'robot$${project}+ci' --password-stdin`);
    r = await run(skopeo, ['inspect', '--raw', '--tls-verify=false', '--creds', `${username}:${secret}`, `docker://${host}/${project}/team/web:v1`]);
    assert.equal(r.code, 0, `the robot pulls with the secret it was shown: ${r.stderr}`);
    const robotRow = page.getByRole('row').filter({ hasText: username });
    await robotRow.getByText('team/*', { exact: true }).waitFor();
    await page.getByRole('button', { name: 'Done' }).click();
    assert.equal(await secretBox.count(), 0, 'the secret is gone once dismissed');
    await page.reload();
    await robotRow.waitFor();
    assert.ok(!(await page.content()).includes(secret), 'the secret is never shown again');

    // Members: grant a guest; the guest sees the project but none of the managers' controls.
    const created = await apiAsAdmin('POST', '/api/v1/users', { name: guest, password: guestPassword, platformRoles: ['user'] });
    assert.equal(created.status, 201, await created.clone().text());
    await page.getByRole('tab', { name: 'Members' }).click();
    await page.getByRole('button', { name: 'Add member' }).click();
    const memberDialog = page.getByRole('dialog');
    await memberDialog.getByLabel('User').fill(guest);
    await memberDialog.getByLabel('Role').click();
    await page.locator('.ant-select-item-option').filter({ hasText: /^guest$/ }).click();
    await memberDialog.getByRole('button', { name: 'Add' }).click();
    await page.getByRole('row').filter({ hasText: guest }).getByText('guest', { exact: true }).waitFor();

    // A retention policy that keeps only release-* tags: its dry run lists the image (and its SBOM) as going.
    await page.getByRole('tab', { name: 'Policies' }).click();
    const retention = page.getByTestId('retention-policies');
    await retention.getByLabel('Keep tags matching').fill('release-*');
    await retention.getByLabel('Keep tags matching').press('Enter');
    await retention.getByRole('button', { name: 'Add policy' }).click();
    await retention.getByText('tags release-*', { exact: true }).waitFor();
    await retention.getByRole('button', { name: 'Dry run' }).click();
    const dry = page.getByTestId('retention-result');
    await dry.getByText('Dry run: 2 artifacts would be deleted, 0 kept.', { exact: true }).waitFor();
    await dry.getByText(image.digest.slice(0, 19), { exact: true }).waitFor();
    const still = await apiAsAdmin('GET', `/api/v1/registry/artifacts?repository=${project}/team/web`);
    assert.equal(((await still.json()) as { items: unknown[] }).items.length, 2, 'a dry run deletes nothing');

    // The admin's dry-run garbage collection reports what it would free.
    await nav.getByText('Garbage collection', { exact: true }).click();
    await page.waitForURL('**/gc');
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByTestId('gc-result').getByText('Dry run.', { exact: false }).waitFor();

    // In Chinese, the registry pages are translated too.
    await page.getByText('中文', { exact: true }).click();
    await nav.getByText('垃圾回收', { exact: true }).waitFor();
    await page.getByRole('button', { name: '模拟执行' }).waitFor();
    await nav.getByText('镜像项目', { exact: true }).click();
    await page.getByRole('columnheader', { name: '可见性' }).waitFor();
    await page.goto(`${baseUrl}/projects/${project}/repositories/team/web`);
    await page.getByRole('columnheader', { name: '摘要' }).waitFor();
    await page.getByRole('columnheader', { name: '引用者' }).waitFor();
    await page.getByRole('row').filter({ hasText: sbom.digest.slice(7, 19) }).getByText('无标签', { exact: true }).waitFor();
    // The robot's pull (skopeo inspect above) is recorded: the image is no longer "never" pulled.
    const pulled = page.getByRole('row').filter({ has: page.getByText('v1', { exact: true }) }).getByTestId('artifact-pulled');
    assert.match(await pulled.innerText(), /^最近拉取: \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    await page.goto(`${baseUrl}/projects/${project}/policies`);
    await page.getByText('标签不可变', { exact: true }).waitFor();
    await page.getByRole('button', { name: '模拟执行' }).waitFor();
    assert.deepEqual(pageErrors, []);

    const guestContext = await browser.newContext({ locale: 'en-US' });
    try {
      const guestPage = await guestContext.newPage();
      await login(guestPage, guest, guestPassword, '/tokens');
      await guestPage.goto(`${baseUrl}/projects/${project}`);
      await guestPage.getByRole('link', { name: 'team/web' }).waitFor();
      assert.deepEqual((await guestPage.getByRole('tab').allInnerTexts()).map((x) => x.trim()), ['Repositories', 'Members', 'Policies']);
      await guestPage.getByRole('tab', { name: 'Members' }).click();
      await guestPage.getByRole('row').filter({ hasText: guest }).waitFor();
      assert.equal(await guestPage.getByRole('button', { name: 'Add member' }).count(), 0);
      assert.equal(await guestPage.getByRole('button', { name: 'New project' }).count(), 0);
      // Typing a manager's path gets the server's refusal, shown as such.
      await guestPage.goto(`${baseUrl}/projects/${project}/robots`);
      await guestPage.getByText('Your account may not do this here.').waitFor();
      assert.equal(await guestPage.getByRole('button', { name: 'New robot account' }).count(), 0);
      await guestPage.goto(`${baseUrl}/projects/no-such-${suffix}`);
      await guestPage.getByText('Not found, or not visible to your account.').waitFor();
      assert.equal(await guestPage.getByRole('menu').getByText('Garbage collection', { exact: true }).count(), 0);
    } finally {
      await guestContext.close();
    }
  } finally {
    await context.close();
    await apiAsAdmin('DELETE', `/api/v1/users/${guest}`);
    await rm(work, { recursive: true, force: true });
  }
});
