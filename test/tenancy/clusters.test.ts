// Registering real clusters through Berth's API, on both backends: the probe's findings (Ready,
// version, nodes, capacity), credentials that are never answered and are stored sealed, a
// kubeconfig that cannot be used refused with nothing stored, updates with optimistic
// concurrency, the periodic probe turning a cut-off cluster Degraded and back, and the audit.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { createNode, kubeVersion, withClusters } from '../clusters/index.ts';
import type { Cluster } from '../clusters/index.ts';
import { adminUser, kubeconfigFor } from '../kube/support.ts';
import { backends } from '../support/pg.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { tenancyOf } from '../../src/tenancy/module.ts';
import { adminKubeconfig, auditOf, must, registerCluster } from './support.ts';

/** Substrings of a cluster's admin credentials that must never appear outside Berth's sealed column. */
function secretsOf(cluster: Cluster): string[] {
  const user = adminUser(cluster) as Record<string, string>;
  const keyPem = readFileSync(cluster.pki.adminKey, 'utf8');
  // A line from the middle of the key's PEM body, and the inline (base64) key and certificate.
  const keyLine = keyPem.split('\n').filter((l) => l.length > 40 && !l.startsWith('-----'))[1];
  return [user['client-key-data'].slice(0, 64), user['client-certificate-data'].slice(0, 64), keyLine];
}

function assertNoSecrets(text: string, secrets: readonly string[], where: string): void {
  for (const secret of secrets) assert.ok(!text.includes(secret), `${where} contains credential material`);
  assert.ok(!text.includes('PRIVATE KEY'), `${where} contains a private key`);
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function storedCredentials(s: TestServer, name: string): Promise<string | undefined> {
  const r = await sql<{ credentials: string }>`select credentials from tenancy_clusters where name = ${name}`.execute(s.server.deps.db.kysely);
  return r.rows[0]?.credentials;
}

async function registersAndShows(s: TestServer, token: string, east: Cluster, west: Cluster): Promise<void> {
  const created = await registerCluster(s, token, 'east', east, { site: 'berlin', region: 'eu' });
  assert.equal(created.status, 'Ready');
  assert.equal(created.version, kubeVersion());
  assert.deepEqual(created.nodes, { total: 2, ready: 2 });
  assert.deepEqual(created.capacity, { cpu: '6', memory: '12Gi', pods: '220' });
  assert.equal(created.server, east.server);
  assert.deepEqual(created.labels, { site: 'berlin', region: 'eu' });
  assert.deepEqual(created.conditions.map((c: any) => [c.type, c.status]), [['Ready', 'True'], ['Degraded', 'False']]);
  const second = await registerCluster(s, token, 'west', west);
  assert.equal(second.status, 'Ready');
  assert.deepEqual(second.nodes, { total: 0, ready: 0 });

  const list = await must(s, token, 'GET', '/api/v1/clusters');
  assert.deepEqual(list.items.map((c: any) => [c.name, c.status]), [['east', 'Ready'], ['west', 'Ready']]);
  const page = await must(s, token, 'GET', '/api/v1/clusters?limit=1');
  assert.deepEqual(page.items.map((c: any) => c.name), ['east']);
  const rest = await must(s, token, 'GET', `/api/v1/clusters?limit=1&continue=${page.continue}`);
  assert.deepEqual(rest.items.map((c: any) => c.name), ['west']);
  assert.equal(rest.continue, undefined);

  const again = await s.api('POST', '/api/v1/clusters', { token, body: { name: 'east', kubeconfig: adminKubeconfig(east) } });
  assert.equal(again.status, 409);
  assert.equal(again.body.reason, 'AlreadyExists');
}

async function credentialsStaySealed(s: TestServer, token: string, east: Cluster, backend: string): Promise<void> {
  const secrets = secretsOf(east);
  for (const path of ['/api/v1/clusters', '/api/v1/clusters/east']) {
    const r = await s.api('GET', path, { token });
    assertNoSecrets(JSON.stringify(r.body), secrets, `GET ${path}`);
    assert.ok(!/kubeconfig|credentials/.test(JSON.stringify(r.body)), `GET ${path} names no credentials field`);
  }
  const sealed = await storedCredentials(s, 'east');
  assert.ok(sealed !== undefined && sealed.length > 1000, 'the credentials are stored');
  assertNoSecrets(sealed, secrets, 'the stored column');
  assertNoSecrets(Buffer.from(sealed, 'base64').toString('latin1'), secrets, 'the decoded column');
  if (backend === 'sqlite') {
    const files = ['berth.db', 'berth.db-wal'].map((f) => { try { return readFileSync(join(s.dataDir, f)).toString('latin1'); } catch { return ''; } });
    assertNoSecrets(files.join(''), secrets, 'the SQLite database files');
  }
  const records = await auditOf(s, token, 'clusters');
  assertNoSecrets(JSON.stringify(records), secrets, 'the audit log');
}

async function unusableKubeconfigs(s: TestServer, token: string, west: Cluster): Promise<void> {
  const nowhere = `https://127.0.0.1:${await closedPort()}`;
  const refusals: [string, string, RegExp][] = [
    ['nowhere', kubeconfigFor({ server: nowhere, pki: west.pki }, adminUser(west)), new RegExp(`cluster "nowhere" at ${nowhere}.*(refused|ECONNREFUSED|connect)`, 'i')],
    ['badtoken', kubeconfigFor(west, { token: 'not-a-valid-token' }), /cluster "badtoken" at .*Unauthorized/i],
    ['runs-exec', kubeconfigFor(west, { exec: { command: '/bin/sh', apiVersion: 'client.authentication.k8s.io/v1' } }), /exec credential plugins are not supported/],
  ];
  for (const [name, kubeconfig, message] of refusals) {
    const r = await s.api('POST', '/api/v1/clusters', { token, body: { name, kubeconfig } });
    assert.equal(r.status, 422, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.kind, 'Status');
    assert.match(r.body.message, message);
    assert.ok(r.body.details.causes.every((c: any) => c.field.startsWith('kubeconfig')), JSON.stringify(r.body.details));
    assert.equal((await s.api('GET', `/api/v1/clusters/${name}`, { token })).status, 404);
    assert.equal(await storedCredentials(s, name), undefined);
  }
  const bad = await s.api('POST', '/api/v1/clusters', { token, body: { name: 'Not_A_Name', kubeconfig: adminKubeconfig(west), labels: { 'bad key!': 'x' } } });
  assert.equal(bad.status, 422);
  assert.deepEqual(bad.body.details.causes.map((c: any) => c.field), ['name', 'labels']);
  const unknownField = await s.api('POST', '/api/v1/clusters', { token, body: { name: 'x', kubeconfig: adminKubeconfig(west), credentials: 'x' } });
  assert.equal(unknownField.status, 422);
  const refused = (await auditOf(s, token, 'clusters')).filter((r) => r.outcome === 'failure' && r.code === 422);
  assert.ok(refused.length >= 4, 'each refusal is audited');
  assert.equal((await must(s, token, 'GET', '/api/v1/clusters')).items.length, 2, 'nothing stored by a refusal');
}

async function updates(s: TestServer, token: string): Promise<void> {
  const before = await must(s, token, 'GET', '/api/v1/clusters/east');
  const stale = await s.api('PATCH', '/api/v1/clusters/east', { token, body: { labels: { site: 'x' }, resourceVersion: String(Number(before.resourceVersion) + 5) } });
  assert.equal(stale.status, 409);
  assert.equal(stale.body.reason, 'Conflict');
  const after = await must(s, token, 'PATCH', '/api/v1/clusters/east', {
    labels: { site: 'munich' }, settings: { webhookFailurePolicy: 'Ignore' }, resourceVersion: before.resourceVersion,
  });
  assert.deepEqual(after.labels, { site: 'munich' });
  assert.deepEqual(after.settings, { webhookFailurePolicy: 'Ignore' });
  assert.equal(Number(after.resourceVersion), Number(before.resourceVersion) + 1);
  const badPolicy = await s.api('PATCH', '/api/v1/clusters/east', { token, body: { settings: { webhookFailurePolicy: 'Sometimes' } } });
  assert.equal(badPolicy.status, 422);
  const actions = (await auditOf(s, token, 'clusters')).filter((r) => r.outcome === 'success').map((r) => `${r.action} ${r.name}`);
  assert.deepEqual(actions.sort(), ['create east', 'create west', 'update east']);
}

async function probesFollowTheCluster(s: TestServer, token: string, west: Cluster): Promise<void> {
  const port = Number(new URL(west.server).port);
  const proxy = await startTcpProxy({ host: '127.0.0.1', port });
  try {
    const kubeconfig = kubeconfigFor({ server: `https://127.0.0.1:${proxy.port}`, pki: west.pki }, adminUser(west));
    await must(s, token, 'POST', '/api/v1/clusters', { name: 'relayed', kubeconfig });
    const { service } = tenancyOf(s.server.instances).parts;
    proxy.cut();
    const outcomes = await service.probeClusters();
    assert.deepEqual(outcomes.map((o) => [o.cluster, o.ready]), [['east', true], ['relayed', false], ['west', true]]);
    const down = await must(s, token, 'GET', '/api/v1/clusters/relayed');
    assert.equal(down.status, 'Degraded');
    const [ready, degraded] = down.conditions;
    assert.deepEqual([ready.type, ready.status, ready.reason, degraded.type, degraded.status], ['Ready', 'False', 'Unreachable', 'Degraded', 'True']);
    assert.match(degraded.message, /relayed/);
    assert.equal(down.version, kubeVersion(), 'the last known version is kept');
    await service.probeClusters();
    const still = await must(s, token, 'GET', '/api/v1/clusters/relayed');
    assert.equal(still.conditions[1].lastTransitionTime, degraded.lastTransitionTime, 'an unchanged condition keeps its transition time');
    assert.equal(still.resourceVersion, down.resourceVersion, 'status is not spec');
    proxy.restore();
    await service.probeClusters();
    const back = await must(s, token, 'GET', '/api/v1/clusters/relayed');
    assert.equal(back.status, 'Ready');
    assert.ok(back.conditions[0].lastTransitionTime >= degraded.lastTransitionTime);
    assert.deepEqual(back.conditions.map((c: any) => c.status), ['True', 'False']);
    await newCredentials(s, token, west, proxy.cut);
    await must(s, token, 'DELETE', '/api/v1/clusters/relayed');
  } finally {
    await proxy.close();
  }
}

/** Replacing a cluster's kubeconfig: probed first (refused, nothing changed, when it does not work), then used from the next probe on. */
async function newCredentials(s: TestServer, token: string, west: Cluster, cut: () => void): Promise<void> {
  const before = await must(s, token, 'GET', '/api/v1/clusters/relayed');
  const unusable = await s.api('PATCH', '/api/v1/clusters/relayed', { token, body: { kubeconfig: kubeconfigFor(west, { token: 'not-a-valid-token' }) } });
  assert.equal(unusable.status, 422);
  assert.deepEqual(await must(s, token, 'GET', '/api/v1/clusters/relayed'), before, 'a refused kubeconfig changes nothing');
  const direct = await must(s, token, 'PATCH', '/api/v1/clusters/relayed', { kubeconfig: adminKubeconfig(west) });
  assert.equal(direct.server, west.server);
  assert.equal(direct.status, 'Ready');
  cut();
  const outcome = (await tenancyOf(s.server.instances).parts.service.probeClusters()).find((o) => o.cluster === 'relayed');
  assert.equal(outcome?.ready, true, 'the client was rebuilt from the new credentials, past the relay');
}

test('clusters are registered, shown, sealed, refused and probed through the API', withClusters(2, async ([east, west], t) => {
  await createNode(east, { capacity: { cpu: '4', memory: '8Gi' } });
  await createNode(east, { capacity: { cpu: '2', memory: '4Gi' } });
  for (const backend of backends) {
    await t.test(backend, async () => {
      const s = await startTestServer(backend);
      try {
        const token = await s.login();
        await registersAndShows(s, token, east, west);
        await credentialsStaySealed(s, token, east, backend);
        await unusableKubeconfigs(s, token, west);
        await updates(s, token);
        await probesFollowTheCluster(s, token, west);
        await must(s, token, 'DELETE', '/api/v1/clusters/west');
        assert.equal((await s.api('GET', '/api/v1/clusters/west', { token })).status, 404);
      } finally {
        await s.close();
      }
    });
  }
}));
