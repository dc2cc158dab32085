import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clusterReservations, type ListedService } from './cluster-ports.ts';
import { MAX_IMPORT_ROWS } from './ports.ts';

const range = { base: 30000, size: 2768 };
const at = new Date('2026-12-03T10:00:00.000Z');
const svc = (namespace: string, name: string, nodePorts: (number | undefined)[], healthCheckNodePort?: number): ListedService => ({
  metadata: { namespace, name }, spec: { ports: nodePorts.map((nodePort) => ({ nodePort })), ...(healthCheckNodePort ? { healthCheckNodePort } : {}) },
});

test('clusterReservations', async (t) => {
  const cases: { name: string; services: ListedService[]; tenants?: string[]; range?: typeof range; want: [number, string, string][] | RegExp; tenantPorts?: number }[] = [
    {
      name: 'each node port of a Service outside the tenants, ascending, for its Service',
      services: [svc('legacy', 'b', [30902, 30901]), svc('kube-system', 'dns', [30500])],
      want: [[30500, 'Service kube-system/dns', ''], [30901, 'Service legacy/b', ''], [30902, 'Service legacy/b', '']],
    },
    {
      name: 'tenant namespaces are left alone and counted',
      services: [svc('acme-web', 'shop', [30910, 30911]), svc('legacy', 'a', [30001])], tenants: ['acme-web'],
      want: [[30001, 'Service legacy/a', '']], tenantPorts: 2,
    },
    {
      name: 'ClusterIP ports (no nodePort) are none; a port on TCP and UDP is one reservation',
      services: [svc('legacy', 'ip', [undefined]), svc('legacy', 'dns', [30053, 30053])],
      want: [[30053, 'Service legacy/dns', '']],
    },
    {
      name: 'a health-check node port is reserved too, and says so',
      services: [svc('legacy', 'lb', [30100], 30101)],
      want: [[30100, 'Service legacy/lb', ''], [30101, 'Service legacy/lb', 'healthCheckNodePort, ']],
    },
    { name: 'a port outside Berth\'s range names the Service', services: [svc('legacy', 'odd', [29999])], want: /^legacy\/odd\.ports: Invalid value: "29999": outside/ },
    {
      name: 'more ports than one import holds',
      services: Array.from({ length: MAX_IMPORT_ROWS + 1 }, (_, k) => svc('legacy', `s${k}`, [30000 + k])), range: { base: 30000, size: 10000 },
      want: /^<cluster>: Too many: cluster east has 5001 node ports/,
    },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const got = clusterReservations('east', c.services, new Set(c.tenants ?? []), c.range ?? range, at);
      if (c.want instanceof RegExp) {
        assert.ok(Array.isArray(got), JSON.stringify(got));
        assert.match(`${got[0].field}: ${got[0].message}`, c.want);
        return;
      }
      assert.ok(!Array.isArray(got), JSON.stringify(got));
      assert.deepEqual(got.reservations.map((r) => [r.from, r.owner, r.note.replace('imported from cluster east at 2026-12-03T10:00:00.000Z', '')]), c.want);
      assert.ok(got.reservations.every((r) => r.from === r.to && r.service === r.owner.slice('Service '.length) && r.note.endsWith('imported from cluster east at 2026-12-03T10:00:00.000Z')));
      assert.equal(got.tenantPorts, c.tenantPorts ?? 0);
    });
  }
});
