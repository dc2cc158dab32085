// The image registry area: what other areas and the server may import.
import { join } from 'node:path';
import type { AreaModule } from '../platform/area.ts';
import { RegistryAuth } from './auth-service.ts';
import { FilesystemBlobStore } from './blobstore/drivers/filesystem.ts';
import { PullLog } from './pull-service.ts';
import { RateLimiter } from './rate-limit.ts';
import { Registry } from './registry-service.ts';
import { imagesMigrations } from './store.ts';
import { tokenRoutes } from './token-routes.ts';
import { v2Routes } from './v2-routes.ts';
import { apiRoutes } from './api-routes.ts';
import { ProjectService } from './project-service.ts';

/** The registry: /v2 (OCI Distribution), /auth/token, and /api/v1/registry/... */
export const imagesArea: AreaModule = {
  name: 'images',
  migrations: imagesMigrations,
  async register(app, deps) {
    const blobs = new FilesystemBlobStore(join(deps.config.dataDir, 'registry'));
    const registry = new Registry({ db: deps.db, blobs, audit: deps.audit, logger: deps.logger });
    const auth = new RegistryAuth({ db: deps.db, identity: deps.identity, audit: deps.audit, secretKey: deps.secretKey });
    const pulls = new PullLog(deps.db, deps.audit, deps.logger);
    app.addHook('onClose', async () => pulls.close());
    const projects = new ProjectService({ db: deps.db, audit: deps.audit, auth });
    await v2Routes(app, { registry, auth, pulls, limiter: new RateLimiter(), publicUrl: deps.config.publicUrl });
    await tokenRoutes(app, auth);
    await app.register(async (api) => apiRoutes(api, projects), { prefix: '/api/v1/registry' });
  },
};

export type { Project, Member, Robot, ProjectRole, RepositoryAction } from './model.ts';
