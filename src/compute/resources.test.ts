import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeObject, encodeResourceList, type Pod } from '../objects/index.ts';
import { podLimits, podRequests } from './resources.ts';

type C = { name: string; req?: Record<string, string>; lim?: Record<string, string>; sidecar?: boolean };

function pod(containers: C[], init: C[] = [], extra: Record<string, unknown> = {}): Pod {
  const toJson = (c: C) => ({ name: c.name, ...(c.sidecar ? { restartPolicy: 'Always' } : {}), resources: { ...(c.req ? { requests: c.req } : {}), ...(c.lim ? { limits: c.lim } : {}) } });
  const p = decodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: containers.map(toJson), initContainers: init.map(toJson), ...extra } });
  assert.equal(p.kind, 'Pod');
  return p as Pod;
}

describe('podRequests / podLimits (component-helpers)', () => {
  const cases: ReadonlyArray<{ name: string; pod: Pod; requests: Record<string, string>; limits?: Record<string, string> }> = [
    { name: 'no resources', pod: pod([{ name: 'a' }]), requests: {}, limits: {} },
    { name: 'app containers add up', pod: pod([{ name: 'a', req: { cpu: '100m' } }, { name: 'b', req: { cpu: '250m', memory: '1Gi' } }]), requests: { cpu: '350m', memory: '1Gi' } },
    {
      name: 'an init container peak above the app sum wins',
      pod: pod([{ name: 'a', req: { cpu: '500m' } }], [{ name: 'i', req: { cpu: '2', memory: '64Mi' } }]),
      requests: { cpu: '2', memory: '64Mi' },
    },
    {
      name: 'init peak below the app sum loses',
      pod: pod([{ name: 'a', req: { cpu: '3' } }], [{ name: 'i', req: { cpu: '2' } }]),
      requests: { cpu: '3' },
    },
    {
      name: 'sidecars add to the app sum',
      pod: pod([{ name: 'a', req: { cpu: '1' } }], [{ name: 's', req: { cpu: '500m' }, sidecar: true }]),
      requests: { cpu: '1500m' },
    },
    {
      name: 'an init container after a sidecar runs alongside it',
      // app sum 1 + sidecar 500m = 1500m; init after sidecar: 1500m + 500m = 2 → peak 2
      pod: pod([{ name: 'a', req: { cpu: '1' } }], [{ name: 's', req: { cpu: '500m' }, sidecar: true }, { name: 'i', req: { cpu: '1500m' } }]),
      requests: { cpu: '2' },
    },
    {
      name: 'an init container before a sidecar does not',
      pod: pod([{ name: 'a', req: { cpu: '1' } }], [{ name: 'i', req: { cpu: '1500m' } }, { name: 's', req: { cpu: '500m' }, sidecar: true }]),
      requests: { cpu: '1500m' },
    },
    {
      name: 'sidecars accumulate across the init sequence',
      pod: pod([{ name: 'a', req: { memory: '100Mi' } }], [
        { name: 's1', req: { memory: '200Mi' }, sidecar: true },
        { name: 's2', req: { memory: '300Mi' }, sidecar: true },
        { name: 'i', req: { memory: '1Gi' } },
      ]),
      // app path: 100+200+300 = 600Mi; init i runs with s1+s2: 1024+500 = 1524Mi
      requests: { memory: '1524Mi' },
    },
    {
      name: 'limits follow the same formula',
      pod: pod([{ name: 'a', lim: { cpu: '1' } }], [{ name: 's', lim: { cpu: '1' }, sidecar: true }, { name: 'i', lim: { cpu: '4' } }]),
      requests: {}, limits: { cpu: '5' },
    },
    {
      name: 'pod overhead is added to requests and to set limits',
      pod: pod([{ name: 'a', req: { cpu: '1', memory: '1Gi' }, lim: { cpu: '2' } }], [], { overhead: { cpu: '250m', memory: '120Mi' } }),
      requests: { cpu: '1250m', memory: '1144Mi' }, limits: { cpu: '2250m' },
    },
    {
      name: 'pod-level resources override cpu/memory aggregates only',
      pod: pod([{ name: 'a', req: { cpu: '1', 'ephemeral-storage': '1Gi' } }], [], { resources: { requests: { cpu: '3' }, limits: { memory: '2Gi' } } }),
      requests: { cpu: '3', 'ephemeral-storage': '1Gi' }, limits: { memory: '2Gi' },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.deepEqual(encodeResourceList(podRequests(c.pod)), c.requests);
      if (c.limits) assert.deepEqual(encodeResourceList(podLimits(c.pod)), c.limits);
    });
  }
  it('excludeOverhead leaves overhead out', () => {
    const p = pod([{ name: 'a', req: { cpu: '1' } }], [], { overhead: { cpu: '250m' } });
    assert.deepEqual(encodeResourceList(podRequests(p, { excludeOverhead: true })), { cpu: '1' });
  });
});
