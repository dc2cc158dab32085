// One namespace's quota usage kept up to date object by object, so that an admission decision
// reads a sum instead of counting every object of the namespace again after each change (a
// namespace of thousands of pods changes many times a second under load). The counting itself is
// the compute core's (namespaceUsage); a namespace's usage is the sum of what each object uses,
// which is what the quota controller's CalculateUsage adds up, so adding and subtracting one
// object at a time gives the same totals as counting from scratch. Pure: no I/O.
import { namespaceUsage, sumUsage, type EvaluatorRegistry } from '../compute/index.ts';
import { subtractLists } from '../compute/resource-list.ts';
import type { KubeObject, ResourceList } from '../objects/index.ts';

/** Sets of hard names a ledger keeps totals for at once; a tenant's quota has one, a change of its names another. */
const MAX_NAME_SETS = 4;

/** An object as the ledger holds it: its raw form, decoded on first use (undefined until then, null when it cannot be). */
interface Entry<R> {
  readonly raw: R;
  decoded: KubeObject | null | undefined;
  /** What the object uses, by name-set key. */
  readonly usage: Map<string, ResourceList>;
}

/** A name set's running total. */
interface Total {
  readonly names: ResourceList;
  total: ResourceList;
}

/**
 * The objects of one namespace and their usage of each set of hard names asked about. `R` is
 * the raw object type; `decode` turns one into a KubeObject (throwing for one that cannot be:
 * it then counts for nothing and `onError` hears of it once).
 */
export class UsageLedger<R> {
  readonly #registry: EvaluatorRegistry;
  readonly #decode: (raw: R) => KubeObject;
  readonly #onError: ((err: unknown) => void) | undefined;
  readonly #entries = new Map<string, Entry<R>>();
  /** Running totals by name-set key, oldest first (Map order). */
  readonly #totals = new Map<string, Total>();

  constructor(registry: EvaluatorRegistry, decode: (raw: R) => KubeObject, onError?: (err: unknown) => void) {
    this.#registry = registry;
    this.#decode = decode;
    this.#onError = onError;
  }

  /** The object held under `key`, if any. */
  get(key: string): R | undefined {
    return this.#entries.get(key)?.raw;
  }

  /** How many objects are held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Holds `raw` under `key`, replacing what was there; the totals follow. */
  put(key: string, raw: R): void {
    const old = this.#entries.get(key);
    const entry: Entry<R> = { raw, decoded: undefined, usage: new Map() };
    this.#entries.set(key, entry);
    for (const [k, t] of this.#totals) {
      const without = old === undefined ? t.total : subtractLists(t.total, this.#usageOf(old, k, t.names));
      t.total = sumUsage([without, this.#usageOf(entry, k, t.names)]);
    }
  }

  /** Drops the object under `key`; returns whether there was one. The totals follow. */
  delete(key: string): boolean {
    const old = this.#entries.get(key);
    if (old === undefined) return false;
    this.#entries.delete(key);
    for (const [k, t] of this.#totals) t.total = subtractLists(t.total, this.#usageOf(old, k, t.names));
    return true;
  }

  /**
   * What the objects held use of the names in `hard` (its quantities do not matter): zero for
   * each name the evaluators can measure, as namespaceUsage counts. The first call for a set of
   * names counts every object; later ones read the running total.
   */
  usage(hard: ResourceList): ResourceList {
    const k = Object.keys(hard).sort().join(',');
    const hit = this.#totals.get(k);
    if (hit !== undefined) return hit.total;
    if (this.#totals.size >= MAX_NAME_SETS) this.#forget(this.#totals.keys().next().value as string);
    const total = sumUsage([namespaceUsage(this.#registry, hard, []), ...[...this.#entries.values()].map((e) => this.#usageOf(e, k, hard))]);
    this.#totals.set(k, { names: hard, total });
    return total;
  }

  #forget(k: string): void {
    this.#totals.delete(k);
    for (const e of this.#entries.values()) e.usage.delete(k);
  }

  #usageOf(e: Entry<R>, k: string, names: ResourceList): ResourceList {
    let u = e.usage.get(k);
    if (u !== undefined) return u;
    if (e.decoded === undefined) {
      try {
        e.decoded = this.#decode(e.raw);
      } catch (err) {
        e.decoded = null;
        this.#onError?.(err);
      }
    }
    u = e.decoded === null ? {} : namespaceUsage(this.#registry, names, [e.decoded]);
    e.usage.set(k, u);
    return u;
  }
}
