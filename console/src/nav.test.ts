import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedPages, can, resolveRoute } from './nav.ts';

const admin = ['users:list', 'users:create', 'tokens:list', 'tokens:create', 'audit:list', 'audit:verify'];
const auditor = ['audit:list', 'audit:export', 'audit:verify'];
const developer = ['tokens:list', 'tokens:create', 'tokens:delete'];
const registryUser = [...developer, 'projects:list'];
const platformAdmin = [...admin, 'clusters:list', 'clusters:create', 'tenants:list', 'tenants:get', 'namespaces:list', 'projects:list', 'gc:list'];
const tenantViewer = ['tenants:get', 'namespaces:list', 'namespaces:get', 'projects:list', 'projects:get'];

test('allowedPages shows each page only with its list permission, in navigation order', () => {
  assert.deepEqual(allowedPages(admin).map((p) => p.id), ['overview', 'tokens', 'users', 'audit']);
  assert.deepEqual(allowedPages(auditor).map((p) => p.id), ['overview', 'audit']);
  assert.deepEqual(allowedPages(developer).map((p) => p.id), ['tokens']);
  assert.deepEqual(allowedPages(['users:create', 'audit:export']).map((p) => p.id), []);
  assert.deepEqual(allowedPages([]), []);
  assert.deepEqual(allowedPages(['tokens:list', 'projects:list', 'gc:list']).map((p) => p.id), ['tokens', 'projects', 'gc']);
  assert.deepEqual(allowedPages([...platformAdmin]).map((p) => p.id), ['overview', 'clusters', 'tenants', 'tokens', 'projects', 'gc', 'users', 'audit']);
  assert.deepEqual(allowedPages(tenantViewer).map((p) => p.id), ['overview', 'tenants', 'projects']);
  assert.deepEqual(allowedPages(['clusters:list']).map((p) => p.id), ['overview', 'clusters']);
  assert.deepEqual(allowedPages(['projects:list', 'gc:create']).map((p) => p.id), ['projects']);
});

test('can matches whole permission strings only', () => {
  assert.equal(can(admin, 'users:create'), true);
  assert.equal(can(admin, 'users:delete'), false);
  assert.equal(can(['users:list'], 'users'), false);
});

test('resolveRoute opens allowed pages and redirects the rest', () => {
  const cases: readonly [string, readonly string[], unknown][] = [
    ['/users', admin, { kind: 'page', id: 'users' }],
    ['/users/', admin, { kind: 'page', id: 'users' }],
    ['/', admin, { kind: 'redirect', to: '/overview' }],
    ['/login', admin, { kind: 'redirect', to: '/overview' }],
    ['/users', auditor, { kind: 'redirect', to: '/overview' }],
    ['/', auditor, { kind: 'redirect', to: '/overview' }],
    ['/', developer, { kind: 'redirect', to: '/tokens' }],
    ['/overview', developer, { kind: 'redirect', to: '/tokens' }],
    ['/overview', tenantViewer, { kind: 'page', id: 'overview' }],
    ['/clusters/east/', platformAdmin, { kind: 'page', id: 'clusters' }],
    ['/clusters', tenantViewer, { kind: 'redirect', to: '/overview' }],
    ['/tenants/team-a/namespaces/east/web', tenantViewer, { kind: 'page', id: 'tenants' }],
    ['/tokens', [], { kind: 'none' }],
    ['/', [], { kind: 'none' }],
    ['/nope', admin, { kind: 'notFound' }],
    ['/projects', registryUser, { kind: 'page', id: 'projects' }],
    ['/projects/apps/repositories/team/web', registryUser, { kind: 'page', id: 'projects' }],
    ['/projects/apps/', registryUser, { kind: 'page', id: 'projects' }],
    ['/projectsx', registryUser, { kind: 'notFound' }],
    ['/projects/apps', developer, { kind: 'redirect', to: '/tokens' }],
    ['/gc', registryUser, { kind: 'redirect', to: '/tokens' }],
    ['/gc/x', [...registryUser, 'gc:list'], { kind: 'notFound' }],
    ['/gc', [...registryUser, 'gc:list'], { kind: 'page', id: 'gc' }],
  ];
  for (const [path, perms, want] of cases) {
    const got = resolveRoute(path, perms);
    const shown = got.kind === 'page' ? { kind: 'page', id: got.page.id } : got;
    assert.deepEqual(shown, want, `${path} with ${perms.join(',')}`);
  }
});
