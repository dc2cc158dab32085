import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { actionsOn, allows, callerName, grant, managesProject, mergeAccess, parseScopes, seesProject, type RegistryCaller } from './access.ts';
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

describe('actionsOn: administrators, tenant roles, public projects, anonymous callers, robots', () => {
  const robot: RegistryCaller = { kind: 'robot', name: 'robot$team+ci', project: 'team', permissions: [{ repositories: 'ci/**', actions: ['pull', 'push'] }] };
  const cases: readonly { name: string; caller: RegistryCaller; project?: Partial<Project>; path: string; want: string[] }[] = [
    { name: 'a platform admin holds every action', caller: user('root', { platformRoles: ['platform-admin'] }), path: 'app', want: ['delete', 'pull', 'push'] },
    { name: 'the admin of the project\'s tenant holds every action', caller: user('ta', { tenantRoles: [{ tenant: 'acme', role: 'tenant-admin' }] }), path: 'app', want: ['delete', 'pull', 'push'] },
    { name: 'a viewer of the project\'s tenant pulls', caller: user('tv', { tenantRoles: [{ tenant: 'acme', role: 'tenant-viewer' }] }), path: 'app', want: ['pull'] },
    { name: 'the admin of another tenant holds nothing', caller: user('other', { tenantRoles: [{ tenant: 'beta', role: 'tenant-admin' }] }), path: 'app', want: [] },
    { name: 'anyone pulls from a public project', caller: { kind: 'anonymous' }, project: { public: true }, path: 'app', want: ['pull'] },
    { name: 'an anonymous caller holds nothing in a private project', caller: { kind: 'anonymous' }, path: 'app', want: [] },
    { name: 'a robot holds its actions on repositories its pattern covers', caller: robot, path: 'ci/a/b', want: ['pull', 'push'] },
    { name: 'a robot holds nothing outside its pattern', caller: robot, path: 'app', want: [] },
    { name: 'a robot never reaches another project', caller: robot, project: { name: 'other' }, path: 'ci/a', want: [] },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(sorted(actionsOn(c.caller, project(c.project), [], c.path)), c.want));
});

describe('seesProject', () => {
  it('a stranger does not see a private project', () => assert.equal(seesProject(user('x'), project(), []), false));
  it('a member with a repository grant sees the project', () => assert.equal(seesProject(user('s'), project(), [member('s', 'developer', 'frontend/*')]), true));
});

describe('managesProject', () => {
  const cases: readonly { name: string; who: string; tenantRoles?: { tenant: string; role: 'tenant-viewer' | 'tenant-admin' }[]; members: Member[]; want: boolean }[] = [
    { name: 'a project-admin of the whole project manages it', who: 'pa', members: [member('pa', 'project-admin')], want: true },
    { name: 'a project-admin on some repositories only does not', who: 'pa', members: [member('pa', 'project-admin', 'web/*')], want: false },
    { name: 'a maintainer does not', who: 'm', members: [member('m', 'maintainer')], want: false },
    { name: 'another user\'s project-admin role does not count', who: 'x', members: [member('pa', 'project-admin')], want: false },
    { name: 'the admin of the project\'s tenant manages it', who: 'ta', tenantRoles: [{ tenant: 'acme', role: 'tenant-admin' }], members: [], want: true },
    { name: 'a viewer of the project\'s tenant does not', who: 'tv', tenantRoles: [{ tenant: 'acme', role: 'tenant-viewer' }], members: [], want: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const caller = user(c.who, { tenantRoles: c.tenantRoles ?? [] });
      assert.ok(caller.kind === 'user');
      assert.equal(managesProject(caller.principal, project(), c.members), c.want);
    });
  }
});

describe('callerName', () => {
  const cases: readonly [string, RegistryCaller, string][] = [
    ['anonymous', { kind: 'anonymous' }, 'anonymous'],
    ['a user by the principal\'s name', user('alice'), 'alice'],
    ['a robot by its full name', { kind: 'robot', name: 'robot$team+ci', project: 'team', permissions: [] }, 'robot$team+ci'],
  ];
  for (const [name, caller, want] of cases) it(name, () => assert.equal(callerName(caller), want));
});

describe('token scopes', () => {
  it('parse as Distribution parses them', () => {
    assert.deepEqual(parseScopes(['repository:team/app:pull,push repository:team/base:pull', 'registry:catalog:*', 'repository(plugin):team/x:pull', 'bad', 'repository:noactions:']), [
      { type: 'repository', name: 'team/app', actions: ['pull', 'push'] },
      { type: 'repository', name: 'team/base', actions: ['pull'] },
      { type: 'registry', name: 'catalog', actions: ['*'] },
      { type: 'repository', name: 'team/x', actions: ['pull'] },
    ]);
  });
  it('a grant is the asked actions the caller holds', () => assert.deepEqual(grant({ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }, new Set(['pull'])).actions, ['pull']));
  it('`*` is granted only to a caller holding every action', () => assert.deepEqual(grant({ type: 'repository', name: 'a/b', actions: ['*'] }, new Set(['pull', 'push'])).actions, []));
  it('accesses to one repository merge', () => assert.deepEqual(mergeAccess(parseScopes(['repository:a/b:pull', 'repository:a/b:push'])), [{ type: 'repository', name: 'a/b', actions: ['pull', 'push'] }]));
  const granted = [{ type: 'repository', name: 'a/b', actions: ['pull'] }];
  const allowCases: readonly [string, string, boolean][] = [['a/b', 'pull', true], ['a/b', 'push', false], ['a/c', 'pull', false]];
  for (const [name, action, want] of allowCases) it(`a pull grant on a/b ${want ? 'allows' : 'refuses'} ${action} on ${name}`, () => assert.equal(allows(granted, 'repository', name, action), want));
});
