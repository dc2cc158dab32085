// The OCI Distribution use cases on authorized requests: uploads (monolithic, streamed,
// chunked, resumable), mounts, blobs, manifests, tags, referrers. Quotas and immutability are
// checked here; pushes and deletes are audited in the transaction that makes them. Refusals are
// RegistryErrors (errors.ts), which the /v2 plugin answers as OCI errors.
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { UploadLimits } from '../platform/config.ts';
import type { Database } from '../platform/db/database.ts';
import { isUniqueViolation } from '../platform/db/database.ts';
import type { AuditLog } from '../platform/audit/service.ts';
import type { PlatformTables } from '../platform/db/schema.ts';
import { BlobStoreNotFoundError, DigestMismatchError, UploadOffsetError, type BlobStore, type ByteRange, type OpenedBlob } from './blobstore/types.ts';
import { digestOf, isDigestSyntax, parseDigest, type Digest } from './digest.ts';
import { RegistryError } from './errors.ts';
import { isProblem, maxManifestBytes, parseManifest, type Descriptor } from './manifest.ts';
import { isTag } from './names.ts';
import { protectingRule } from './retention.ts';
import { registryTopics, type ArtifactEvent, type Project } from './model.ts';
import { publish } from '../platform/outbox/outbox.ts';
import { recordChange, type ChangeActor, type ChangeAudit } from '../platform/usecase.ts';
import * as store from './store.ts';
import { imagesDb, type Db, type ManifestsTable } from './store.ts';
import * as registryStore from './registry-store.ts';
import type { UsageCache } from './usage-cache.ts';

/** The blob's file went (garbage collection) before a link to it was committed. */
class BlobGone extends Error {}

/** Who asks, for audit records. */
export type Actor = ChangeActor;

/** The repository a request is about, already authorized. */
export interface RepoRef {
  readonly repository: string;
  readonly project: Project;
}

/** A manifest as served. */
export interface ServedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly content: Buffer;
  readonly subject: string;
}

/** A stored upload's state. */
export interface UploadState {
  readonly id: string;
  readonly size: number;
}

/** A page of tags. */
export interface TagPage {
  readonly tags: readonly string[];
  /** True when more tags follow the page. */
  readonly more: boolean;
}

export interface RegistryOptions {
  readonly db: Database;
  readonly blobs: BlobStore;
  readonly audit: AuditLog;
  readonly limits: UploadLimits;
  /** Storage usage as the quota bound reads it; the registry forgets what its links change. */
  readonly usage: UsageCache;
  readonly now?: () => Date;
}

/** How large a blob may grow, and the refusal to answer past that. */
interface Bound {
  readonly bytes: number;
  /** The refusal for `requested` bytes (a count, or words such as "more than N"). */
  refusal(requested: string): RegistryError;
}

function tighter(a: Bound, b: Bound): Bound {
  return b.bytes < a.bytes ? b : a;
}

/**
 * The first and last byte of a `Content-Range` header, undefined without one. Throws
 * `range-invalid` when it is not `<start>-<end>` with start ≤ end.
 */
export function parseContentRange(h: string | undefined): ByteRange | undefined {
  if (!h) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)$/.exec(h.trim());
  if (!m) throw new RegistryError('range-invalid', `Content-Range "${h}" is not "<start>-<end>"`);
  const range = { start: Number(m[1]), end: Number(m[2]) };
  if (range.end < range.start) throw new RegistryError('range-invalid', `Content-Range "${h}" ends before it starts`);
  return range;
}

function digestOrInvalid(s: string | undefined): Digest {
  if (!s) throw new RegistryError('digest-invalid', 'the digest query parameter is required to finish an upload');
  const d = parseDigest(s);
  if (d) return d;
  if (isDigestSyntax(s)) throw new RegistryError('unsupported', `digest algorithm of "${s}" is not supported; use sha256 or sha512`);
  throw new RegistryError('digest-invalid', `"${s}" is not a valid digest`);
}

/** Blob-store errors as the registry's refusals; any other error as it is. */
function registryError(err: unknown, uploadId: string): unknown {
  if (err instanceof DigestMismatchError) return new RegistryError('digest-invalid', `the uploaded content does not match the digest: ${err.message}`, { detail: { expected: err.expected, actual: err.actual } });
  if (err instanceof UploadOffsetError) return new RegistryError('upload-offset', err.message, { uploadSize: err.size });
  if (err instanceof BlobStoreNotFoundError) return new RegistryError('upload-unknown', `upload "${uploadId}" not found`);
  return err;
}

/** The repository's path inside its project (what policy patterns match). */
function pathOf(ref: RepoRef): string {
  return ref.repository.slice(ref.project.name.length + 1);
}

/** The registry's distribution core. One instance per server. */
export class Registry {
  readonly #db: Database;
  readonly #blobs: BlobStore;
  readonly #audit: AuditLog;
  readonly #limits: UploadLimits;
  readonly #usage: UsageCache;
  readonly #now: () => Date;

  constructor(o: RegistryOptions) {
    this.#usage = o.usage;
    this.#db = o.db;
    this.#blobs = o.blobs;
    this.#audit = o.audit;
    this.#limits = o.limits;
    this.#now = o.now ?? (() => new Date());
  }

  get #k(): Db {
    return imagesDb(this.#db.kysely);
  }

  #tx<R>(fn: (tx: Db, raw: Transaction<PlatformTables>) => Promise<R>): Promise<R> {
    return this.#db.transaction((raw) => fn(imagesDb(raw), raw));
  }

  // ---- uploads ----

  /**
   * Opens an upload session in the repository. `too-many-uploads` when the actor or the
   * project already holds as many open uploads as the limits allow.
   */
  async startUpload(ref: RepoRef, actor: Actor): Promise<UploadState> {
    const id = randomUUID();
    const now = this.#now().toISOString();
    // The row first, then the count: uploads opened at the same moment all see each other, so
    // a burst may be refused a little early but never gets past the bound.
    await registryStore.insertUpload(this.#k, { id, repository: ref.repository, started_by: actor.name, started_at: now, updated_at: now });
    try {
      await this.#checkOpenUploads(ref, actor);
      await this.#blobs.startUpload(id);
    } catch (err) {
      await registryStore.deleteUpload(this.#k, id);
      throw err;
    }
    return { id, size: 0 };
  }

  async #checkOpenUploads(ref: RepoRef, actor: Actor): Promise<void> {
    const { maxOpenPerPrincipal, maxOpenPerProject, idleMs } = this.#limits;
    const idle = `uploads idle for ${Math.round(idleMs / 1000)} s are removed`;
    if ((await registryStore.uploadsBy(this.#k, actor.name)) > maxOpenPerPrincipal) {
      throw new RegistryError('too-many-uploads', `${actor.name} has ${maxOpenPerPrincipal} uploads open, the limit per principal: finish or cancel one first (${idle})`, { detail: { limit: maxOpenPerPrincipal } });
    }
    if ((await registryStore.uploadsIn(this.#k, ref.project.name)) > maxOpenPerProject) {
      throw new RegistryError('too-many-uploads', `project "${ref.project.name}" has ${maxOpenPerProject} uploads open, the limit per project: finish or cancel one first (${idle})`, { detail: { limit: maxOpenPerProject } });
    }
  }

  /** Removes an upload's bytes and row: what every final refusal of an upload does. */
  async #drop(id: string): Promise<void> {
    await this.#blobs.cancel(id);
    await registryStore.deleteUpload(this.#k, id);
  }

  /**
   * A whole blob in one request (POST with `digest`): an upload opened, filled and finished at
   * once. Nothing of it stays when it fails, whatever the cause: the client never learned its id.
   */
  async pushBlob(ref: RepoRef, actor: Actor, digestParam: string, body: AsyncIterable<Uint8Array>, length?: number): Promise<{ digest: string; size: number }> {
    const up = await this.startUpload(ref, actor);
    try {
      return await this.finishUpload(ref, up.id, digestParam, undefined, body, length);
    } catch (err) {
      await this.#drop(up.id);
      throw err;
    }
  }

  async #upload(ref: RepoRef, id: string): Promise<UploadState> {
    const row = await store.findUpload(this.#k, id);
    if (!row || row.repository !== ref.repository) throw new RegistryError('upload-unknown', `upload "${id}" not found in repository "${ref.repository}"`);
    const size = await this.#blobs.uploadSize(id);
    if (size === undefined) {
      await registryStore.deleteUpload(this.#k, id);
      throw new RegistryError('upload-unknown', `upload "${id}" not found in repository "${ref.repository}"`);
    }
    return { id, size };
  }

  /** The upload's current size (GET of the upload URL). */
  uploadStatus(ref: RepoRef, id: string): Promise<UploadState> {
    return this.#upload(ref, id);
  }

  /**
   * Appends a chunk at the end of the upload. `contentRange` is the request's Content-Range
   * header: a chunk that does not start where the upload ends is refused as `upload-offset`, with
   * the upload's size, and leaves the upload to be resumed. The chunk may take the upload up to the per-upload cap
   * and what remains of the project's and tenant's storage quotas (a blob they already hold
   * costs nothing; `digest` names it when known): a Content-Length past that is refused before a
   * byte is read, a body is cut off at the first byte past it. Every other refusal (quota, cap,
   * a bad Content-Range, a body that does not match its Content-Length) removes the upload.
   */
  async appendChunk(ref: RepoRef, id: string, contentRange: string | undefined, body: AsyncIterable<Uint8Array>, length?: number): Promise<UploadState> {
    const up = await this.#upload(ref, id);
    try {
      return await this.#append(ref, up, contentRange, body, length, undefined);
    } catch (err) {
      return this.#refuse(id, err);
    }
  }

  /**
   * Rethrows `err` as the registry's refusal, first removing the upload when the refusal is
   * final. Only a chunk at the wrong offset (`upload-offset`, with the upload's size) and a
   * failure of the connection or the server leave the upload to be resumed: the bytes they
   * carried were not kept.
   */
  async #refuse(id: string, err: unknown): Promise<never> {
    const e = registryError(err, id);
    if (e instanceof RegistryError && e.problem !== 'upload-offset') await this.#drop(id);
    throw e;
  }

  /**
   * Checks that a chunk described by `contentRange` starts where the upload ends. Its refusal
   * is the blob store's, so that a wrong offset has one answer whichever of the two sees it.
   */
  #checkStart(up: UploadState, contentRange: string | undefined): void {
    const range = parseContentRange(contentRange);
    if (range && range.start !== up.size) throw new UploadOffsetError(up.size, range.start);
  }

  async #append(ref: RepoRef, up: UploadState, contentRange: string | undefined, body: AsyncIterable<Uint8Array>, length: number | undefined, digest: string | undefined): Promise<UploadState> {
    this.#checkStart(up, contentRange);
    const bound = tighter(this.#capBound(), await this.#quotaBound(ref, digest));
    const room = bound.bytes - up.size;
    if (length !== undefined && length > room) throw bound.refusal(String(up.size + length));
    let size: number;
    try {
      size = await this.#blobs.append(up.id, up.size, body, Math.min(length ?? room, room));
    } catch (err) {
      if (err instanceof RangeError) {
        throw length === undefined ? bound.refusal(`more than ${bound.bytes}`) : new RegistryError('size-invalid', `the chunk is longer than its Content-Length ${length}`);
      }
      throw err;
    }
    if (length !== undefined && size - up.size !== length) {
      throw new RegistryError('size-invalid', `the chunk carried ${size - up.size} bytes but Content-Length said ${length}`);
    }
    await registryStore.touchUpload(this.#k, up.id, this.#now().toISOString());
    return { id: up.id, size };
  }

  /**
   * Finishes an upload: appends the final body (if any, as {@link appendChunk} does), verifies
   * `digest`, checks the quotas, makes the blob visible and links it into the repository.
   * Idempotent per blob. A refusal of the blob (digest, quota, size) removes the upload.
   */
  async finishUpload(ref: RepoRef, id: string, digestParam: string | undefined, contentRange: string | undefined, body: AsyncIterable<Uint8Array> | undefined, length?: number): Promise<{ digest: string; size: number }> {
    const digest = digestOrInvalid(digestParam);
    const up = await this.#upload(ref, id);
    let size = up.size;
    try {
      if (body) size = (await this.#append(ref, up, contentRange, body, length, digest.value)).size;
      else this.#checkStart(up, contentRange);
      const bound = tighter(this.#capBound(), await this.#quotaBound(ref, digest.value));
      if (size > bound.bytes) throw bound.refusal(String(size));
      await this.#blobs.commit(id, digest);
    } catch (err) {
      return this.#refuse(id, err);
    }
    const now = this.#now().toISOString();
    try {
      await this.#tx(async (tx) => {
        await store.linkBlob(tx, ref.repository, ref.project.name, digest.value, size, now);
        await registryStore.deleteUpload(tx, id);
        await this.#requireFile(digest.value);
      });
    } catch (err) {
      if (!(err instanceof BlobGone)) throw err;
      await registryStore.deleteUpload(this.#k, id);
      throw new RegistryError('upload-lost', `blob ${digest.value} was removed by garbage collection as it was committed; upload it again`);
    }
    this.#usage.forget(ref.project.name, ref.project.tenant);
    return { digest: digest.value, size };
  }

  /**
   * Throws {@link BlobGone} (rolling the caller's transaction back) when the blob's file is
   * missing. Called in the transaction that links the blob, after its row was taken: garbage
   * collection deletes a file only while it holds that row, so a file found here stays for as
   * long as the link does.
   */
  async #requireFile(digest: string): Promise<void> {
    if (!(await this.#blobs.stat(digest))) throw new BlobGone();
  }

  /** Abandons an upload (DELETE of the upload URL). */
  async cancelUpload(ref: RepoRef, id: string): Promise<void> {
    await this.#upload(ref, id);
    await this.#blobs.cancel(id);
    await registryStore.deleteUpload(this.#k, id);
  }

  /** Links a blob of `from` into the repository when it is there; false means: upload it instead. */
  async mountBlob(ref: RepoRef, digestParam: string, from: string): Promise<{ digest: string; size: number } | undefined> {
    const digest = parseDigest(digestParam);
    if (!digest) return undefined;
    const link = await store.repositoryHasBlob(this.#k, from, digest.value);
    if (!link) return undefined;
    const info = await this.#blobs.stat(digest.value);
    if (!info) return undefined;
    const bound = await this.#quotaBound(ref, digest.value);
    if (info.size > bound.bytes) throw bound.refusal(String(info.size));
    try {
      await this.#tx(async (tx) => {
        await store.linkBlob(tx, ref.repository, ref.project.name, digest.value, info.size, this.#now().toISOString());
        await this.#requireFile(digest.value);
      });
    } catch (err) {
      // Collected meanwhile: the client uploads it instead.
      if (err instanceof BlobGone) return undefined;
      throw err;
    }
    this.#usage.forget(ref.project.name, ref.project.tenant);
    return { digest: digest.value, size: info.size };
  }

  #capBound(): Bound {
    const max = this.#limits.maxBytes;
    return { bytes: max, refusal: (requested) => new RegistryError('too-large', `the upload is ${requested} bytes; the limit per blob is ${max} bytes`) };
  }

  /**
   * What the project's and tenant's storage quotas leave for a new blob (unbounded without
   * quotas). A blob the project (or tenant) already stores costs it nothing: `digest` names the
   * blob when it is known; an upload whose digest is not known yet is counted in full.
   */
  async #quotaBound(ref: RepoRef, digest: string | undefined): Promise<Bound> {
    let bound: Bound = { bytes: Number.MAX_SAFE_INTEGER, refusal: () => new RegistryError('quota-exceeded', 'storage quota exceeded') };
    const limit = ref.project.storageLimit;
    if (limit >= 0 && !(digest && (await store.projectHasBlob(this.#k, ref.project.name, digest)))) {
      const used = await this.#usage.bytes({ project: ref.project.name }, () => store.projectBytes(this.#k, ref.project.name));
      bound = tighter(bound, {
        bytes: Math.max(0, limit - used),
        refusal: (requested) => new RegistryError('quota-exceeded', `storage quota of project "${ref.project.name}" exceeded: ${used} bytes used + ${requested} bytes requested > ${limit} bytes allowed`),
      });
    }
    const tenant = ref.project.tenant;
    if (!tenant) return bound;
    const quota = await store.tenantQuota(this.#k, tenant);
    if (quota.storageLimit < 0 || (digest && (await store.tenantHasBlob(this.#k, tenant, digest)))) return bound;
    const used = await this.#usage.bytes({ tenant }, () => store.tenantBytes(this.#k, tenant));
    return tighter(bound, {
      bytes: Math.max(0, quota.storageLimit - used),
      refusal: (requested) => new RegistryError('quota-exceeded', `registry storage quota of tenant "${tenant}" exceeded: ${used} bytes used + ${requested} bytes requested > ${quota.storageLimit} bytes allowed`),
    });
  }

  async #checkArtifactQuota(tx: Db, ref: RepoRef): Promise<void> {
    if (ref.project.artifactLimit >= 0) {
      const count = await store.projectArtifacts(tx, ref.project.name);
      if (count + 1 > ref.project.artifactLimit) throw new RegistryError('quota-exceeded', `artifact quota of project "${ref.project.name}" exceeded: ${count} artifacts stored, ${ref.project.artifactLimit} allowed`);
    }
    const tenant = ref.project.tenant;
    if (!tenant) return;
    const quota = await store.tenantQuota(tx, tenant);
    if (quota.artifactLimit < 0) return;
    const count = await store.tenantArtifacts(tx, tenant);
    if (count + 1 > quota.artifactLimit) throw new RegistryError('quota-exceeded', `registry artifact quota of tenant "${tenant}" exceeded: ${count} artifacts stored, ${quota.artifactLimit} allowed`);
  }

  // ---- blobs ----

  /** The blob's size when it is linked into the repository and stored; `blob-unknown` otherwise. */
  async statBlob(ref: RepoRef, digestParam: string): Promise<{ digest: string; size: number }> {
    const digest = this.#blobDigest(digestParam);
    const link = await store.repositoryHasBlob(this.#k, ref.repository, digest);
    const info = link ? await this.#blobs.stat(digest) : undefined;
    if (!info) throw new RegistryError('blob-unknown', `blob ${digest} not found in repository "${ref.repository}"`);
    return { digest, size: info.size };
  }

  #blobDigest(s: string): string {
    const d = parseDigest(s);
    if (!d) throw new RegistryError(isDigestSyntax(s) ? 'blob-unknown' : 'digest-invalid', `"${s}" is not a valid digest`);
    return d.value;
  }

  /** The blob (or a range of it) opened for sending; `blob-unknown` when its file is gone. */
  async openBlob(ref: RepoRef, digest: string, range?: ByteRange): Promise<OpenedBlob> {
    try {
      return await this.#blobs.open(digest, range);
    } catch (err) {
      if (err instanceof BlobStoreNotFoundError) throw new RegistryError('blob-unknown', `blob ${digest} not found in repository "${ref.repository}"`);
      throw err;
    }
  }

  /** Unlinks a blob from the repository (garbage collection frees the bytes). Audited. */
  async deleteBlob(ref: RepoRef, digestParam: string, actor: Actor): Promise<void> {
    const digest = this.#blobDigest(digestParam);
    await this.#tx(async (tx, raw) => {
      if (!(await registryStore.unlinkBlob(tx, ref.repository, digest))) throw new RegistryError('blob-unknown', `blob ${digest} not found in repository "${ref.repository}"`);
      await this.#record(raw, actor, ref, { action: 'delete', resource: 'blobs', code: 202, detail: { digest } });
    });
    this.#usage.forget(ref.project.name, ref.project.tenant);
  }

  // ---- manifests ----

  /**
   * Stores a manifest under `reference` (a tag or its digest) and any extra `tags`. Checks the
   * size, syntax, that referenced blobs and manifests are in the repository, tag immutability
   * and the artifact quota. Audited as a push.
   */
  async putManifest(ref: RepoRef, reference: string, bytes: Buffer, contentType: string, actor: Actor, extraTags: readonly string[] = []): Promise<{ digest: string; subject?: string }> {
    if (bytes.length > maxManifestBytes) throw new RegistryError('too-large', `the manifest is ${bytes.length} bytes; the limit is ${maxManifestBytes}`);
    const byDigest = reference.includes(':');
    let digest: string;
    if (byDigest) {
      const d = parseDigest(reference);
      if (!d) throw new RegistryError(isDigestSyntax(reference) ? 'unsupported' : 'digest-invalid', `"${reference}" is not a supported digest`);
      digest = digestOf(bytes, d.algorithm);
      if (digest !== reference) throw new RegistryError('digest-invalid', `the manifest hashes to ${digest}, not ${reference}`);
    } else {
      if (!isTag(reference)) throw new RegistryError('manifest-invalid', `"${reference}" is not a valid tag`, { detail: { tag: reference } });
      digest = digestOf(bytes);
    }
    for (const t of extraTags) if (!isTag(t)) throw new RegistryError('manifest-invalid', `"${t}" is not a valid tag`);
    const parsed = parseManifest(bytes, contentType);
    if (isProblem(parsed)) throw new RegistryError(parsed.code === 'UNSUPPORTED' ? 'unsupported' : 'manifest-invalid', parsed.message);
    const tags = [...new Set([...(byDigest ? [] : [reference]), ...extraTags])];
    const now = this.#now().toISOString();
    await this.#tx(async (tx, raw) => {
      // The repository row first, then the blob links: every registry transaction takes rows in this order.
      await store.ensureRepository(tx, ref.repository, ref.project.name, now);
      const needed = [...new Set(parsed.blobs.map((b) => b.digest))];
      // Touching the links both proves they exist and locks them: garbage collection only
      // removes links older than its grace period, so a link this push relies on stays.
      if (needed.length && (await store.touchLinks(tx, ref.repository, needed, now)) < needed.length) {
        const missingBlobs: string[] = [];
        for (const d of needed) if (!(await store.repositoryHasBlob(tx, ref.repository, d))) missingBlobs.push(d);
        throw new RegistryError('manifest-blob-unknown', `blob ${missingBlobs[0]} is not in repository "${ref.repository}"`, { detail: { digests: missingBlobs } });
      }
      for (const m of parsed.manifests) {
        if (!(await store.findManifest(tx, ref.repository, m.digest))) throw new RegistryError('manifest-blob-unknown', `manifest ${m.digest} is not in repository "${ref.repository}"`, { detail: { digest: m.digest } });
      }
      const existing = await store.findManifest(tx, ref.repository, digest);
      if (!existing) {
        await this.#checkArtifactQuota(tx, ref);
        await registryStore.insertManifest(tx, {
          repository: ref.repository, digest, media_type: parsed.mediaType, artifact_type: parsed.artifactType ?? '', subject: parsed.subject?.digest ?? '',
          size: bytes.length, content: bytes.toString('utf8'), annotations: JSON.stringify(parsed.annotations ?? {}), created_at: now, pushed_by: actor.name, pulled_at: null,
        }, [...parsed.blobs.map((b) => ({ child: b.digest, kind: 'blob' as const })), ...parsed.manifests.map((m) => ({ child: m.digest, kind: 'manifest' as const }))]);
      }
      const rules = tags.length ? await store.immutabilityRules(tx, ref.project.name) : [];
      for (const tag of tags) {
        const rule = protectingRule(rules, pathOf(ref), tag);
        const current = rule ? await store.findTag(tx, ref.repository, tag) : undefined;
        if (rule && current && current.digest !== digest) {
          throw new RegistryError('immutable', `tag "${tag}" of repository "${ref.repository}" is immutable (rule ${rule.id}: repositories "${rule.repositories}", tags "${rule.tags}")`);
        }
      }
      for (const tag of tags) await registryStore.setTag(tx, ref.repository, tag, digest, now);
      const event: ArtifactEvent = { project: ref.project.name, tenant: ref.project.tenant, repository: ref.repository, digest, tags, mediaType: parsed.mediaType, actor: actor.name, time: now };
      await publish(raw, registryTopics.pushed, ref.repository, event, new Date(now));
      await this.#record(raw, actor, ref, { action: 'push', resource: 'artifacts', code: 201, detail: { digest, tags, mediaType: parsed.mediaType } });
    }).catch((err: unknown) => {
      if (isUniqueViolation(err)) throw new RegistryError('concurrent-push', 'a concurrent push of the same manifest won; retry');
      throw err;
    });
    return { digest, ...(parsed.subject ? { subject: parsed.subject.digest } : {}) };
  }

  /** The manifest a tag or digest names; `manifest-unknown` otherwise. */
  async getManifest(ref: RepoRef, reference: string): Promise<ServedManifest> {
    let row: ManifestsTable | undefined;
    if (reference.includes(':')) {
      if (!parseDigest(reference)) throw new RegistryError(isDigestSyntax(reference) ? 'manifest-unknown' : 'digest-invalid', `"${reference}" is not a valid digest`);
      row = await store.findManifest(this.#k, ref.repository, reference);
    } else {
      if (!isTag(reference)) throw new RegistryError('reference-invalid', `"${reference}" is not a valid tag`, { detail: { tag: reference } });
      row = await store.findTaggedManifest(this.#k, ref.repository, reference);
    }
    if (!row) throw new RegistryError('manifest-unknown', `manifest "${reference}" not found in repository "${ref.repository}"`);
    return { digest: row.digest, mediaType: row.media_type, content: Buffer.from(row.content, 'utf8'), subject: row.subject };
  }

  /** Deletes a manifest by digest (with its tags) or only a tag. Audited. */
  async deleteManifest(ref: RepoRef, reference: string, actor: Actor): Promise<void> {
    const byDigest = reference.includes(':');
    await this.#tx(async (tx, raw) => {
      const tag = byDigest ? undefined : await store.findTag(tx, ref.repository, reference);
      const tags = byDigest
        ? await registryStore.tagsOf(tx, ref.repository, reference)
        : [reference];
      // A protected tag that does not exist answers as not found, below.
      const rules = (byDigest ? tags.length > 0 : tag !== undefined) ? await store.immutabilityRules(tx, ref.project.name) : [];
      for (const t of tags) {
        const rule = protectingRule(rules, pathOf(ref), t);
        if (rule) throw new RegistryError('immutable', `tag "${t}" of repository "${ref.repository}" is immutable (rule ${rule.id}): it cannot be deleted`);
      }
      let mediaType = '';
      let digest = reference;
      if (byDigest) {
        const m = await store.findManifest(tx, ref.repository, reference);
        mediaType = m?.media_type ?? '';
        if (!(await registryStore.deleteManifest(tx, ref.repository, reference))) throw new RegistryError('manifest-unknown', `manifest ${reference} not found in repository "${ref.repository}"`);
      } else {
        if (!tag || !(await registryStore.deleteTag(tx, ref.repository, reference))) throw new RegistryError('manifest-unknown', `tag "${reference}" not found in repository "${ref.repository}"`);
        digest = tag.digest;
      }
      const at = this.#now();
      const event: ArtifactEvent = { project: ref.project.name, tenant: ref.project.tenant, repository: ref.repository, digest, tags, mediaType, actor: actor.name, time: at.toISOString() };
      await publish(raw, registryTopics.deleted, ref.repository, event, at);
      await this.#record(raw, actor, ref, { action: 'delete', resource: 'artifacts', code: 202, detail: byDigest ? { digest: reference } : { tag: reference } });
    });
  }

  // ---- tags, referrers ----

  /** Tags in lexical order after `last`, at most `n`. `name-unknown` for a repository never pushed. */
  async listTags(ref: RepoRef, n: number | undefined, last: string | undefined): Promise<TagPage> {
    if (!(await store.repositoryExists(this.#k, ref.repository))) throw new RegistryError('name-unknown', `repository "${ref.repository}" not found`);
    if (n === 0) return { tags: [], more: false };
    const tags = await store.listTags(this.#k, ref.repository, n === undefined ? undefined : n + 1, last);
    return n !== undefined && tags.length > n ? { tags: tags.slice(0, n), more: true } : { tags, more: false };
  }

  /** Descriptors of the manifests whose subject is `digest`, optionally of one artifact type. */
  async referrers(ref: RepoRef, digestParam: string, artifactType: string | undefined): Promise<Descriptor[]> {
    const d = parseDigest(digestParam);
    if (!d) throw new RegistryError('digest-invalid', `"${digestParam}" is not a valid digest`);
    const rows = await store.referrers(this.#k, ref.repository, d.value);
    return rows
      .filter((r) => artifactType === undefined || r.artifact_type === artifactType)
      .map((r) => {
        const annotations = JSON.parse(r.annotations) as Record<string, string>;
        return {
          mediaType: r.media_type, digest: r.digest, size: Number(r.size),
          ...(r.artifact_type ? { artifactType: r.artifact_type } : {}),
          ...(Object.keys(annotations).length ? { annotations } : {}),
        };
      });
  }

  /** Repository names after `after`, in order, with their projects (the catalog filters them). */
  repositoryNames(after: string | undefined, limit: number): Promise<{ name: string; project: string }[]> {
    return store.listRepositoryNames(this.#k, after, limit);
  }

  /** Audits a change to the repository `ref` in its project's tenant, naming project and repository. */
  #record(tx: Transaction<PlatformTables>, actor: Actor, ref: RepoRef, a: Omit<ChangeAudit, 'name'>): Promise<void> {
    return recordChange(this.#audit, tx, actor, ref.project.tenant, { ...a, name: ref.repository, detail: { project: ref.project.name, repository: ref.repository, ...a.detail } });
  }
}
