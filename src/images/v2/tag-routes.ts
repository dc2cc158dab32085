// Tags: the paged tag list of a repository.
import { OciError } from './oci-errors.ts';
import type { V2Deps } from './gate-routes.ts';
import { pageSize } from './paths.ts';
import type { RepoFamily } from './family-routes.ts';

/** The tag list endpoint `/v2/<name>/tags/list` (`n` and `last` page it; a Link header points to the next page). */
export function tagRoutes(deps: V2Deps): RepoFamily<'tags'> {
  return {
    action(method) {
      if (method !== 'GET' && method !== 'HEAD') throw new OciError('UNSUPPORTED', `${method} is not supported on tags`);
      return 'pull';
    },
    async handle({ reply, op, query, who }) {
      const n = pageSize(query.get('n'));
      const last = query.get('last') ?? undefined;
      const page = await deps.registry.listTags(who.ref, n, last);
      if (page.more && n !== undefined) {
        reply.header('link', `</v2/${op.name}/tags/list?n=${n}&last=${encodeURIComponent(page.tags[page.tags.length - 1])}>; rel="next"`);
      }
      return reply.type('application/json').send({ name: op.name, tags: page.tags });
    },
  };
}
