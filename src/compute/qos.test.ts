import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeObject, type Pod, type QosClass } from '../objects/index.ts';
import { computePodQos, getPodQos } from './qos.ts';

type R = { requests?: Record<string, string>; limits?: Record<string, string> };

function pod(containers: R[], init: R[] = [], extra: Record<string, unknown> = {}, status?: Record<string, unknown>): Pod {
  const c = (r: R, i: number) => ({ name: `c${i}`, resources: r });
  return decodeObject({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: containers.map(c), initContainers: init.map(c), ...extra }, ...(status ? { status } : {}) }) as Pod;
}

const g = { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } };

describe('computePodQos', () => {
  const cases: ReadonlyArray<{ name: string; pod: Pod; want: QosClass }> = [
    { name: 'nothing set', pod: pod([{}]), want: 'BestEffort' },
    { name: 'zero quantities count as unset', pod: pod([{ requests: { cpu: '0' }, limits: { memory: '0' } }]), want: 'BestEffort' },
    { name: 'extended resources alone do not count', pod: pod([{ requests: { 'example.com/gpu': '1' }, limits: { 'example.com/gpu': '1' } }]), want: 'BestEffort' },
    { name: 'equal requests and limits for cpu and memory', pod: pod([g, g]), want: 'Guaranteed' },
    { name: 'equal in total is not enough when one container lacks memory limit', pod: pod([g, { requests: { cpu: '1' }, limits: { cpu: '1' } }]), want: 'Burstable' },
    { name: 'request below limit', pod: pod([{ requests: { cpu: '500m', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }]), want: 'Burstable' },
    { name: 'mixed: one guaranteed, one best-effort container', pod: pod([g, {}]), want: 'Burstable' },
    { name: 'only requests', pod: pod([{ requests: { memory: '64Mi' } }]), want: 'Burstable' },
    { name: 'an init container without limits spoils Guaranteed', pod: pod([g], [{ requests: { cpu: '1' } }]), want: 'Burstable' },
    { name: 'a guaranteed init container keeps Guaranteed', pod: pod([g], [g]), want: 'Guaranteed' },
    { name: 'a best-effort pod with a burstable init container', pod: pod([{}], [{ requests: { cpu: '100m' } }]), want: 'Burstable' },
    // Without decode defaulting (computePodQos on a manifest as given), limits may name more than requests.
    { name: 'a memory limit without a memory request is Burstable', pod: pod([{ requests: { cpu: '1' }, limits: { cpu: '1', memory: '1Gi' } }]), want: 'Burstable' },
    { name: 'equal quantities in other notations', pod: pod([{ requests: { cpu: '1000m', memory: '1024Mi' }, limits: { cpu: '1', memory: '1Gi' } }]), want: 'Guaranteed' },
    {
      name: 'pod-level resources decide over containers',
      pod: pod([{}], [], { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } } }),
      want: 'Guaranteed',
    },
    {
      name: 'pod-level limits without memory are Burstable',
      pod: pod([g], [], { resources: { requests: { cpu: '1' }, limits: { cpu: '1' } } }),
      want: 'Burstable',
    },
  ];
  for (const c of cases) it(c.name, () => assert.equal(computePodQos(c.pod), c.want));
  it('getPodQos trusts status.qosClass of an existing pod', () => {
    assert.equal(getPodQos(pod([{}], [], {}, { qosClass: 'Guaranteed' })), 'Guaranteed');
  });
});
