// The console's tenancy pages in Debian's Chromium, against a real Berth (the built console,
// served by a server in this process) holding real clusters: a cluster registered by pasting its
// kubeconfig, a refused one showing the server's words, a cluster cut off and probed Degraded;
// the overview the console now opens on, with what needs attention as the reconciler (which the
// server runs) recorded it — a full namespace, an object it failed to apply; a tenant's quota and a
// namespace's quota, LimitRange and object states; a namespace created and deleted by the
// admin; Chinese; a cluster's NodePort strip with a reservation, and the NodePorts of a Service
// outside the tenants imported from the cluster; a tenant created, changed and deleted through its
// form, refusals of the server beside the fields they name; and a tenant viewer's narrower view.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import type { Browser, Locator, Page } from 'playwright-core';
import { createNamespace, createNode, eventually, expectOk, kubeVersion, withClusters } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { buildConsole } from '../console-server.ts';
import { adminUser, kubeconfigFor } from '../kube/support.ts';
import { startTestServer, adminPassword, type TestServer } from '../support/server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { tenancyOf } from '../../src/tenancy/index.ts';
import { adminKubeconfig, must } from './support.ts';

const chromiumPath = process.env.BERTH_CHROMIUM ?? '/usr/bin/chromium';
const chromiumArgs = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const screenshotPath = process.env.BERTH_CONSOLE_TENANCY_SCREENSHOT ?? join(tmpdir(), 'berth-console-overview.png');
const tenantFormShot = process.env.BERTH_CONSOLE_TENANT_FORM_SCREENSHOT ?? join(tmpdir(), 'berth-console-tenant-form.png');
const chromiumMissing = !existsSync(chromiumPath);
// Locally a machine without Chromium skips with a reason; in CI the missing browser is a failure.
const skip = chromiumMissing && process.env.CI !== 'true' ? `Chromium not installed at ${chromiumPath}` : false;

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function login(page: Page, url: string, username: string, password: string, landing: string): Promise<void> {
  await page.goto(url);
  await page.waitForURL('**/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`**${landing}`);
}

/** The error antd shows under the form field whose item carries `testId`. */
function fieldError(scope: Locator, testId: string): Locator {
  return scope.getByTestId(testId).locator('.ant-form-item-explain-error');
}

/** Registers `east` through the form, and sees an unusable kubeconfig refused in the dialog. */
async function registerThroughTheForm(page: Page, east: Cluster, west: Cluster): Promise<void> {
  await page.getByRole('menu').getByText('Clusters', { exact: true }).click();
  await page.waitForURL('**/clusters');
  await page.getByRole('button', { name: 'Register cluster' }).click();
  const dialog = page.getByRole('dialog');
  const nowhere = `https://127.0.0.1:${await closedPort()}`;
  await dialog.getByLabel('Name').fill('nowhere');
  await dialog.getByLabel('Kubeconfig').fill(kubeconfigFor({ server: nowhere, pki: west.pki }, adminUser(west)));
  await dialog.getByRole('button', { name: 'Register cluster' }).click();
  await fieldError(dialog, 'field-kubeconfig').getByText(`cluster "nowhere" at ${nowhere}`, { exact: false }).waitFor();

  await dialog.getByLabel('Name').fill('east');
  await dialog.getByLabel('Kubeconfig').fill(adminKubeconfig(east));
  await dialog.getByLabel('Labels').fill('site=berlin, region=eu');
  await dialog.getByRole('button', { name: 'Register cluster' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'east', exact: true }) });
  await row.getByText('Ready', { exact: true }).waitFor();
  const cells = (await row.getByRole('cell').allInnerTexts()).map((c) => c.trim());
  assert.deepEqual(cells.slice(0, 6), ['east', 'Ready', kubeVersion(), '1 of 1 ready', '4', '8 GiB']);
  assert.ok(cells[6].includes('site=berlin') && cells[6].includes('region=eu'), cells[6]);
  assert.equal(await page.getByRole('row').filter({ hasText: 'nowhere' }).count(), 0, 'the refused cluster was not stored');

  await row.getByRole('link', { name: 'east' }).click();
  await page.waitForURL('**/clusters/east');
  await page.getByTestId('cluster-facts').getByText(east.server, { exact: true }).waitFor();
  const ready = page.getByTestId('cluster-conditions').getByRole('row').filter({ hasText: 'Ready' }).first();
  assert.deepEqual((await ready.getByRole('cell').allInnerTexts()).slice(0, 2).map((c) => c.trim()), ['Ready', 'True']);
}

/** Creates `n` pods without resources in `namespace` (the LimitRange gives each requests.cpu 100m); no kubelet runs them, the quota counts them. */
async function createPods(cluster: Cluster, namespace: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    expectOk(await cluster.request('POST', `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: `app-${i}` },
      spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'busybox' }] },
    }), `create pod ${namespace}/app-${i}`);
  }
}

/**
 * Builds, for real, the state the overview reports on: a tenant whose namespace `web` is full
 * (10 pods of 10), an adopted namespace `legacy` where a ValidatingAdmissionPolicy of the
 * cluster refuses ResourceQuotas (so the reconciler's apply fails with the API server's words),
 * and a cluster cut off and probed Degraded. Waits until the reconciler has recorded the usage
 * and the failure.
 */
async function tenancyState(s: TestServer, token: string, east: Cluster, west: Cluster): Promise<{ close: () => Promise<void> }> {
  await must(s, token, 'POST', '/api/v1/users', { name: 'vic', password: 'vic-password-1', platformRoles: ['user'] });
  await must(s, token, 'POST', '/api/v1/tenants', {
    name: 'team-a', displayName: 'Team A', clusters: ['east'], quota: { pods: '20', 'requests.cpu': '4', namespaces: '4' },
    members: [{ kind: 'User', name: 'vic', role: 'viewer' }, { kind: 'Group', name: 'devs', role: 'member' }],
    defaultLimitRange: { container: { default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } } },
  });
  await must(s, token, 'POST', '/api/v1/tenants/team-a/namespaces', { name: 'web', cluster: 'east', quota: { pods: '10', 'requests.cpu': '2' } });
  await must(s, token, 'POST', '/api/v1/tenants/team-a/namespaces', { name: 'jobs', cluster: 'east', quota: { pods: '4', 'requests.cpu': '1' } });
  await createNamespace(east, { name: 'legacy' });
  // The cluster's own policy refuses ResourceQuotas in `legacy`, so applying Berth's fails there.
  const vap = '/apis/admissionregistration.k8s.io/v1';
  expectOk(await east.request('POST', `${vap}/validatingadmissionpolicies`, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'legacy-quotas' },
    spec: {
      failurePolicy: 'Fail',
      matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['resourcequotas'] }] },
      validations: [{ expression: "object.metadata.namespace != 'legacy'", message: 'quotas in legacy are set by the legacy team' }],
    },
  }), 'create the policy');
  expectOk(await east.request('POST', `${vap}/validatingadmissionpolicybindings`, {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingAdmissionPolicyBinding', metadata: { name: 'legacy-quotas' },
    spec: { policyName: 'legacy-quotas', validationActions: ['Deny'] },
  }), 'bind the policy');
  await eventually('the policy to be in force', async () => ((await east.request('POST', '/api/v1/namespaces/legacy/resourcequotas?dryRun=All', {
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'probe' }, spec: { hard: { pods: '1' } },
  })).status === 422 ? true : undefined));
  await must(s, token, 'POST', '/api/v1/tenants/team-a/namespaces', { name: 'legacy', cluster: 'east', quota: { pods: '2', 'requests.cpu': '500m' }, adopt: true });
  await eventually('web to be created by the reconciler', async () => ((await east.request('GET', '/api/v1/namespaces/web/serviceaccounts/default')).status === 200 ? true : undefined));
  await createPods(east, 'web', 10);
  await eventually('the reconciler to record web full and legacy failed', async () => {
    const web = await must(s, token, 'GET', '/api/v1/tenants/team-a/namespaces/east/web');
    const legacy = await must(s, token, 'GET', '/api/v1/tenants/team-a/namespaces/east/legacy');
    if (web.usage?.used?.pods === '10' && legacy.objects.some((o: any) => o.state === 'Failed')) return true;
    throw new Error(`web used ${JSON.stringify(web.usage?.used)}, legacy objects ${JSON.stringify(legacy.objects.map((o: any) => [o.kind, o.state, o.message]))}`);
  }, 60_000, 250);

  const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(new URL(west.server).port) });
  await must(s, token, 'POST', '/api/v1/clusters', { name: 'relayed', kubeconfig: kubeconfigFor({ server: `https://127.0.0.1:${proxy.port}`, pki: west.pki }, adminUser(west)) });
  proxy.cut();
  const outcomes = await tenancyOf(s.server.instances).parts.service.probeClusters();
  assert.deepEqual(outcomes.map((o) => [o.cluster, o.ready]), [['east', true], ['relayed', false]]);
  return { close: () => proxy.close() };
}

async function overview(page: Page): Promise<void> {
  const nav = page.getByRole('menu');
  await nav.getByText('Overview', { exact: true }).click();
  await page.waitForURL('**/overview');
  const attention = page.getByTestId('attention');
  const items = attention.getByRole('listitem');
  await items.first().waitFor();
  const texts = (await items.allInnerTexts()).map((x) => x.replace(/\s+/g, ' ').trim());
  assert.match(texts[0], /^! Cluster relayed is degraded: \w+ \(since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\) .*relayed/, texts.join('\n'));
  assert.ok(texts.some((x) => /^! ResourceQuota berth-quota in namespace legacy on east failed to apply .*quotas in legacy are set by the legacy team/.test(x)), texts.join('\n'));
  assert.ok(texts.includes('! Namespace web on east (tenant team-a): pods at 100% (10 of 10)'), texts.join('\n'));
  const clusters = page.getByTestId('overview-clusters');
  assert.equal((await clusters.getByRole('row').filter({ hasText: 'relayed' }).getByTestId('cluster-status').innerText()).trim(), 'Degraded');
  assert.equal((await clusters.getByRole('row').filter({ hasText: 'east' }).getByTestId('cluster-status').innerText()).trim(), 'Ready');
  const tenant = page.getByTestId('overview-tenants').getByRole('row').filter({ hasText: 'team-a' });
  assert.equal((await tenant.getByTestId('usage-pods').innerText()).trim().split('\n')[0], '10 / 20 (50%)');
  const audit = page.getByTestId('overview-audit').getByRole('row').filter({ hasText: 'namespaces' }).first();
  assert.ok((await audit.innerText()).includes('create'));
  await page.screenshot({ path: screenshotPath, fullPage: true });

  // The failed object's line leads to its namespace.
  await attention.getByRole('link', { name: /ResourceQuota berth-quota in namespace legacy/ }).click();
  await page.waitForURL('**/tenants/team-a/namespaces/east/legacy');
}

async function tenantAndNamespace(page: Page): Promise<void> {
  // The adopted namespace: the tenant's default LimitRange, and its objects' states with the failure.
  await page.getByText("The tenant's default", { exact: true }).waitFor();
  const defaults = page.getByTestId('namespace-limits').getByRole('row').filter({ hasText: 'defaultRequest' });
  assert.deepEqual((await defaults.getByRole('cell').allInnerTexts()).slice(0, 3).map((c) => c.trim()), ['Container', 'defaultRequest', '100m']);
  const failed = page.getByTestId('namespace-objects').getByRole('row').filter({ hasText: 'berth-quota' });
  const cells = (await failed.getByRole('cell').allInnerTexts()).map((c) => c.trim());
  assert.deepEqual(cells.slice(0, 3), ['ResourceQuota', 'berth-quota', 'Failed']);
  assert.match(cells[3], /quotas in legacy are set by the legacy team/);
  assert.ok(await page.getByTestId('namespace-objects').getByText('Applied', { exact: true }).count() > 0, 'the other objects applied');

  // The tenant: quota with hard, allocated and used; its namespaces; its members.
  await page.getByRole('link', { name: 'team-a' }).click();
  await page.waitForURL('**/tenants/team-a');
  const quota = page.getByTestId('tenant-quota').getByRole('row').filter({ hasText: 'requests.cpu' });
  await quota.waitFor();
  assert.deepEqual((await quota.getByRole('cell').allInnerTexts()).slice(0, 4).map((c) => c.trim()), ['requests.cpu', '4', '3500m', '1']);
  const members = (await page.getByTestId('tenant-members').getByRole('row').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
  assert.deepEqual(members.slice(1).sort(), ['Group devs member', 'User vic viewer']);

  // The full namespace: its quota against what the cluster counts, a red bar where it is full.
  await page.getByTestId('tenant-namespaces').getByRole('link', { name: 'web' }).click();
  await page.waitForURL('**/tenants/team-a/namespaces/east/web');
  const pods = page.getByTestId('namespace-quota').getByRole('row').filter({ hasText: 'pods' });
  assert.equal((await pods.getByTestId('usage-pods').innerText()).trim().split('\n')[0], '10 / 10 (100%)');
  assert.equal(await pods.locator('.ant-progress-status-exception').count(), 1, 'a full quota shows a red bar');
  const cpu = page.getByTestId('namespace-quota').getByRole('row').filter({ hasText: 'requests.cpu' });
  assert.equal((await cpu.getByTestId('usage-requests.cpu').innerText()).trim().split('\n')[0], '1 / 2 (50%)');
  await page.getByRole('link', { name: 'team-a' }).click();
  await page.waitForURL('**/tenants/team-a');

  // A namespace created in the dialog: a slice beyond the tenant quota is refused there with the
  // server's numbers; a fitting one appears and is deleted again.
  await page.getByRole('button', { name: 'New namespace' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name', { exact: true }).fill('batch');
  await dialog.getByLabel('Quota').fill('requests.cpu=2, pods=2');
  await dialog.getByRole('button', { name: 'Create' }).click();
  const refusal = (await fieldError(dialog, 'field-quota').innerText()).trim();
  assert.match(refusal, /requests\.cpu/);
  assert.match(refusal, /\b4\b/);
  await dialog.getByLabel('Quota').fill('requests.cpu=500m, pods=2');
  await dialog.getByRole('button', { name: 'Create' }).click();
  await page.getByTestId('tenant-namespaces').getByRole('link', { name: 'batch' }).click();
  await page.waitForURL('**/tenants/team-a/namespaces/east/batch');
  await page.getByRole('heading', { name: 'batch' }).waitFor();
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('tooltip').getByRole('button', { name: 'Yes' }).click();
  await page.waitForURL(/\/tenants\/team-a$/);
  await page.getByTestId('tenant-namespaces').getByRole('link', { name: 'jobs' }).waitFor();
  assert.equal(await page.getByTestId('tenant-namespaces').getByRole('link', { name: 'batch' }).count(), 0);
}

async function inChinese(page: Page): Promise<void> {
  await page.getByText('中文', { exact: true }).click();
  await page.getByRole('menu').getByText('概览', { exact: true }).click();
  await page.waitForURL('**/overview');
  await page.getByText('需要关注', { exact: true }).waitFor();
  await page.getByTestId('overview-clusters').getByText('降级', { exact: true }).waitFor();
  await page.getByText('集群 relayed 已降级：', { exact: false }).waitFor();
  assert.equal(await page.title(), '概览 · Berth');
  await page.getByText('English', { exact: true }).click();
}

/**
 * A reservation made through the API shows on the cluster's page: a reserved segment of the strip,
 * its owner in the table; allocations with their state (one held through the API, one the webhook's
 * allocator took for a Service not seen yet); in English and Chinese. (A Service cannot be created
 * in team-a here: its tenant-quota webhook waits for the unreachable cluster `relayed`.)
 */
async function nodePorts(page: Page, s: TestServer, token: string): Promise<void> {
  await must(s, token, 'POST', '/api/v1/clusters/east/nodeports/reservations', { ports: '30100-30109', owner: 'legacy-lb', note: 'the old balancer' });
  const held = await must(s, token, 'POST', '/api/v1/clusters/east/nodeports/allocations', { tenant: 'team-a' });
  const [pending] = await tenancyOf(s.server.instances).parts.nodePorts.allocateForService(
    { principal: { type: 'user', name: 'system:admission:east', platformRoles: ['platform-admin'], tenantRoles: [] }, sourceIp: 'cluster/east', requestId: 'console-test' },
    'east', { tenant: 'team-a', namespace: 'web', name: 'front', generateName: false, ports: [undefined] });
  const map = await must(s, token, 'GET', '/api/v1/clusters/east/nodeports');
  await page.getByRole('menu').getByText('Clusters', { exact: true }).click();
  await page.getByRole('link', { name: 'east', exact: true }).click();
  await page.waitForURL('**/clusters/east');
  const section = page.getByTestId('cluster-nodeports');
  const reserved = section.getByTestId('strip-reserved');
  await reserved.waitFor();
  assert.equal(await reserved.getAttribute('data-ports'), '30100-30109');
  assert.equal((await section.getByTestId('nodeports-summary').innerText()).trim(), `${map.free} of ${map.size} ports free in ${map.range}`);
  assert.equal(map.free, map.size - 12);
  await reserved.hover();
  await page.getByRole('tooltip').getByText('30100-30109: Reserved (10 ports)', { exact: true }).waitFor();
  const row = section.getByTestId('nodeports-reserved').getByRole('row').filter({ hasText: 'legacy-lb' });
  assert.deepEqual((await row.getByRole('cell').allInnerTexts()).map((c) => c.trim()), ['30100-30109', 'legacy-lb', 'the old balancer']);
  const allocated = section.getByTestId('nodeports-allocated');
  const cells = async (port: number) => (await allocated.getByRole('row').filter({ hasText: String(port) }).getByRole('cell').allInnerTexts()).map((c) => c.trim());
  assert.deepEqual(await cells(held.port), [String(held.port), 'team-a', '—', 'Held']);
  assert.deepEqual(await cells(pending), [String(pending), 'team-a', 'web/front', 'Waiting for its Service']);

  await page.getByText('中文', { exact: true }).click();
  await section.getByText('预留端口', { exact: true }).waitFor();
  await section.getByTestId('nodeports-legend').getByText('已预留', { exact: true }).waitFor();
  assert.equal((await section.getByTestId('nodeports-summary').innerText()).trim(), `${map.range} 中 ${map.size} 个端口有 ${map.free} 个空闲`);
  await section.getByTestId('nodeports-reserved').getByRole('row').filter({ hasText: 'legacy-lb' }).waitFor();
  await allocated.getByRole('row').filter({ hasText: 'web/front' }).getByText('等待服务出现', { exact: true }).waitFor();
  await page.getByText('English', { exact: true }).click();
}

/**
 * "Import from cluster" on the cluster's page: a Service outside the tenants that holds a node
 * port is shown in the dialog as to reserve; confirming reserves it for that Service, and the
 * strip and the table show it; in Chinese a second run shows it already reserved.
 */
async function importFromCluster(page: Page, s: TestServer, token: string, east: Cluster): Promise<void> {
  expectOk(await east.request('POST', '/api/v1/namespaces/default/services', {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'legacy-gw' }, spec: { type: 'NodePort', selector: { app: 'gw' }, ports: [{ port: 80, nodePort: 30777 }] },
  }), 'create default/legacy-gw');
  const plan = await must(s, token, 'POST', '/api/v1/clusters/east/nodeports/reservations/import', { from: 'cluster', dryRun: true });
  assert.ok(plan.imported.some((x: any) => x.port === 30777 && x.service === 'default/legacy-gw' && x.status === 'created'), JSON.stringify(plan));
  const section = page.getByTestId('cluster-nodeports');
  await section.getByRole('button', { name: 'Import from cluster' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByText('Import the NodePorts in use on cluster east', { exact: true }).waitFor();
  assert.equal((await dialog.getByTestId('nodeports-import-summary').innerText()).trim(),
    `${plan.created.length} to reserve, ${plan.unchanged} already reserved, ${plan.tenantPorts} in tenant namespaces left alone.`);
  const planned = dialog.getByRole('row').filter({ hasText: 'default/legacy-gw' });
  assert.deepEqual((await planned.getByRole('cell').allInnerTexts()).map((c) => c.trim()), ['30777', 'default/legacy-gw', 'To reserve']);
  await dialog.getByRole('button', { name: 'Reserve' }).click();
  await page.getByText(`Ports of cluster east reserved: ${plan.created.length} new, ${plan.unchanged} already reserved.`, { exact: true }).waitFor();
  const row = section.getByTestId('nodeports-reserved').getByRole('row').filter({ hasText: 'Service default/legacy-gw' });
  await row.waitFor();
  assert.equal((await row.getByRole('cell').first().innerText()).trim(), '30777');
  assert.equal(await section.locator('[data-testid="strip-reserved"][data-ports="30777"]').count(), 1, 'the strip shows 30777 reserved');

  await page.getByText('中文', { exact: true }).click();
  await section.getByRole('button', { name: '从集群导入' }).click();
  const again = page.getByRole('dialog');
  await again.getByText('导入集群 east 正在使用的 NodePort', { exact: true }).waitFor();
  const unchanged = again.getByRole('row').filter({ hasText: 'default/legacy-gw' });
  assert.deepEqual((await unchanged.getByRole('cell').allInnerTexts()).map((c) => c.trim()), ['30777', 'default/legacy-gw', '已预留']);
  await again.getByRole('button', { name: /取\s*消/ }).click();
  await again.waitFor({ state: 'hidden' });
  await page.getByText('English', { exact: true }).click();
}

/** Picks `value` in the antd Select inside `field` (the dropdown renders outside the dialog). */
async function choose(page: Page, field: Locator, value: string): Promise<void> {
  await field.locator('.ant-select').click();
  await page.locator(`.ant-select-dropdown:visible .ant-select-item-option[title="${value}"]`).click();
}

/**
 * Creates team-b through the form: a bad quantity refused as it is typed, in the words the API
 * answers for it; the taken name team-a refused by the server beside the name; then seen in the
 * list and, field by field, in the API.
 */
async function createTenant(page: Page, s: TestServer, token: string): Promise<void> {
  await page.getByRole('menu').getByText('Tenants', { exact: true }).click();
  await page.waitForURL('**/tenants');
  await page.getByRole('button', { name: 'New tenant' }).click();
  const dialog = page.getByRole('dialog');
  for (const label of ['Name', 'Display name', 'Clusters', 'Members', 'Quota', 'Default LimitRange', 'Node selector']) {
    await dialog.getByText(label, { exact: true }).first().waitFor();
  }
  await dialog.getByLabel('Name', { exact: true }).fill('team-a');
  await dialog.getByLabel('Display name').fill('Team B');
  await choose(page, dialog.getByTestId('field-clusters'), 'east');
  await dialog.getByRole('button', { name: 'Add member' }).click();
  const member = dialog.getByTestId('member-0');
  await choose(page, member.getByTestId('member-kind'), 'Group');
  await member.getByLabel('Member', { exact: true }).fill('ops');
  await choose(page, member.getByTestId('member-role'), 'tenant-admin');
  // A User member: Berth's users are offered as the name is typed.
  await dialog.getByRole('button', { name: 'Add member' }).click();
  const user = dialog.getByTestId('member-1');
  await user.getByLabel('Member', { exact: true }).fill('v');
  await page.locator('.ant-select-dropdown:visible .ant-select-item-option[title="vic"]').click();
  await choose(page, user.getByTestId('member-role'), 'viewer');
  // A quantity the server would refuse is refused as it is typed, in the server's own words.
  const serverWords = (await must(s, token, 'POST', '/api/v1/tenants', { name: 'team-b', clusters: ['east'], quota: { 'requests.cpu': '2 cores' } }, [422])).details.causes[0].message;
  await dialog.getByLabel('requests.cpu', { exact: true }).fill('2 cores');
  assert.equal((await fieldError(dialog, 'field-quota.requests.cpu').innerText()).trim(), serverWords);
  await dialog.getByLabel('requests.cpu', { exact: true }).fill('4');
  await dialog.getByLabel('pods', { exact: true }).fill('20');
  await dialog.getByLabel('limits.memory', { exact: true }).fill('8Gi');
  await dialog.getByLabel('container default cpu').fill('500m');
  await dialog.getByLabel('container defaultRequest cpu').fill('100m');
  await dialog.getByLabel('Node selector').fill('pool=general');
  await page.screenshot({ path: tenantFormShot, fullPage: true });
  // The name is taken: only the server knows; its 409 stands next to the name.
  await dialog.getByRole('button', { name: 'Create' }).click();
  await fieldError(dialog, 'field-name').getByText('Tenant "team-a" already exists', { exact: true }).waitFor();
  await dialog.getByLabel('Name', { exact: true }).fill('team-b');
  await dialog.getByRole('button', { name: 'Create' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'team-b', exact: true }) });
  await row.waitFor();
  assert.deepEqual((await row.getByRole('cell').allInnerTexts()).slice(0, 4).map((c) => c.trim()), ['team-b', 'Team B', 'east', '2']);
  const stored = await must(s, token, 'GET', '/api/v1/tenants/team-b');
  assert.deepEqual(
    { displayName: stored.displayName, clusters: stored.clusters, members: stored.members, quota: stored.quota, defaultLimitRange: stored.defaultLimitRange, nodeSelector: stored.nodeSelector },
    {
      displayName: 'Team B', clusters: ['east'],
      members: [{ kind: 'Group', name: 'ops', role: 'tenant-admin' }, { kind: 'User', name: 'vic', role: 'viewer' }],
      quota: { 'limits.memory': '8Gi', pods: '20', 'requests.cpu': '4' },
      defaultLimitRange: { container: { default: { cpu: '500m' }, defaultRequest: { cpu: '100m' } } }, nodeSelector: { pool: 'general' },
    },
  );
}

/**
 * Changes team-b's quota in the prefilled form: raised, it shows on the page and in the API;
 * lowered under what its namespace holds, the server's refusal with its numbers stands beside
 * the field and nothing changes.
 */
async function changeTenantQuota(page: Page, s: TestServer, token: string): Promise<void> {
  await must(s, token, 'POST', '/api/v1/tenants/team-b/namespaces', { name: 'b-web', cluster: 'east', quota: { 'requests.cpu': '3', pods: '5' } });
  await page.getByRole('link', { name: 'team-b', exact: true }).click();
  await page.waitForURL('**/tenants/team-b');
  await page.getByRole('button', { name: 'Edit' }).click();
  const edit = page.getByRole('dialog');
  assert.equal(await edit.getByLabel('requests.cpu', { exact: true }).inputValue(), '4');
  assert.equal(await edit.getByLabel('container defaultRequest cpu').inputValue(), '100m');
  assert.equal(await edit.getByTestId('member-0').getByLabel('Member', { exact: true }).inputValue(), 'ops');
  assert.ok(await edit.getByLabel('Name', { exact: true }).isDisabled(), 'the name of a tenant stays');
  await edit.getByLabel('requests.cpu', { exact: true }).fill('6');
  await edit.getByRole('button', { name: 'Save' }).click();
  const cpu = page.getByTestId('tenant-quota').getByRole('row').filter({ hasText: 'requests.cpu' });
  await eventually('the raised quota on the page', async () => {
    const cells = (await cpu.getByRole('cell').allInnerTexts()).map((c) => c.trim());
    return cells[1] === '6' && cells[2] === '3' ? true : undefined;
  });
  assert.equal((await must(s, token, 'GET', '/api/v1/tenants/team-b')).quota['requests.cpu'], '6');

  // A quota under what the namespace holds: the server refuses with its numbers, next to the field.
  await page.getByRole('button', { name: 'Edit' }).click();
  await edit.getByLabel('requests.cpu', { exact: true }).fill('2');
  await edit.getByRole('button', { name: 'Save' }).click();
  const refused = (await fieldError(edit, 'field-quota.requests.cpu').innerText()).trim();
  assert.equal(refused, 'Forbidden: requests.cpu: namespaces already hold 3, tenant quota would be 2');
  await edit.getByRole('button', { name: 'Cancel' }).click();
  assert.equal((await must(s, token, 'GET', '/api/v1/tenants/team-b')).quota['requests.cpu'], '6');
}

/** Deletes team-b: refused while its namespace is there, with the server's words; done once it is gone. */
async function deleteTenant(page: Page, s: TestServer, token: string): Promise<void> {
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('tooltip').getByRole('button', { name: 'Yes' }).click();
  await page.getByTestId('detail-refusal').getByText('it still has namespaces "east/b-web"', { exact: false }).waitFor();
  await must(s, token, 'DELETE', '/api/v1/tenants/team-b/namespaces/east/b-web?force=true');
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('tooltip').getByRole('button', { name: 'Yes' }).click();
  await page.waitForURL(/\/tenants$/);
  await page.getByRole('link', { name: 'team-a', exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'team-b', exact: true }).count(), 0);
  await must(s, token, 'GET', '/api/v1/tenants/team-b', undefined, [404]);
}

/** The tenant form's labels in Chinese. */
async function tenantFormInChinese(page: Page): Promise<void> {
  await page.getByText('中文', { exact: true }).click();
  await page.getByRole('button', { name: '新建租户' }).click();
  const zh = page.getByRole('dialog');
  for (const label of ['名称', '显示名称', '集群', '成员', '配额', '默认资源限制范围（LimitRange）', '节点选择器']) {
    await zh.getByText(label, { exact: true }).first().waitFor();
  }
  await zh.getByRole('button', { name: '添加成员' }).waitFor();
  await zh.getByRole('button', { name: '取 消' }).or(zh.getByRole('button', { name: '取消' })).click();
  await page.getByText('English', { exact: true }).click();
}

async function asViewer(browser: Browser, url: string): Promise<void> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
  try {
    const page = await context.newPage();
    await login(page, url, 'vic', 'vic-password-1', '/overview');
    const menu = (await page.getByRole('menu').getByRole('menuitem').allInnerTexts()).map((x) => x.trim());
    assert.deepEqual(menu, ['Overview', 'Tenants', 'API tokens', 'Projects']);
    await page.getByTestId('overview-tenants').getByRole('link', { name: 'team-a' }).waitFor();
    assert.equal(await page.getByTestId('overview-clusters').count(), 0, 'a tenant viewer does not see the clusters');
    await page.getByText('Namespace web on east (tenant team-a)', { exact: false }).waitFor();
    await page.goto(`${url}/clusters`);
    await page.waitForURL('**/overview');
    await page.goto(`${url}/tenants/team-a`);
    await page.getByTestId('tenant-namespaces').getByRole('link', { name: 'web' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'New namespace' }).count(), 0, 'a viewer is offered no namespace creation');
    assert.equal(await page.getByRole('button', { name: 'Edit' }).count() + await page.getByRole('button', { name: 'Delete' }).count(), 0, 'nor a tenant change');
    await page.goto(`${url}/tenants`);
    await page.getByRole('link', { name: 'team-a', exact: true }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'New tenant' }).count(), 0, 'nor a new tenant');
  } finally {
    await context.close();
  }
}

test('console: clusters, the overview, a tenant and its namespace, against real clusters', { skip, timeout: 300_000 }, withClusters(2, async ([east, west]) => {
  assert.ok(!chromiumMissing, `Chromium is required in CI but ${chromiumPath} does not exist`);
  await createNode(east, { capacity: { cpu: '4', memory: '8Gi' } });
  const work = mkdtempSync(join(tmpdir(), 'berth-tenancy-console-'));
  let s: TestServer | undefined;
  let browser: Browser | undefined;
  let state: { close: () => Promise<void> } | undefined;
  try {
    buildConsole(join(work, 'console'));
    s = await startTestServer('sqlite', { BERTH_CONSOLE_DIR: join(work, 'console') });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 900 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // The console opens on the overview; with nothing registered, nothing needs attention.
    await login(page, s.url, 'admin', adminPassword, '/overview');
    await page.getByTestId('attention-none').waitFor();
    await registerThroughTheForm(page, east, west);
    const token = await s.login();
    state = await tenancyState(s, token, east, west);
    await overview(page);
    await tenantAndNamespace(page);
    await inChinese(page);
    await nodePorts(page, s, token);
    await importFromCluster(page, s, token, east);
    await createTenant(page, s, token);
    await changeTenantQuota(page, s, token);
    await deleteTenant(page, s, token);
    await tenantFormInChinese(page);
    assert.deepEqual(pageErrors, []);
    await context.close();
    await asViewer(browser, s.url);
  } finally {
    await state?.close();
    await browser?.close();
    await s?.close();
    rmSync(work, { recursive: true, force: true });
  }
}));
