import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { WhoAmI } from './model.ts';
import { administersProject, managesProject, projectTenants } from './registry-access.ts';

const who = (name: string, platformRoles: WhoAmI['platformRoles'], tenantRoles: { tenant: string; role: string }[] = []): WhoAmI =>
  ({ name, platformRoles, tenantRoles, permissions: [] });

const admin = who('admin', ['platform-admin']);
const tenantAdmin = who('ta', ['user'], [{ tenant: 'team-a', role: 'tenant-admin' }, { tenant: 'team-b', role: 'tenant-viewer' }]);
const dev = who('dev', ['user']);

test('administersProject: platform admins everywhere, tenant admins in their own tenant only', () => {
  assert.equal(administersProject(admin, { tenant: '' }), true);
  assert.equal(administersProject(admin, { tenant: 'team-a' }), true);
  assert.equal(administersProject(tenantAdmin, { tenant: 'team-a' }), true);
  assert.equal(administersProject(tenantAdmin, { tenant: 'team-b' }), false, 'a viewer binding does not administer');
  assert.equal(administersProject(tenantAdmin, { tenant: '' }), false, 'platform projects are for platform admins');
  assert.equal(administersProject(dev, { tenant: 'team-a' }), false);
});

test('managesProject adds whole-project project-admins, not repository-scoped ones or other roles', () => {
  const project = { tenant: 'team-c' };
  assert.equal(managesProject(dev, project, [{ user: 'dev', role: 'project-admin', repositories: '' }]), true);
  assert.equal(managesProject(dev, project, [{ user: 'dev', role: 'project-admin', repositories: 'team/*' }]), false);
  assert.equal(managesProject(dev, project, [{ user: 'dev', role: 'maintainer', repositories: '' }]), false);
  assert.equal(managesProject(dev, project, [{ user: 'other', role: 'project-admin', repositories: '' }]), false);
  assert.equal(managesProject(admin, project, []), true);
});

test('projectTenants: platform admins may also make platform projects; others only their tenant-admin tenants', () => {
  assert.deepEqual(projectTenants(admin), ['']);
  assert.deepEqual(projectTenants(who('both', ['platform-admin'], [{ tenant: 'z', role: 'tenant-admin' }, { tenant: 'a', role: 'tenant-admin' }])), ['', 'a', 'z']);
  assert.deepEqual(projectTenants(tenantAdmin), ['team-a']);
  assert.deepEqual(projectTenants(dev), []);
});
