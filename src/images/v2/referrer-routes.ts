// Referrers: the manifests whose subject is a digest, as an OCI image index.
import { OciError } from './oci-errors.ts';
import type { V2Deps } from './gate-routes.ts';
import type { RepoFamily } from './family-routes.ts';

/** The referrers endpoint `/v2/<name>/referrers/<digest>` (filtered by `artifactType` when given). */
export function referrerRoutes(deps: V2Deps): RepoFamily<'referrers'> {
  return {
    action(method) {
      if (method !== 'GET') throw new OciError('UNSUPPORTED', `${method} is not supported on referrers`);
      return 'pull';
    },
    async handle({ reply, op, query, who }) {
      const artifactType = query.get('artifactType') ?? undefined;
      const manifests = await deps.registry.referrers(who.ref, op.digest, artifactType);
      if (artifactType !== undefined) reply.header('oci-filters-applied', 'artifactType');
      // A Buffer, so that Fastify adds no charset to the media type.
      return reply.type('application/vnd.oci.image.index.v1+json')
        .send(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests })));
    },
  };
}
