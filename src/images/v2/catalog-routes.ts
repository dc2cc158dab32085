// The catalog: repository names, paged, listed only where the caller may pull.
import { actionsOn, type RegistryCaller } from '../access.ts';
import type { Member, Project } from '../model.ts';
import type { V2Deps } from './gate-routes.ts';
import { pageSize } from './paths.ts';
import type { RegistryHandler } from './family-routes.ts';

/** The catalog endpoint `/v2/_catalog` (`n`, default 1000, and `last` page it; a Link header points to the next page). */
export function catalogRoutes(deps: V2Deps): RegistryHandler<'catalog'> {
  return async ({ reply, query, who }) => {
    const n = pageSize(query.get('n')) ?? 1000;
    const { names, more } = await pullable(deps, who.caller, n, query.get('last') ?? undefined);
    if (more) reply.header('link', `</v2/_catalog?n=${n}&last=${encodeURIComponent(names[names.length - 1])}>; rel="next"`);
    return reply.type('application/json').send({ repositories: names });
  };
}

/** Up to `n` repository names after `last` that `caller` may pull, and whether more follow. */
async function pullable(deps: V2Deps, caller: RegistryCaller, n: number, last: string | undefined): Promise<{ names: string[]; more: boolean }> {
  const facts = new Map<string, { project: Project; members: readonly Member[] } | undefined>();
  const names: string[] = [];
  while (names.length < n) {
    const batch = await deps.registry.repositoryNames(last, 500);
    if (batch.length === 0) break;
    for (const r of batch) {
      last = r.name;
      if (!facts.has(r.project)) facts.set(r.project, await deps.auth.projectFacts(r.project));
      const f = facts.get(r.project);
      // Listed only when pullable: a member's or robot's repository pattern narrows the catalog as it narrows pulls.
      if (!f || !actionsOn(caller, f.project, f.members, r.name.slice(r.project.length + 1)).has('pull')) continue;
      if (names.length === n) return { names, more: true };
      names.push(r.name);
    }
  }
  return { names, more: false };
}
