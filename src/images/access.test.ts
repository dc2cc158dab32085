import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOn, allows, grant, mergeAccess, parseScopes, seesProject, type RegistryCaller } from './access.ts';
import type { Member, Project } from './model.ts';

const project = (over: Partial<Project> = {}): Project => ({
  name: 'team', tenant: 'acme', public: false, storageLimit: -1, artifactLimit: -1, rateLimit: -1, createdAt: '', createdBy: 'admin', ...over,
});
const member = (user: string, role: Member['role'], repositories = ''): Member => ({ project: 'team', user, role, repositories, createdAt: '' });
const user = (name: string, extra: Partial<{ platformRoles: ('user' | 'auditor' | 'platform-admin')[]; tenantRoles: { tenant: string; role: 'tenant-viewer' | 'tenant-member' | 'tenant-admin' }[] }> = {}): RegistryCaller =>
  ({ kind: 'user', principal: { name, platformRoles: extra.platformRoles ?? ['user'], tenantRoles: extra.tenantRoles ?? [] } });
const sorted = (s: ReadonlySet<string>) => [...s].sort();

test('project roles grant their actions; repository grants only on matching repositories', () => {
  const members = [member('g', 'guest'), member('lg', 'limited-guest'), member('d', 'developer'), member('m', 'maintainer'), member('pa', 'project-admin'), member('s', 'developer', 'frontend/*')];
  const cases: [string, string, string[]][] = [
    ['g', 'app', ['pull']],
    ['lg', 'app', ['pull']],
    ['d', 'app', ['pull', 'push']],
    ['m', 'app', ['delete', 'pull', 'push']],
    ['pa', 'app', ['delete', 'pull', 'push']],
    ['s', 'frontend/web', ['pull', 'push']],
    ['s', 'frontend/web/deep', []],
    ['s', 'backend', []],
    ['nobody', 'app', []],
  ];
  for (const [name, path, want] of cases) assert.deepEqual(sorted(actionsOn(user(name), project(), members, path)), want, `${name} on ${path}`);
});

test('administrators, tenant viewers, public projects, anonymous callers and robots', () => {
  assert.deepEqual(sorted(actionsOn(user('root', { platformRoles: ['platform-admin'] }), project(), [], 'app')), ['delete', 'pull', 'push']);
  assert.deepEqual(sorted(actionsOn(user('ta', { tenantRoles: [{ tenant: 'acme', role: 'tenant-admin' }] }), project(), [], 'app')), ['delete', 'pull', 'push']);
  assert.deepEqual(sorted(actionsOn(user('tv', { tenantRoles: [{ tenant: 'acme', role: 'tenant-viewer' }] }), project(), [], 'app')), ['pull']);
  assert.deepEqual(sorted(actionsOn(user('other', { tenantRoles: [{ tenant: 'beta', role: 'tenant-admin' }] }), project(), [], 'app')), []);
  assert.deepEqual(sorted(actionsOn({ kind: 'anonymous' }, project({ public: true }), [], 'app')), ['pull']);
  assert.deepEqual(sorted(actionsOn({ kind: 'anonymous' }, project(), [], 'app')), []);
  const robot: RegistryCaller = { kind: 'robot', name: 'robot$team+ci', project: 'team', permissions: [{ repositories: 'ci/**', actions: ['pull', 'push'] }] };
  assert.deepEqual(sorted(actionsOn(robot, project(), [], 'ci/a/b')), ['pull', 'push']);
  assert.deepEqual(sorted(actionsOn(robot, project(), [], 'app')), []);
  assert.deepEqual(sorted(actionsOn(robot, project({ name: 'other' }), [], 'ci/a')), [], 'a robot never reaches another project');
  assert.equal(seesProject(user('x'), project(), []), false);
  assert.equal(seesProject(user('s'), project(), [member('s', 'developer', 'frontend/*')]), true);
});

test('token scopes parse as Distribution parses them, and grants intersect', () => {
  assert.deepEqual(parseScopes(['repository:team/app:pull,push repository:team/base:pull', 'registry:catalog:*', 'repository(plugin):team/x:pull', 'bad', 'repository:noactions:']), [
    { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
    { type: 'repository', name: 'team/base', actions: ['pull'] },
    { type: 'registry', name: 'catalog', actions: ['*'] },
    { type: 'repository', name: 'team/x', actions: ['pull'] },
  ]);
  assert.deepEqual(grant({ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }, new Set(['pull'])).actions, ['pull']);
  assert.deepEqual(grant({ type: 'repository', name: 'a/b', actions: ['*'] }, new Set(['pull', 'push'])).actions, []);
  assert.deepEqual(mergeAccess(parseScopes(['repository:a/b:pull', 'repository:a/b:push'])), [{ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }]);
  const granted = [{ type: 'repository', name: 'a/b', actions: ['pull'] }];
  assert.equal(allows(granted, 'repository', 'a/b', 'pull'), true);
  assert.equal(allows(granted, 'repository', 'a/b', 'push'), false);
  assert.equal(allows(granted, 'repository', 'a/c', 'pull'), false);
});
