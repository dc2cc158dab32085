import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldPath, placeCauses, topLevelPlacement } from './form-causes.ts';

test('parseFieldPath reads the field paths of Status causes', () => {
  const cases: readonly [string, readonly (string | number)[]][] = [
    ['', []],
    ['name', ['name']],
    ['quota[requests.cpu]', ['quota', 'requests.cpu']],
    ['members[0].name', ['members', 0, 'name']],
    ['clusters[12]', ['clusters', 12]],
    ['defaultLimitRange.container.default[cpu]', ['defaultLimitRange', 'container', 'default', 'cpu']],
    ['nodeSelector[topology.kubernetes.io/zone]', ['nodeSelector', 'topology.kubernetes.io/zone']],
    // The schema's answers join map keys with dots.
    ['quota.requests.cpu', ['quota', 'requests', 'cpu']],
    ['kubeconfig.users[0].user', ['kubeconfig', 'users', 0, 'user']],
  ];
  for (const [field, want] of cases) assert.deepEqual(parseFieldPath(field), want, field);
});

test('placeCauses puts causes on the fields the form has, keeps the rest as lines', () => {
  const placed = placeCauses([
    { field: 'quota[pods]', message: 'Invalid value: "x": bad' },
    { field: 'name', message: 'Invalid value: "A": lower case' },
    { field: 'quota[pods]', message: 'second' },
    { field: 'settings.webhookFailurePolicy', message: 'must be Fail or Ignore' },
    { message: 'no field' },
  ], topLevelPlacement(['name', 'quota']));
  assert.deepEqual(placed.fields, [
    { name: ['quota'], errors: ['Invalid value: "x": bad', 'second'] },
    { name: ['name'], errors: ['Invalid value: "A": lower case'] },
  ]);
  assert.deepEqual(placed.rest, ['settings.webhookFailurePolicy: must be Fail or Ignore', 'no field']);
});
