// The NodePort map through the real HTTP API, on both backends: reservations of legacy business
// ports (one, and imports checked whole), allocations to tenants that never hand a port out twice
// however many requests race, ports live Services use, the map and its strip, and who may do what.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { backends } from '../support/pg.ts';
import { replaceUsedPorts, tenancyOf } from '../../src/tenancy/index.ts';
import { insertAllocation, insertReservations, lockClusterPorts, tenantNodePortCount } from '../../src/tenancy/port-store.ts';
import { settleAllocations } from '../../src/tenancy/used-ports-controller.ts';
import { insertNamespace, tenantRow } from '../../src/tenancy/store.ts';
import type { RequestContext } from '../../src/platform/context.ts';
import { startPortsServer, type PortsServer } from './nodeports-support.ts';

const range = { base: 30000, size: 2768 };

for (const backend of backends) {
  describe(`NodePort map (${backend})`, () => {
    let s: PortsServer;
    let n = 0;
    /** A fresh cluster (default range) that tenant `acme` may use, with namespace `shop`. */
    const cluster = (): string => {
      const name = `c${++n}-${backend.slice(0, 2)}`;
      s.directory.clusters.set(name, { nodePortRange: range });
      const acme = s.directory.tenants.get('acme')!;
      s.directory.tenants.set('acme', { clusters: [...acme.clusters, name], namespaces: [...acme.namespaces, { cluster: name, name: 'shop' }] });
      return name;
    };
    const admin = (method: string, path: string, body?: unknown) => s.api(method, path, { token: s.adminToken, body });
    const base = (c: string) => `/api/v1/clusters/${c}/nodeports`;

    before(async () => {
      s = await startPortsServer(backend);
      s.directory.tenants.set('acme', { clusters: [], namespaces: [] });
      s.directory.tenants.set('globex', { clusters: [], namespaces: [] });
    });
    after(() => s?.close());

    it('reserves legacy ports, shows them in the map and its strip, and refuses an allocation of one naming the owner', async () => {
      const c = cluster();
      const r = await admin('POST', `${base(c)}/reservations`, { ports: '30080-30090', owner: 'Finance / billing', note: 'mainframe gateway' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
      assert.deepEqual({ ports: r.body.ports, from: r.body.from, to: r.body.to, owner: r.body.owner, createdBy: r.body.createdBy }, { ports: '30080-30090', from: 30080, to: 30090, owner: 'Finance / billing', createdBy: 'admin' });
      const again = await admin('POST', `${base(c)}/reservations`, { ports: '30080-30090', owner: 'Finance / billing', note: 'mainframe gateway' });
      assert.equal(again.status, 409);
      assert.equal(again.body.reason, 'AlreadyExists');
      const overlap = await admin('POST', `${base(c)}/reservations`, { ports: '30090-30095', owner: 'someone else' });
      assert.equal(overlap.status, 409);
      assert.match(overlap.body.message, /port 30090 is taken: .*owner "Finance \/ billing"/);

      const taken = await admin('POST', `${base(c)}/allocations`, { tenant: 'acme', service: 'shop/web', port: 30085 });
      assert.equal(taken.status, 409, JSON.stringify(taken.body));
      assert.equal(taken.body.reason, 'Conflict');
      assert.match(taken.body.message, /NodePort ".*\/30085".*reserved for legacy business use, owner "Finance \/ billing" \(reservation 30080-30090: mainframe gateway\)/);

      const map = await admin('GET', base(c));
      assert.equal(map.status, 200);
      assert.equal(map.body.range, '30000-32767');
      assert.equal(map.body.free, 2768 - 11);
      assert.deepEqual(map.body.reserved.map((x: any) => x.ports), ['30080-30090']);
      assert.deepEqual(map.body.strip, [
        { from: 30000, to: 30079, state: 'free' }, { from: 30080, to: 30090, state: 'reserved' }, { from: 30091, to: 32767, state: 'free' },
      ]);
      const audit = await admin('GET', '/api/v1/audit?resource=nodeports&outcome=success');
      assert.ok(audit.body.items.some((i: any) => i.name === `${c}/30080-30090` && i.action === 'create'), 'the reservation is audited');
    });

    it('hands out 50 distinct ports to 50 concurrent requests, none of them reserved', async () => {
      const c = cluster();
      // Leave 81 free ports in the upper band, so that concurrent requests often choose the same one.
      assert.equal((await admin('POST', `${base(c)}/reservations`, { ports: '30100-32700', owner: 'legacy estate' })).status, 201);
      const answers = await Promise.all(Array.from({ length: 50 }, (_, i) =>
        admin('POST', `${base(c)}/allocations`, { tenant: 'acme', service: `shop/svc-${i}` })));
      for (const a of answers) assert.equal(a.status, 201, JSON.stringify(a.body));
      const ports = answers.map((a) => a.body.port as number);
      assert.equal(new Set(ports).size, 50, `distinct ports: ${ports.join(',')}`);
      for (const p of ports) {
        assert.ok(p < 30100 || p > 32700, `port ${p} is reserved`);
        assert.ok(p >= 30086, `port ${p} is in the lower band while the upper one has room`);
      }
      const list = await admin('GET', `${base(c)}/allocations?tenant=acme`);
      assert.deepEqual(list.body.items.map((x: any) => x.port), [...ports].sort((a, b) => a - b));
      const map = await admin('GET', base(c));
      assert.equal(map.body.free, 2768 - 2601 - 50);
    });

    it('imports CSV with quoted fields, all or nothing, naming the bad line; a repeated import changes nothing', async () => {
      const c = cluster();
      const bad = 'port,owner,note\n30200,billing,ok\n"30210-30215","ops, night shift","says ""hi"""\n30x,broken\n30300,fine\n';
      const refused = await admin('POST', `${base(c)}/reservations/import`, { format: 'csv', data: bad });
      assert.equal(refused.status, 422, JSON.stringify(refused.body));
      assert.match(refused.body.message, /line 4\.ports: Invalid value: "30x"/);
      assert.deepEqual(refused.body.details.causes.map((x: any) => x.field), ['line 4.ports']);
      assert.equal((await admin('GET', `${base(c)}/reservations`)).body.items.length, 0, 'nothing written');

      const unterminated = await admin('POST', `${base(c)}/reservations/import`, { format: 'csv', data: '30200,a\n30201,"b\n30202,c\n' });
      assert.equal(unterminated.status, 422);
      assert.match(unterminated.body.message, /line 2: a quoted field is not closed/);

      const good = bad.replace('30x,broken\n', '');
      const ok = await admin('POST', `${base(c)}/reservations/import`, { format: 'csv', data: good });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.created.length, 3);
      const listed = (await admin('GET', `${base(c)}/reservations`)).body.items;
      assert.deepEqual(listed.map((x: any) => [x.ports, x.owner, x.note]), [
        ['30200', 'billing', 'ok'], ['30210-30215', 'ops, night shift', 'says "hi"'], ['30300', 'fine', ''],
      ]);
      const repeated = await admin('POST', `${base(c)}/reservations/import`, { format: 'csv', data: good });
      assert.deepEqual([repeated.status, repeated.body.created.length, repeated.body.unchanged], [200, 0, 3]);

      // JSON, and a clash with what is already reserved: refused whole, naming the row.
      const json = JSON.stringify([{ ports: '30400', owner: 'x' }, { ports: 30213, owner: 'y' }]);
      const clash = await admin('POST', `${base(c)}/reservations/import`, { format: 'json', data: json });
      assert.equal(clash.status, 409, JSON.stringify(clash.body));
      assert.match(clash.body.message, /\[1\]: port 30213 is taken: .*owner "ops, night shift"/);
      assert.equal((await admin('GET', `${base(c)}/reservations`)).body.items.length, 3, 'nothing written');

      const tooMany = Array.from({ length: 5001 }, (_, i) => `${30000 + (i % 2768)},o`).join('\n');
      const big = await admin('POST', `${base(c)}/reservations/import`, { format: 'csv', data: tooMany });
      assert.equal(big.status, 422);
      assert.match(big.body.message, /may not hold more than 5000 reservations/);
      const huge = await admin('POST', `${base(c)}/reservations/import`, { format: 'csv', data: '#'.repeat(512 * 1024 + 1) });
      assert.equal(huge.status, 422);
      assert.match(huge.body.message, /data: must NOT have more than 524288 characters/);
      const tooLarge = await admin('POST', `${base(c)}/reservations/import`, { format: 'csv', data: '#'.repeat(1024 * 1024) });
      assert.equal(tooLarge.status, 413);
      assert.equal((await admin('GET', `${base(c)}/reservations`)).body.items.length, 3, 'nothing written');
    });

    it('refuses to reserve a port a live Service uses, naming the Service, and shows a later clash as a conflict', async () => {
      const c = cluster();
      await admin('POST', `${base(c)}/reservations`, { ports: '31000-31010', owner: 'legacy' });
      await s.server.deps.db.transaction((tx) => replaceUsedPorts(tx, c, [
        { port: 30500, namespace: 'shop', service: 'web' }, { port: 31005, namespace: 'other', service: 'intruder' },
        { port: 30500, namespace: 'shop', service: 'web' },
      ], new Date()));
      const r = await admin('POST', `${base(c)}/reservations`, { ports: '30495-30505', owner: 'late legacy' });
      assert.equal(r.status, 409, JSON.stringify(r.body));
      assert.match(r.body.message, /port 30500 is used by Service "shop\/web"/);

      const map = await admin('GET', base(c));
      assert.deepEqual(map.body.used.map((u: any) => [u.port, u.namespace, u.service]), [[30500, 'shop', 'web'], [31005, 'other', 'intruder']]);
      assert.deepEqual(map.body.conflicts, [{ port: 31005, ports: '31000-31010', owner: 'legacy', service: 'other/intruder' }]);
      assert.ok(map.body.strip.some((x: any) => x.from === 31005 && x.to === 31005 && x.state === 'conflict'));
      assert.equal(map.body.free, 2768 - 11 - 1);

      // A used port is never chosen; an explicit one is refused unless it is that same Service's.
      const other = await admin('POST', `${base(c)}/allocations`, { tenant: 'acme', port: 30500 });
      assert.equal(other.status, 409);
      assert.match(other.body.message, /Service "shop\/web" uses it/);
      const same = await admin('POST', `${base(c)}/allocations`, { tenant: 'acme', service: 'shop/web', port: 30500 });
      assert.equal(same.status, 201, JSON.stringify(same.body));
      const dup = await admin('POST', `${base(c)}/allocations`, { tenant: 'acme', service: 'shop/web', port: 30500 });
      assert.equal(dup.status, 409);
      assert.match(dup.body.message, /allocated to tenant "acme" for Service "shop\/web"/);

      // The watchers' next full set replaces the previous one.
      await s.server.deps.db.transaction((tx) => replaceUsedPorts(tx, c, [], new Date()));
      assert.deepEqual((await admin('GET', base(c))).body.used, []);
    });

    it('checks cluster, tenant, Service and port before allocating', async () => {
      const c = cluster();
      const cases: [unknown, number, RegExp][] = [
        [{ tenant: 'nobody' }, 404, /Tenant "nobody" not found/],
        [{ tenant: 'globex' }, 422, /tenant "globex" may not use cluster/],
        [{ tenant: 'acme', service: 'elsewhere/web' }, 422, /namespace "elsewhere" is not a namespace of tenant "acme"/],
        [{ tenant: 'acme', service: 'shop/Web' }, 422, /not a lowercase RFC 1035 label/],
        [{ tenant: 'acme', port: 29999 }, 422, /provided port is not in the valid range. The range of valid ports is 30000-32767/],
        [{ tenant: 'acme', extra: 1 }, 422, /extra: unknown field/],
      ];
      for (const [body, code, message] of cases) {
        const r = await admin('POST', `${base(c)}/allocations`, body);
        assert.equal(r.status, code, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
        assert.match(r.body.message, message);
      }
      const unknown = await admin('GET', base('no-such-cluster'));
      assert.equal(unknown.status, 404);
      assert.match(unknown.body.message, /Cluster "no-such-cluster" not found/);
      const outside = await admin('POST', `${base(c)}/reservations`, { ports: '8080', owner: 'web' });
      assert.equal(outside.status, 422);
      assert.match(outside.body.message, /outside the cluster's NodePort range 30000-32767/);
    });

    it('lets tenant members allocate in their tenant only, tenant admins release, and only platform admins reserve', async () => {
      const c = cluster();
      const member = await s.tenantUser(`member-${backend}`, 'acme', 'tenant-member');
      const viewer = await s.tenantUser(`viewer-${backend}`, 'acme', 'tenant-viewer');
      const tadmin = await s.tenantUser(`tadmin-${backend}`, 'acme', 'tenant-admin');
      const as = (token: string, method: string, path: string, body?: unknown) => s.api(method, path, { token, body });

      const mine = await as(member, 'POST', `${base(c)}/allocations`, { tenant: 'acme', service: 'shop/api' });
      assert.equal(mine.status, 201, JSON.stringify(mine.body));
      const theirs = await as(member, 'POST', `${base(c)}/allocations`, { tenant: 'globex' });
      assert.equal(theirs.status, 403);
      assert.match(theirs.body.message, /cannot create nodeports in tenant "globex"/);
      assert.equal((await as(viewer, 'POST', `${base(c)}/allocations`, { tenant: 'acme' })).status, 403);
      assert.equal((await as(member, 'POST', `${base(c)}/reservations`, { ports: '30001', owner: 'x' })).status, 403);
      assert.equal((await as(member, 'GET', base(c))).status, 403);
      assert.equal((await as(viewer, 'GET', `${base(c)}/allocations?tenant=acme`)).body.items.length, 1);
      assert.equal((await as(viewer, 'GET', `${base(c)}/allocations`)).status, 403);

      assert.equal((await as(member, 'DELETE', `${base(c)}/allocations/${mine.body.port}`)).status, 403);
      assert.equal((await as(tadmin, 'DELETE', `${base(c)}/allocations/${mine.body.port}`)).status, 200);
      assert.equal((await as(tadmin, 'DELETE', `${base(c)}/allocations/${mine.body.port}`)).status, 404);
    });

    it('holds a port once in the database itself, whoever writes it', async () => {
      const c = cluster();
      await admin('POST', `${base(c)}/reservations`, { ports: '30700-30702', owner: 'legacy' });
      const write = (fn: (tx: any) => Promise<unknown>) => s.server.deps.db.transaction(fn).then(() => 'written', (err: Error) => err.message);
      // Writers that skip the service's checks and lock still cannot take a held port.
      assert.match(await write((tx) => insertAllocation(tx, c, 30701, 'acme', '', 'test', new Date())), /unique|UNIQUE/);
      assert.match(await write((tx) => insertReservations(tx, c, [{ from: 30702, to: 30703, owner: 'x', note: '' }], 'test', new Date())), /unique|UNIQUE/);
      assert.equal(await write((tx) => insertAllocation(tx, c, 30703, 'acme', '', 'test', new Date())), 'written');
      assert.match(await write((tx) => insertAllocation(tx, c, 30703, 'globex', '', 'test', new Date())), /unique|UNIQUE/);
    });

    it('counts a tenant\'s allocations and the ports its live Services use, over all clusters, against its services.nodeports: beyond it is 403 in the ResourceQuota admission\'s words', async () => {
      const [c1, c2] = [cluster(), cluster()];
      const tenant = `capped-${backend}`;
      // The tenancy rows the count reads (namespaces of the tenant), as the tenancy store writes them.
      const now = new Date();
      await s.server.deps.db.transaction(async (tx) => {
        for (const c of [c1, c2]) {
          await tx.insertInto('tenancy_clusters' as never).values({
            name: c, server: 'https://127.0.0.1:1', credentials: '', labels: '{}', settings: '{}', status: '{}',
            created_at: now.toISOString(), updated_at: now.toISOString(), resource_version: 1,
          } as never).execute();
        }
        await tx.insertInto('tenancy_tenants' as never).values(tenantRow({
          name: tenant, displayName: tenant, members: [], clusters: [c1, c2], quota: { 'services.nodeports': '2' }, defaultLimitRange: {}, nodeSelector: {},
        }, now.toISOString(), now.toISOString(), 1) as never).execute();
        for (const c of [c1, c2]) await insertNamespace(tx, { name: 'shop', tenant, cluster: c, quota: {}, adopted: false }, now);
      });
      s.directory.tenants.set(tenant, {
        clusters: [c1, c2], namespaces: [{ cluster: c1, name: 'shop' }, { cluster: c2, name: 'shop' }], quota: { 'services.nodeports': '2' },
      });
      const allocate = (c: string, body: object) => admin('POST', `${base(c)}/allocations`, { tenant, ...body });

      const first = await allocate(c1, { service: 'shop/a' });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      assert.deepEqual([first.body.origin, first.body.state], ['api', 'held']);
      assert.equal((await allocate(c2, {})).status, 201, 'the second, in another cluster');
      const third = await allocate(c1, {});
      assert.equal(third.status, 403, JSON.stringify(third.body));
      assert.equal(third.body.reason, 'Forbidden');
      assert.equal(third.body.message, `nodeports "${c1}" is forbidden: exceeded tenant quota: ${tenant}, requested: services.nodeports=1, used: services.nodeports=2, limited: services.nodeports=2`);
      const forService = await allocate(c2, { service: 'shop/web', port: 30900 });
      assert.equal(forService.status, 403);
      assert.match(forService.body.message, new RegExp(`^services "web" is forbidden: exceeded tenant quota: ${tenant}, requested: services.nodeports=1, used: services.nodeports=2`));
      assert.equal((await admin('GET', `${base(c1)}/allocations?tenant=${tenant}`)).body.items.length, 1, 'the refusal wrote nothing');

      // A live Service of the tenant holds a port without an allocation: it counts; one outside the tenant does not.
      assert.equal((await admin('DELETE', `${base(c2)}/allocations/${(await admin('GET', `${base(c2)}/allocations?tenant=${tenant}`)).body.items[0].port}`)).status, 200);
      await s.server.deps.db.transaction((tx) => replaceUsedPorts(tx, c2, [
        { port: 30600, namespace: 'shop', service: 'live' }, { port: 30601, namespace: 'kube-system', service: 'other' },
      ], new Date()));
      assert.equal(await tenantNodePortCount(s.server.deps.db.kysely, tenant), 2);
      assert.equal(await tenantNodePortCount(s.server.deps.db.kysely, tenant, { except: [{ cluster: c2, port: 30600 }] }), 1);
      const blocked = await allocate(c1, {});
      assert.equal(blocked.status, 403, JSON.stringify(blocked.body));
      assert.match(blocked.body.message, /used: services\.nodeports=2, limited: services\.nodeports=2/);
      // The live Service's own allocation of its port counts once: union by (cluster, port).
      const own = await allocate(c2, { service: 'shop/live', port: 30600 });
      assert.equal(own.status, 201, JSON.stringify(own.body));
      assert.equal(await tenantNodePortCount(s.server.deps.db.kysely, tenant), 2);
    });

    it('never lets concurrent allocations on two clusters take more than the tenant\'s services.nodeports', async () => {
      const [c1, c2] = [cluster(), cluster()];
      const tenant = `racing-${backend}`;
      s.directory.tenants.set(tenant, { clusters: [c1, c2], namespaces: [], quota: { 'services.nodeports': '5' } });
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => admin('POST', `${base(i % 2 ? c1 : c2)}/allocations`, { tenant })));
      const codes = answers.map((a) => a.status);
      assert.equal(codes.filter((x) => x === 201).length, 5, JSON.stringify(codes));
      assert.equal(codes.filter((x) => x === 403).length, 35, JSON.stringify(answers.find((a) => a.status !== 201 && a.status !== 403)?.body));
      assert.equal(await tenantNodePortCount(s.server.deps.db.kysely, tenant), 5);
    });

    it('lets the webhook\'s allocations of one Service count as one request against services.nodeports, all or none', async () => {
      const c = cluster();
      const tenant = `hooked-${backend}`;
      s.directory.tenants.set(tenant, { clusters: [c], namespaces: [{ cluster: c, name: 'shop' }], quota: { 'services.nodeports': '3' } });
      const ports = tenancyOf(s.server.instances).parts.nodePorts;
      const ctx: RequestContext = { principal: { type: 'user', name: `system:admission:${c}`, platformRoles: ['platform-admin'], tenantRoles: [] }, sourceIp: `cluster/${c}`, requestId: 'r1' };
      const two = await ports.allocateForService(ctx, c, { tenant, namespace: 'shop', name: 'web', generateName: false, ports: [undefined, 30700] });
      assert.equal(two.length, 2);
      assert.equal(two[1], 30700);
      const listed = (await admin('GET', `${base(c)}/allocations?tenant=${tenant}`)).body.items;
      assert.deepEqual(listed.map((a: any) => [a.origin, a.state, a.service, typeof a.expiresAt]), [['admission', 'pending', 'shop/web', 'string'], ['admission', 'pending', 'shop/web', 'string']]);
      await assert.rejects(ports.allocateForService(ctx, c, { tenant, namespace: 'shop', name: 'api', generateName: false, ports: [undefined, undefined] }),
        (err: Error) => err.message === `services "api" is forbidden: exceeded tenant quota: ${tenant}, requested: services.nodeports=2, used: services.nodeports=2, limited: services.nodeports=3`);
      assert.equal((await admin('GET', `${base(c)}/allocations?tenant=${tenant}`)).body.items.length, 2, 'none of the refused Service\'s ports is kept');
      // The same Service created again with its ports takes nothing more.
      const again = await ports.allocateForService(ctx, c, { tenant, namespace: 'shop', name: 'web', generateName: false, ports: [30700] });
      assert.deepEqual(again, [30700]);
      assert.equal((await admin('GET', `${base(c)}/allocations?tenant=${tenant}`)).body.items.length, 2);
    });

    it('settles the webhook\'s allocations against live Services: binds, releases the gone and the expired, audited, with the event', async () => {
      const c = cluster();
      const ports = tenancyOf(s.server.instances).parts.nodePorts;
      const ctx: RequestContext = { principal: { type: 'user', name: `system:admission:${c}`, platformRoles: ['platform-admin'], tenantRoles: [] }, sourceIp: `cluster/${c}`, requestId: 'r2' };
      const admit = (name: string, generateName = false) => ports.allocateForService(ctx, c, { tenant: 'acme', namespace: 'shop', name, generateName, ports: [undefined] }).then((p) => p[0]);
      const [web, gen, never, api] = [await admit('web'), await admit('gen-', true), await admit('never'), (await admin('POST', `${base(c)}/allocations`, { tenant: 'acme', service: 'shop/kept' })).body.port];
      const db = s.server.deps.db;
      const settleAt = (used: { port: number; namespace: string; service: string }[], now: Date) => db.transaction(async (tx) => {
        await lockClusterPorts(tx, db.dialect, c);
        await replaceUsedPorts(tx, c, used, now);
        await settleAllocations(tx, s.server.deps.audit, c, used, now);
      });
      const state = async () => Object.fromEntries((await admin('GET', `${base(c)}/allocations?tenant=acme`)).body.items.map((a: any) => [a.port, `${a.state} ${a.service}`]));
      const events = async () => Number((await db.kysely.selectFrom('outbox_events').select((e) => e.fn.countAll().as('n')).where('topic', '=', 'tenancy.nodeports').where('key', '=', c).executeTakeFirstOrThrow()).n);

      // The Services show up (one under its generated name); `never` does not, and its wait is not over.
      const before = await events();
      await settleAt([{ port: web, namespace: 'shop', service: 'web' }, { port: gen, namespace: 'shop', service: 'gen-abcde' }, { port: api, namespace: 'shop', service: 'kept' }], new Date());
      assert.deepEqual(await state(), { [web]: 'bound shop/web', [gen]: 'bound shop/gen-abcde', [never]: 'pending shop/never', [api]: 'held shop/kept' });
      assert.equal(await events(), before + 1);
      // Every Service is gone, and the wait is over: the webhook's allocations are released, the API's is kept.
      await settleAt([], new Date(Date.now() + 61_000));
      assert.deepEqual(await state(), { [api]: 'held shop/kept' });
      const audit = (await admin('GET', '/api/v1/audit?resource=nodeports&limit=500')).body.items.filter((i: any) => i.actor === 'system:nodeports-controller' && i.name.startsWith(`${c}/`));
      assert.deepEqual(audit.map((i: any) => [i.action, i.name, i.tenant, i.detail.reason ?? i.detail.state]).sort(), [
        ['delete', `${c}/${gen}`, 'acme', 'ServiceGone'], ['delete', `${c}/${never}`, 'acme', 'ServiceNeverSeen'], ['delete', `${c}/${web}`, 'acme', 'ServiceGone'],
        ['update', `${c}/${gen}`, 'acme', 'bound'], ['update', `${c}/${web}`, 'acme', 'bound'],
      ].sort());
      // Nothing left to change: no event.
      const settled = await events();
      await settleAt([], new Date(Date.now() + 61_000));
      assert.equal(await events(), settled);
    });

    it('deletes a reservation by its exact ports, after which its ports can be allocated', async () => {
      const c = cluster();
      await admin('POST', `${base(c)}/reservations`, { ports: '30050-30051', owner: 'gone soon' });
      assert.equal((await admin('DELETE', `${base(c)}/reservations/30050`)).status, 404);
      assert.equal((await admin('DELETE', `${base(c)}/reservations/30050-30051`)).status, 200);
      const r = await admin('POST', `${base(c)}/allocations`, { tenant: 'acme', port: 30051 });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    });
  });
}
