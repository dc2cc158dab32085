// End-to-end tests of `berth check` through its command line: real files in a temporary
// folder, the real `berth` entry point in a child process, its stdout, stderr and exit status.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAIN = join(import.meta.dirname, '..', 'src', 'cli', 'main.ts');

function berth(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, 'check', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Output {
  results: { kind: string; namespace?: string; name: string; allowed: boolean; reason?: string; object: Record<string, unknown>; qosClass?: string }[];
  quotas: { namespace: string; name: string; hard: Record<string, string>; used: Record<string, string> }[];
}

let dir: string;
function write(rel: string, text: string): string {
  const path = join(dir, rel);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  return path;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-check-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const quotaYaml = `apiVersion: v1
kind: ResourceQuota
metadata: {name: compute, namespace: team-a}
spec:
  hard: {requests.cpu: "4"}
`;
const podYaml = (name: string, cpu: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}, namespace: team-a}
spec:
  containers:
  - name: app
    image: nginx
    resources: {requests: {cpu: "${cpu}"}}
`;

describe('berth check (CLI contract, DESIGN.md section 7)', () => {
  it('prints the refusal as kube-apiserver words it and exits 1', () => {
    const state = write('refuse/state.yaml', `${quotaYaml}---\n${podYaml('running', '3')}`);
    const f = write('refuse/new.yaml', podYaml('web-1', '2'));
    const r = berth('--state', state, '-f', f, '-o', 'json');
    assert.equal(r.status, 1, r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    assert.equal(out.results.length, 1);
    const [res] = out.results;
    assert.deepEqual([res.kind, res.namespace, res.name, res.allowed, res.qosClass], ['Pod', 'team-a', 'web-1', false, 'Burstable']);
    assert.equal(res.reason, 'pods "web-1" is forbidden: exceeded quota: compute, requested: requests.cpu=2, used: requests.cpu=3, limited: requests.cpu=4');
    assert.equal((res.object.metadata as { name: string }).name, 'web-1');
    assert.deepEqual(out.quotas, [{ namespace: 'team-a', name: 'compute', hard: { 'requests.cpu': '4' }, used: { 'requests.cpu': '3' } }]);
  });

  it('admits in order against what was admitted before, and exits 0 when all are allowed', () => {
    const state = write('order/state.yaml', quotaYaml);
    const f = write('order/new.yaml', [podYaml('a', '1'), podYaml('b', '1500m'), podYaml('c', '1.5')].join('---\n'));
    const r = berth('--state', state, '-f', f, '-o', 'json');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const out = JSON.parse(r.stdout) as Output;
    assert.deepEqual(out.results.map((x) => x.allowed), [true, true, true]);
    assert.deepEqual(out.quotas[0].used, { 'requests.cpu': '4' });
    const c = out.results[2].object.spec as { containers: { resources: { requests: Record<string, string> } }[] };
    assert.equal(c.containers[0].resources.requests.cpu, '1500m', 'quantities are printed as the API server prints them');
  });

  it('returns the object after LimitRange defaulting, with its QoS class', () => {
    const state = write('lr/state.json', JSON.stringify({
      apiVersion: 'v1', kind: 'List', items: [{
        apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'defaults', namespace: 'team-a' },
        spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '256Mi' } }] },
      }],
    }));
    const f = write('lr/pod.yaml', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team-a}\nspec: {containers: [{name: app}]}\n');
    const r = berth('--state', state, '-f', f, '-o', 'json');
    assert.equal(r.status, 0, r.stderr);
    const [res] = (JSON.parse(r.stdout) as Output).results;
    const spec = res.object.spec as { containers: { resources: unknown }[] };
    assert.deepEqual(spec.containers[0].resources, { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '500m', memory: '256Mi' } });
    assert.equal(res.qosClass, 'Guaranteed');
    assert.match((res.object.metadata as { annotations: Record<string, string> }).annotations['kubernetes.io/limit-ranger'], /LimitRanger plugin set: cpu, memory request for container app/);
  });

  it('reads folders recursively in sorted order, several paths per flag', () => {
    write('tree/state/10-quota.yaml', 'apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: count, namespace: ns}\nspec: {hard: {count/configmaps: "2"}}\n');
    write('tree/in/b/2.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: second, namespace: ns}\n');
    write('tree/in/a/1.yml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: first, namespace: ns}\n');
    write('tree/in/a/ignored.txt', 'not a manifest');
    const extra = write('tree/extra.yaml', 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: third, namespace: ns}\n');
    const r = berth('--state', join(dir, 'tree/state'), '-f', join(dir, 'tree/in'), extra, '-o', 'json');
    assert.equal(r.status, 1);
    const out = JSON.parse(r.stdout) as Output;
    assert.deepEqual(out.results.map((x) => [x.name, x.allowed]), [['first', true], ['second', true], ['third', false]]);
    assert.equal(out.results[2].reason, 'configmaps "third" is forbidden: exceeded quota: count, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2');
  });

  it('a malformed document exits 2 naming the file, the document position and the field', () => {
    const f = write('bad/pods.yaml', `${podYaml('ok', '1')}---\n${podYaml('bad', 'lots')}`);
    const r = berth('-f', f, '-o', 'json');
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /bad\/pods\.yaml: document 1: spec\.containers\[0\]\.resources\.requests\.cpu: quantity "lots" is invalid/);
  });

  it('bad flags, missing files and a missing -f exit 2', () => {
    assert.equal(berth('-f', join(dir, 'nope.yaml')).status, 2);
    assert.equal(berth('--state', join(dir, 'order/state.yaml')).status, 2);
    assert.equal(berth('-f', join(dir, 'order/new.yaml'), '--bogus').status, 2);
    assert.equal(berth('-f', join(dir, 'order/new.yaml'), '-o', 'xml').status, 2);
  });

  it('prints a table with -o table', () => {
    const state = write('table/state.yaml', quotaYaml);
    const f = write('table/new.yaml', podYaml('web', '5'));
    const r = berth('--state', state, '-f', f, '-o', 'table');
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^KIND\s+NAMESPACE\s+NAME\s+ALLOWED\s+QOS\s+REASON\n/);
    assert.match(r.stdout, /Pod\s+team-a\s+web\s+no\s+Burstable\s+pods "web" is forbidden: exceeded quota: compute/);
    assert.match(r.stdout, /team-a\s+compute\s+requests\.cpu\s+0\s+4/);
  });
});
