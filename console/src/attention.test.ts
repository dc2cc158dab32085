import { test } from 'node:test';
import assert from 'node:assert/strict';
import { attentionItems } from './attention.ts';
import type { Cluster, Namespace, TenantUsage } from './model.ts';

function cluster(name: string, status: 'Ready' | 'Degraded', conditions: Cluster['conditions'] = []): Cluster {
  return { name, status, conditions, labels: {}, settings: {}, server: 'https://x', createdAt: '', updatedAt: '', resourceVersion: '1' };
}

function namespace(tenant: string, cluster: string, name: string, states: readonly ['Pending' | 'Applied' | 'Drifted' | 'Failed', string][]): Namespace {
  return {
    name, tenant, cluster, quota: {}, limitRange: null, adopted: false, createdAt: '', updatedAt: '', resourceVersion: '1',
    objects: states.map(([state, message], i) => ({ kind: 'ResourceQuota', name: `obj-${i}`, state, message, updatedAt: '' })),
  };
}

function usage(tenant: string, hard: Record<string, string>, used: Record<string, string>, namespaces: TenantUsage['namespaces'] = []): TenantUsage {
  return { tenant, hard, allocated: {}, used, clusters: [], namespaces };
}

test('nothing needs attention when clusters are Ready, quotas have room and objects applied', () => {
  assert.deepEqual(attentionItems({}), []);
  assert.deepEqual(attentionItems({
    clusters: [cluster('a', 'Ready')],
    usages: [usage('t', { pods: '10', 'requests.cpu': '2' }, { pods: '9', 'requests.cpu': '1800m' })],
    namespaces: [namespace('t', 'a', 'web', [['Applied', ''], ['Pending', ''], ['Drifted', '']])],
  }), []);
});

test('a degraded cluster names the condition that says why and since when', () => {
  const since = '2026-12-03T08:00:00Z';
  assert.deepEqual(attentionItems({
    clusters: [
      cluster('ok', 'Ready'),
      cluster('down', 'Degraded', [
        { type: 'Ready', status: 'False', reason: 'Unreachable', message: 'connect ECONNREFUSED', lastTransitionTime: since },
        { type: 'Degraded', status: 'True', reason: 'Unreachable', message: 'connect ECONNREFUSED 127.0.0.1:6443', lastTransitionTime: since },
      ]),
      cluster('bare', 'Degraded'),
    ],
  }), [
    { kind: 'clusterDegraded', cluster: 'down', reason: 'Unreachable', message: 'connect ECONNREFUSED 127.0.0.1:6443', since },
    { kind: 'clusterDegraded', cluster: 'bare', reason: '', message: '' },
  ]);
});

test('quotas strictly above 90%, of the tenant and of its namespaces, highest first, after failed objects', () => {
  const items = attentionItems({
    usages: [
      usage('t', { pods: '10', 'requests.cpu': '2', 'requests.memory': '1Gi' }, { pods: '9', 'requests.cpu': '1900m', 'requests.memory': '1Gi' }, [
        { cluster: 'a', name: 'web', hard: { pods: '4' }, used: { pods: '5' }, observedAt: '' },
        { cluster: 'b', name: 'db', hard: { pods: '4' }, used: { pods: '2' }, observedAt: '' },
      ]),
    ],
    namespaces: [namespace('t', 'a', 'web', [['Applied', ''], ['Failed', 'exceeded quota']])],
    clusters: [cluster('a', 'Degraded')],
  });
  assert.deepEqual(items.map((i) => i.kind), ['clusterDegraded', 'objectFailed', 'quotaHigh', 'quotaHigh', 'quotaHigh']);
  assert.deepEqual(items[1], { kind: 'objectFailed', tenant: 't', cluster: 'a', namespace: 'web', objectKind: 'ResourceQuota', name: 'obj-1', message: 'exceeded quota' });
  assert.deepEqual(items.slice(2), [
    { kind: 'quotaHigh', tenant: 't', resource: 'pods', used: '5', hard: '4', percent: 125, namespace: { cluster: 'a', name: 'web' } },
    { kind: 'quotaHigh', tenant: 't', resource: 'requests.memory', used: '1Gi', hard: '1Gi', percent: 100 },
    { kind: 'quotaHigh', tenant: 't', resource: 'requests.cpu', used: '1900m', hard: '2', percent: 95 },
  ]);
});
