import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRegistryPath, registryPath } from './registry-path.ts';
import type { RegistryView } from './registry-path.ts';

test('parseRegistryPath reads the list, project tabs and nested repository names', () => {
  const cases: readonly [string, RegistryView][] = [
    ['/projects', { kind: 'projects' }],
    ['/projects/', { kind: 'projects' }],
    ['/projects/apps', { kind: 'project', project: 'apps', tab: 'repositories' }],
    ['/projects/apps/', { kind: 'project', project: 'apps', tab: 'repositories' }],
    ['/projects/apps/repositories', { kind: 'project', project: 'apps', tab: 'repositories' }],
    ['/projects/apps/members', { kind: 'project', project: 'apps', tab: 'members' }],
    ['/projects/apps/robots', { kind: 'project', project: 'apps', tab: 'robots' }],
    ['/projects/apps/policies', { kind: 'project', project: 'apps', tab: 'policies' }],
    ['/projects/apps/repositories/web', { kind: 'repository', project: 'apps', repository: 'apps/web' }],
    ['/projects/apps/repositories/team/web/api', { kind: 'repository', project: 'apps', repository: 'apps/team/web/api' }],
    ['/projects/apps/nope', { kind: 'notFound' }],
    ['/projects/apps/members/x', { kind: 'notFound' }],
    ['/projects/apps/repositories/%E0%A4%A', { kind: 'notFound' }],
    ['/projects/apps/repositories/a%2Fb', { kind: 'notFound' }],
    ['/projectsx', { kind: 'notFound' }],
    ['/tokens', { kind: 'notFound' }],
  ];
  for (const [path, want] of cases) assert.deepEqual(parseRegistryPath(path), want, path);
});

test('registryPath writes paths that parse back to the same view', () => {
  const views: readonly Exclude<RegistryView, { kind: 'notFound' }>[] = [
    { kind: 'projects' },
    { kind: 'project', project: 'apps', tab: 'repositories' },
    { kind: 'project', project: 'apps', tab: 'robots' },
    { kind: 'repository', project: 'apps', repository: 'apps/team/web' },
    { kind: 'repository', project: 'my.proj', repository: 'my.proj/a_b/c-d' },
  ];
  for (const v of views) assert.deepEqual(parseRegistryPath(registryPath(v)), v, JSON.stringify(v));
  assert.equal(registryPath({ kind: 'project', project: 'apps', tab: 'repositories' }), '/projects/apps');
  assert.equal(registryPath({ kind: 'repository', project: 'apps', repository: 'apps/team/web' }), '/projects/apps/repositories/team/web');
});
