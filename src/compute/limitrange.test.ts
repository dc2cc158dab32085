import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeObject, encodePod, type LimitRange, type PersistentVolumeClaim, type Pod } from '../objects/index.ts';
import { defaultLimitRange, defaultPodResources } from './defaults.ts';
import { aggregateMessages, LIMIT_RANGER_ANNOTATION, limitRangerMutatePod, limitRangerValidate } from './limitrange.ts';

type R = { requests?: Record<string, string>; limits?: Record<string, string> };

function pod(containers: R[], init: R[] = [], extra: Record<string, unknown> = {}): Pod {
  const c = (r: R, i: number) => ({ name: `c${i}`, resources: r });
  return defaultPodResources(decodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: containers.map(c), initContainers: init.map((r, i) => ({ name: `i${i}`, resources: r })), ...extra } }) as Pod);
}

function lr(name: string, limits: Record<string, unknown>[]): LimitRange {
  return defaultLimitRange(decodeObject({ apiVersion: 'v1', kind: 'LimitRange', metadata: { name }, spec: { limits } }) as LimitRange);
}

function resources(p: Pod): unknown {
  const spec = encodePod(p).spec as { containers: { resources: unknown }[] };
  return spec.containers.map((c) => c.resources);
}

describe('LimitRange defaulting of the LimitRange itself', () => {
  it('default comes from max, defaultRequest from default then min', () => {
    const range = lr('r', [{ type: 'Container', max: { cpu: '2' }, min: { memory: '64Mi' } }]);
    const item = range.limits[0];
    assert.equal(Object.keys(item.default ?? {}).join(), 'cpu');
    assert.deepEqual(Object.keys(item.defaultRequest ?? {}).sort(), ['cpu', 'memory']);
  });
});

describe('limitRangerMutatePod', () => {
  const range = lr('defaults', [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' }, defaultRequest: { cpu: '100m' } }]);
  const cases: ReadonlyArray<{ name: string; pod: Pod; want: unknown; annotation?: string }> = [
    {
      name: 'fills both limits and requests of an empty container',
      pod: pod([{}]),
      want: [{ requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } }],
      annotation: 'LimitRanger plugin set: cpu, memory request for container c0; cpu, memory limit for container c0',
    },
    {
      name: 'a set limit is kept, and API defaulting already made it the request',
      pod: pod([{ limits: { cpu: '2' } }]),
      want: [{ requests: { cpu: '2', memory: '256Mi' }, limits: { cpu: '2', memory: '256Mi' } }],
    },
    {
      name: 'a set request is kept even above the default limit',
      pod: pod([{ requests: { cpu: '1' } }]),
      want: [{ requests: { cpu: '1', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } }],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const out = limitRangerMutatePod(c.pod, [range]);
      assert.deepEqual(resources(out), c.want);
      if (c.annotation) assert.equal(out.metadata.annotations?.[LIMIT_RANGER_ANNOTATION], c.annotation);
    });
  }
  it('init containers are defaulted and annotated as such', () => {
    const out = limitRangerMutatePod(pod([g()], [{}]), [range]);
    assert.match(out.metadata.annotations?.[LIMIT_RANGER_ANNOTATION] ?? '', /request for init container i0/);
  });
  it('the first LimitRange default wins for a resource', () => {
    const other = lr('other', [{ type: 'Container', default: { cpu: '3' } }]);
    const out = limitRangerMutatePod(pod([{}]), [range, other]);
    assert.deepEqual((resources(out) as { limits: Record<string, string> }[])[0].limits.cpu, '500m');
  });
});

function g(): R {
  return { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };
}

describe('limitRangerValidate messages (as kube-apiserver words them)', () => {
  const cases: ReadonlyArray<{ name: string; range: LimitRange; pod: Pod; want: string | undefined }> = [
    { name: 'within bounds', range: lr('r', [{ type: 'Container', max: { cpu: '2' }, min: { cpu: '100m' } }]), pod: pod([{ requests: { cpu: '1' }, limits: { cpu: '1' } }]), want: undefined },
    { name: 'limit above max', range: lr('r', [{ type: 'Container', max: { cpu: '2' } }]), pod: pod([{ limits: { cpu: '3' } }]), want: 'maximum cpu usage per Container is 2, but limit is 3' },
    { name: 'no limit under a max (after defaulting skipped)', range: lr('r', [{ type: 'Container', max: { cpu: '2' } }]), pod: pod([{ requests: { cpu: '1' } }]), want: 'maximum cpu usage per Container is 2.  No limit is specified' },
    { name: 'request below min', range: lr('r', [{ type: 'Container', min: { memory: '64Mi' } }]), pod: pod([{ requests: { memory: '32Mi' } }]), want: 'minimum memory usage per Container is 64Mi, but request is 32Mi' },
    { name: 'no request under a min', range: lr('r', [{ type: 'Container', min: { memory: '64Mi' } }]), pod: pod([{}]), want: 'minimum memory usage per Container is 64Mi.  No request is specified' },
    {
      name: 'ratio exceeded',
      range: lr('r', [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }]),
      pod: pod([{ requests: { cpu: '250m' }, limits: { cpu: '1' } }]),
      want: 'cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000',
    },
    {
      name: 'ratio without a request',
      range: lr('r', [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }]),
      pod: pod([{}]),
      want: 'cpu max limit to request ratio per Container is 2, but no request is specified or request is 0',
    },
    {
      name: 'several violations aggregate in brackets',
      range: lr('r', [{ type: 'Container', max: { cpu: '2', memory: '1Gi' } }]),
      pod: pod([{ limits: { cpu: '3', memory: '2Gi' } }]),
      want: '[maximum cpu usage per Container is 2, but limit is 3, maximum memory usage per Container is 1Gi, but limit is 2Gi]',
    },
    {
      name: 'init containers are checked too',
      range: lr('r', [{ type: 'Container', max: { cpu: '2' } }]),
      pod: pod([{ limits: { cpu: '1' } }], [{ limits: { cpu: '4' } }]),
      want: 'maximum cpu usage per Container is 2, but limit is 4',
    },
    {
      name: 'Pod max uses the sidecar-aware effective limits',
      range: lr('r', [{ type: 'Pod', max: { cpu: '2' } }]),
      pod: pod([{ limits: { cpu: '1' } }], [{ limits: { cpu: '1500m' } }]),
      want: undefined,
    },
    {
      name: 'Pod max sums app containers',
      range: lr('r', [{ type: 'Pod', max: { cpu: '2' } }]),
      pod: pod([{ limits: { cpu: '1' } }, { limits: { cpu: '1500m' } }]),
      want: 'maximum cpu usage per Pod is 2, but limit is 2500m',
    },
    // A request above its limit is refused by validation before LimitRanger; the checks still
    // hold on their own, as upstream's do.
    {
      name: 'a limit below min is named even when the request is above it',
      range: lr('r', [{ type: 'Container', min: { cpu: '1' } }]),
      pod: pod([{ requests: { cpu: '2' }, limits: { cpu: '500m' } }]),
      want: 'minimum cpu usage per Container is 1, but limit is 500m',
    },
    {
      name: 'a request above max is named even when the limit is below it',
      range: lr('r', [{ type: 'Container', max: { cpu: '2' } }]),
      pod: pod([{ requests: { cpu: '3' }, limits: { cpu: '1' } }]),
      want: 'maximum cpu usage per Container is 2, but request is 3',
    },
    {
      name: 'ratio with a zero request',
      range: lr('r', [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }]),
      pod: pod([{ requests: { cpu: '0' }, limits: { cpu: '1' } }]),
      want: 'cpu max limit to request ratio per Container is 2, but no request is specified or request is 0',
    },
    {
      name: 'ratio with a zero limit',
      range: lr('r', [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }]),
      pod: pod([{ requests: { cpu: '1' }, limits: { cpu: '0' } }]),
      want: 'cpu max limit to request ratio per Container is 2, but no limit is specified or limit is 0',
    },
    {
      name: 'a ratio exactly at the maximum is allowed',
      range: lr('r', [{ type: 'Container', maxLimitRequestRatio: { cpu: '2' } }]),
      pod: pod([{ requests: { cpu: '500m' }, limits: { cpu: '1' } }]),
      want: undefined,
    },
    {
      name: 'Pod limits take only cpu and memory from pod-level resources, not hugepages',
      range: lr('r', [{ type: 'Pod', max: { 'hugepages-2Mi': '3Mi' } }]),
      pod: pod([{ requests: { 'hugepages-2Mi': '2Mi' }, limits: { 'hugepages-2Mi': '2Mi' } }], [], { resources: { requests: { 'hugepages-2Mi': '4Mi' }, limits: { 'hugepages-2Mi': '4Mi' } } }),
      want: undefined,
    },
    {
      name: 'above MaxMilliValue quantities compare as whole values rounded up',
      range: lr('r', [{ type: 'Container', max: { cpu: '10000000000000000300m' } }]),
      pod: pod([{ limits: { cpu: '10000000000000000700m' } }]),
      want: undefined,
    },
    {
      // Upstream divides in float64 and compares with the ratio's whole value once the ratio is past
      // MaxMilliValue: here 9223372036854787 against 9223372036854786.999 rounded up, equal.
      name: 'a ratio past MaxMilliValue compares with its whole value, in float64',
      range: lr('r', [{ type: 'Container', maxLimitRequestRatio: { cpu: '9223372036854786999m' } }]),
      pod: pod([{ requests: { cpu: '1' }, limits: { cpu: '9223372036854787' } }]),
      want: undefined,
    },
    {
      name: 'min compares rounded-up milli-values (0.1m equals 1m)',
      range: lr('r', [{ type: 'Container', min: { cpu: '1m' } }]),
      pod: pod([{ requests: { cpu: '0.1m' } }]),
      want: undefined,
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(limitRangerValidate(c.pod, [c.range]), c.want));

  // Found by a mutation pass: each fails when the line it guards is removed.
  const claim = (requests?: Record<string, string>) => decodeObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { resources: requests ? { requests } : {} } }) as PersistentVolumeClaim;
  it('PersistentVolumeClaim min applies to the request', () => {
    assert.equal(limitRangerValidate(claim({ storage: '500Mi' }), [lr('r', [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' } }])]), 'minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
  });
  it('a PersistentVolumeClaim max with no request says none is specified', () => {
    assert.equal(limitRangerValidate(claim(), [lr('r', [{ type: 'PersistentVolumeClaim', max: { storage: '10Gi' } }])]), 'maximum storage usage per PersistentVolumeClaim is 10Gi.  No request is specified');
  });
  it('Container limits do not apply to a PersistentVolumeClaim', () => {
    assert.equal(limitRangerValidate(claim({ storage: '20Gi' }), [lr('r', [{ type: 'Container', max: { 'ephemeral-storage': '1Gi' } }])]), undefined);
  });
  it('PersistentVolumeClaim max applies to the request', () => {
    const pvc = decodeObject({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'data' }, spec: { resources: { requests: { storage: '20Gi' } } } }) as PersistentVolumeClaim;
    const range = lr('r', [{ type: 'PersistentVolumeClaim', max: { storage: '10Gi' }, min: { storage: '1Gi' } }]);
    assert.equal(limitRangerValidate(pvc, [range]), 'maximum storage usage per PersistentVolumeClaim is 10Gi, but request is 20Gi');
  });
  it('aggregateMessages deduplicates', () => {
    assert.equal(aggregateMessages(['a', 'a']), 'a');
    assert.equal(aggregateMessages(['a', 'b', 'a']), '[a, b]');
  });
});
