import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareResources, formatQuantity, nearLimit, quotaPercent, usageRows } from './quota.ts';

test('quotaPercent reads quantities as Kubernetes does and rounds down', () => {
  const cases: readonly [string | undefined, string | undefined, number | undefined][] = [
    ['500m', '2', 25], ['1', '3', 33], ['2', '2', 100], ['1999m', '2', 99], ['3', '2', 150],
    ['512Mi', '1Gi', 50], ['1G', '1Gi', 93], ['0', '0', 0], ['1', '0', 100], ['10', '20', 50],
    [undefined, '2', undefined], ['1', undefined, undefined], ['lots', '2', undefined], ['1', '2x', undefined],
  ];
  for (const [used, hard, want] of cases) assert.equal(quotaPercent(used, hard), want, `${used} of ${hard}`);
});

test('nearLimit is strictly above 90%, exactly, without rounding', () => {
  const cases: readonly [string | undefined, string | undefined, boolean][] = [
    ['9', '10', false], ['9001m', '10', true], ['901Mi', '1000Mi', true], ['900Mi', '1000Mi', false], ['10', '10', true],
    ['0', '0', false], ['1', '0', true], [undefined, '10', false], ['10', undefined, false], ['x', '10', false],
  ];
  for (const [used, hard, want] of cases) assert.equal(nearLimit(used, hard), want, `${used} of ${hard}`);
});

test('usageRows: one row per resource in any map, in quota order, with the percentage of hard', () => {
  assert.deepEqual(usageRows({ pods: '10', 'requests.cpu': '4', 'example.com/gpu': '2' }, { 'requests.cpu': '3', pods: '1' }, { 'requests.cpu': '4', 'limits.cpu': '8' }), [
    { resource: 'requests.cpu', hard: '4', allocated: '4', used: '3', percent: 75 },
    { resource: 'limits.cpu', allocated: '8' },
    { resource: 'pods', hard: '10', used: '1', percent: 10 },
    { resource: 'example.com/gpu', hard: '2' },
  ]);
  assert.deepEqual(usageRows({}), []);
});

test('compareResources puts known resources in order, then the rest by name', () => {
  assert.deepEqual(['z', 'pods', 'a', 'namespaces', 'requests.cpu'].sort(compareResources), ['requests.cpu', 'pods', 'namespaces', 'a', 'z']);
});

test('formatQuantity writes bytes in binary units, CPU in cores or millicores, counts as given', () => {
  const cases: readonly [string, string | undefined, string][] = [
    ['requests.memory', '512Mi', '512 MiB'], ['memory', '17179869184', '16 GiB'], ['requests.storage', '1G', '954 MiB'],
    ['limits.memory', '1500', '1.46 KiB'], ['memory', '1m', '1 B'], ['requests.cpu', '500m', '500m'], ['cpu', '4000m', '4'],
    ['limits.cpu', '2', '2'], ['pods', '110', '110'], ['memory', 'junk', 'junk'], ['pods', undefined, '—'],
  ];
  for (const [resource, text, want] of cases) assert.equal(formatQuantity(resource, text), want, `${resource} ${text}`);
});
