// The bytes stored by projects and tenants, as the storage-quota bound reads them on every
// chunk and every finished upload: summing a project's blobs each time costs a scan of its
// links. Values are cached briefly and forgotten at once when this process changes them; a
// change made on another replica reaches this one within the cache's lifetime.
import { LRUCache } from 'lru-cache';

/** Whose usage a value is. */
export type UsageOwner = { readonly project: string } | { readonly tenant: string };

/** Cached storage usage. One per server, shared by the services that link and unlink blobs. */
export class UsageCache {
  readonly #bytes: LRUCache<string, number>;
  // Bumped by every forget: a value loaded across a forget may predate the change, so it is
  // returned but not kept.
  #generation = 0;

  /** `ttlMs` bounds how stale a value may be; `now` (ms) is the clock it is measured with. */
  constructor(o: { ttlMs: number; max?: number; now?: () => number }) {
    // An injected clock is read on every lookup: lru-cache would otherwise keep one reading for a millisecond of real time.
    const clock = o.now ? { perf: { now: o.now }, ttlResolution: 0 } : {};
    this.#bytes = new LRUCache({ max: o.max ?? 10_000, ttl: o.ttlMs, ...clock });
  }

  /** The bytes `owner` stores: the cached value, or what `load` reads (kept unless forgotten meanwhile). */
  async bytes(owner: UsageOwner, load: () => Promise<number>): Promise<number> {
    const key = keyOf(owner);
    const hit = this.#bytes.get(key);
    if (hit !== undefined) return hit;
    const generation = this.#generation;
    const value = await load();
    if (generation === this.#generation) this.#bytes.set(key, value);
    return value;
  }

  /** Forgets the usage of `project` and of its tenant (`''`: none): one of its blobs was linked or unlinked. */
  forget(project: string, tenant: string): void {
    this.#generation++;
    this.#bytes.delete(keyOf({ project }));
    if (tenant) this.#bytes.delete(keyOf({ tenant }));
  }

  /** Forgets every value: links went in bulk (a collection, a repository deleted). */
  clear(): void {
    this.#generation++;
    this.#bytes.clear();
  }
}

function keyOf(owner: UsageOwner): string {
  return 'project' in owner ? `project\0${owner.project}` : `tenant\0${owner.tenant}`;
}
