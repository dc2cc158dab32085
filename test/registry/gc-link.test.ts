// The push side of garbage collection's blob protocol: a blob whose file is swept after a push
// committed it but before the push linked it is not linked, and the client is told to upload
// again; a mount whose source file goes the same way falls back to an upload. A real collection
// cannot be made to land in that instant, so the fault comes from a fault-injecting blob store
// (SweepingBlobStore below, the one fake here) that deletes the file right then, as a sweep
// would. Everything else is real: the server, its database on both backends, the file driver.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { FilesystemBlobStore } from '../../src/images/index.ts';
import type { BlobInfo } from '../../src/images/blobstore/types.ts';
import type { Digest } from '../../src/images/digest.ts';
import { RegistryError } from '../../src/images/errors.ts';
import { ociErrorOf } from '../../src/images/v2/oci-errors.ts';
import { UsageCache } from '../../src/images/usage-cache.ts';
import { Registry, type Actor } from '../../src/images/registry-service.ts';
import { findProject, imagesDb, repositoryHasBlob } from '../../src/images/store.ts';
import { sha256, startRegistryServer } from './support.ts';
import { adminPassword } from '../support/server.ts';

/** Fault injection: deletes a blob's file just after `commit`, or just after the first `stat`. */
class SweepingBlobStore extends FilesystemBlobStore {
  sweepAfter: 'commit' | 'stat' | 'never' = 'never';

  override async commit(id: string, digest: Digest): Promise<BlobInfo> {
    const info = await super.commit(id, digest);
    if (this.sweepAfter === 'commit') await this.delete(digest.value);
    return info;
  }

  override async stat(digest: string): Promise<BlobInfo | undefined> {
    const info = await super.stat(digest);
    if (info && this.sweepAfter === 'stat') {
      this.sweepAfter = 'never';
      await this.delete(digest);
    }
    return info;
  }
}

const auth = { authorization: `Basic ${Buffer.from(`admin:${adminPassword}`).toString('base64')}` };
const actor: Actor = { name: 'admin', sourceIp: '127.0.0.1', requestId: 'gc-link-test' };

async function* bytes(b: Buffer): AsyncIterable<Uint8Array> {
  yield b;
}

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`a blob swept between its commit and its link is not linked (${backend})`, async () => {
    const s = await startRegistryServer(backend);
    try {
      await s.createProject('team');
      const db = s.server.deps.db;
      const k = imagesDb(db.kysely);
      const blobs = new SweepingBlobStore(join(s.dataDir, 'registry'));
      const registry = new Registry({ db, blobs, audit: s.server.deps.audit, limits: s.server.deps.config.uploads, usage: new UsageCache({ ttlMs: 1000 }) });
      const project = await findProject(k, 'team');
      assert.ok(project);
      const ref = { repository: 'team/app', project };

      // An upload whose file is swept right after its commit.
      const body = randomBytes(4096);
      const digest = sha256(body);
      const upload = await registry.startUpload(ref, actor);
      blobs.sweepAfter = 'commit';
      await assert.rejects(registry.finishUpload(ref, upload.id, digest, undefined, bytes(body), body.length), (err: unknown) => {
        assert.ok(err instanceof RegistryError);
        assert.equal(err.problem, 'upload-lost');
        assert.equal(ociErrorOf(err).code, 'BLOB_UPLOAD_INVALID');
        assert.equal(ociErrorOf(err).status, 409);
        assert.match(err.message, /garbage collection.*upload it again/);
        return true;
      });
      blobs.sweepAfter = 'never';
      assert.equal(await repositoryHasBlob(k, 'team/app', digest), undefined, 'no link to a missing file');
      assert.equal((await fetch(`${s.url}/v2/team/app/blobs/${digest}`, { method: 'HEAD', headers: auth })).status, 404);
      assert.equal((await fetch(`${s.url}/v2/team/app/blobs/uploads/${upload.id}`, { headers: auth })).status, 404, 'the upload is gone too');

      // The client uploads again, through the real server, and the blob is whole.
      const again = await fetch(`${s.url}/v2/team/app/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: auth, body: new Uint8Array(body) });
      assert.equal(again.status, 201);
      const got = await fetch(`${s.url}/v2/team/app/blobs/${digest}`, { headers: auth });
      assert.equal(sha256(Buffer.from(await got.arrayBuffer())), digest);

      // A mount whose source file goes after the check: no link, the client uploads instead.
      blobs.sweepAfter = 'stat';
      assert.equal(await registry.mountBlob({ repository: 'team/other', project }, digest, 'team/app'), undefined);
      assert.equal(await repositoryHasBlob(k, 'team/other', digest), undefined, 'no link to a missing file');
    } finally {
      await s.close();
    }
  });
}
