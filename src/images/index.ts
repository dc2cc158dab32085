// The image registry area: what other areas and the server may import.
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AreaInstance, AreaModule, PlatformDeps } from '../platform/area.ts';
import { apiRoutes } from './api-routes.ts';
import { RegistryAuth } from './auth-service.ts';
import { FilesystemBlobStore } from './blobstore/drivers/filesystem.ts';
import { GarbageCollector } from './gc-service.ts';
import { ProjectService } from './project-service.ts';
import { PolicyService } from './policy-service.ts';
import { PullLog } from './pull-service.ts';
import { RateLimiter } from './rate-limit.ts';
import { Registry } from './registry-service.ts';
import { UsageCache } from './usage-cache.ts';
import { imagesMigrations } from './store.ts';
import { tokenRoutes } from './token-routes.ts';
import { v2Routes } from './v2/routes.ts';

/**
 * Builds the registry area. Each server gets its own instance (blob store, usage cache,
 * services), shared by its routes and its background work and by nothing else.
 */
export function createImagesArea(): AreaModule {
  return {
    name: 'images',
    migrations: imagesMigrations,
    create(deps: PlatformDeps): AreaInstance {
      const blobs = new FilesystemBlobStore(join(deps.config.dataDir, 'registry'));
      // Usage another replica changes reaches this one's quota bound within a second.
      const usage = new UsageCache({ ttlMs: 1000 });
      const registry = new Registry({ db: deps.db, blobs, audit: deps.audit, limits: deps.config.uploads, usage });
      const gc = new GarbageCollector({ db: deps.db, blobs, audit: deps.audit, logger: deps.logger, uploadTtlMs: deps.config.uploads.idleMs, usage });
      const policies = new PolicyService({ db: deps.db, audit: deps.audit, registry });
      const auth = new RegistryAuth({ db: deps.db, identity: deps.identity, audit: deps.audit, secretKey: deps.secretKey });
      const projects = new ProjectService({ db: deps.db, audit: deps.audit, auth, usage });
      deps.identity.onUserDeleted((tx, user, ctx) => projects.forgetUser(tx, ctx, user));
      return {
        async plugin(app) {
          const pulls = new PullLog(deps.db, deps.audit, deps.logger);
          app.addHook('onClose', async () => pulls.close());
          await v2Routes(app, { registry, auth, pulls, limiter: new RateLimiter(), publicUrl: deps.config.publicUrl });
          await tokenRoutes(app, auth);
          await app.register(async (api) => apiRoutes(api, projects, gc, policies), { prefix: '/api/v1/registry' });
        },
        run: (signal) => runRegistryWork(deps, gc, policies, signal),
      };
    },
  };
}

// Retention, collection and the sweep of abandoned uploads change what every replica serves: the
// leader alone schedules them.
async function runRegistryWork(deps: PlatformDeps, gc: GarbageCollector, policies: PolicyService, signal: AbortSignal): Promise<void> {
  const every = deps.config.registryGcIntervalHours * 3600 * 1000;
  await Promise.all([
    every === 0 ? undefined : deps.leader.runWhileLeader('registry-retention-gc', async (term) => {
      const by = `schedule@${deps.leader.replica}`;
      while (await sleep(every, true, { signal: term.signal }).catch(() => false)) {
        // Retention first, so that the collection right after frees what retention let go.
        for (const project of await policies.projectsWithRetention()) {
          if (term.signal.aborted) return;
          await policies.retain(project, false, { name: by, sourceIp: '', requestId: 'schedule' })
            .catch((err: unknown) => deps.logger.error({ err, project }, 'retention failed'));
        }
        if (term.signal.aborted) return;
        await gc.run({ dryRun: false, triggeredBy: by });
      }
    }, signal),
    deps.leader.runWhileLeader('registry-upload-sweep', async (term) => {
      while (await sleep(deps.config.uploads.sweepEveryMs, true, { signal: term.signal }).catch(() => false)) {
        const removed = await gc.sweepUploads().catch((err: unknown) => {
          deps.logger.error({ err }, 'sweeping abandoned uploads failed');
          return 0;
        });
        if (removed > 0) deps.logger.info({ removed }, 'abandoned uploads removed');
      }
    }, signal),
  ]);
}

/** The registry: /v2 (OCI Distribution), /auth/token, and /api/v1/registry/... */
export const imagesArea: AreaModule = createImagesArea();

export type { Artifact, Project, Member, Repository, Robot, RobotPermission, ProjectRole, RepositoryAction, ArtifactEvent } from './model.ts';
export type { RetentionResult } from './policy-service.ts';
export type { GcResult, GcRun } from './gc-service.ts';
export { registryTopics } from './model.ts';
export { GarbageCollector } from './gc-service.ts';
export { FilesystemBlobStore } from './blobstore/drivers/filesystem.ts';
