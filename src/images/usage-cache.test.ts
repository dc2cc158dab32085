import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageCache } from './usage-cache.ts';

/** A loader that answers `value` and counts its calls. */
function loader(value: number): { load: () => Promise<number>; calls: () => number } {
  let n = 0;
  return { load: async () => { n++; return value; }, calls: () => n };
}

test('usage is read once, then served from the cache until it expires', async () => {
  let ms = 1_000_000;
  const cache = new UsageCache({ ttlMs: 1000, now: () => ms });
  const l = loader(42);
  assert.equal(await cache.bytes({ project: 'p' }, l.load), 42);
  assert.equal(await cache.bytes({ project: 'p' }, l.load), 42);
  assert.equal(l.calls(), 1);
  ms += 1001;
  assert.equal(await cache.bytes({ project: 'p' }, l.load), 42);
  assert.equal(l.calls(), 2, 'read again once expired');
});

test('forget drops the project and its tenant, not others; clear drops all', async () => {
  const cache = new UsageCache({ ttlMs: 60_000 });
  const owners = [{ project: 'p' }, { tenant: 't' }, { project: 'q' }, { tenant: 'u' }] as const;
  const loads = owners.map(() => loader(1));
  const read = async () => { for (const [i, o] of owners.entries()) await cache.bytes(o, loads[i].load); };
  await read();
  cache.forget('p', 't');
  await read();
  assert.deepEqual(loads.map((l) => l.calls()), [2, 2, 1, 1]);
  cache.forget('q', '');
  await read();
  assert.deepEqual(loads.map((l) => l.calls()), [2, 2, 2, 1], 'a project without a tenant forgets no tenant');
  cache.clear();
  await read();
  assert.deepEqual(loads.map((l) => l.calls()), [3, 3, 3, 2]);
});

test('a value read across a forget is returned but not kept: it may predate the change', async () => {
  const cache = new UsageCache({ ttlMs: 60_000 });
  let release: (v: number) => void = () => {};
  const slow = cache.bytes({ project: 'p' }, () => new Promise<number>((r) => { release = r; }));
  cache.forget('p', '');
  release(10);
  assert.equal(await slow, 10);
  const fresh = loader(20);
  assert.equal(await cache.bytes({ project: 'p' }, fresh.load), 20);
  assert.equal(fresh.calls(), 1);
});

test('a value read across a clear is returned but not kept either', async () => {
  const cache = new UsageCache({ ttlMs: 60_000 });
  let release: (v: number) => void = () => {};
  const slow = cache.bytes({ tenant: 't' }, () => new Promise<number>((r) => { release = r; }));
  cache.clear();
  release(10);
  assert.equal(await slow, 10);
  const fresh = loader(20);
  assert.equal(await cache.bytes({ tenant: 't' }, fresh.load), 20);
  assert.equal(fresh.calls(), 1);
});
