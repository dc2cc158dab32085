import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { judgeBody, type BodyProgress } from './slow-clients.ts';

const t = { headers: 30, request: 60, body: 30, bodyMinRate: 1024, keepAlive: 72, idle: 300 };

describe('judgeBody: a body must keep a minimum rate over each window, and a small one its deadline', () => {
  const cases: { name: string; p: BodyProgress; ok: boolean; reason?: RegExp }[] = [
    { name: 'a window not yet over', p: { now: 29_999, windowStart: 0, windowBytes: 0 }, ok: true },
    { name: 'a window with no byte', p: { now: 30_000, windowStart: 0, windowBytes: 0 }, ok: false, reason: /slower than 1024 bytes\/s over 30 s/ },
    { name: 'one byte short of the rate', p: { now: 30_000, windowStart: 0, windowBytes: 30 * 1024 - 1 }, ok: false },
    { name: 'exactly the rate', p: { now: 30_000, windowStart: 0, windowBytes: 30 * 1024 }, ok: true },
    { name: 'a fast body past its window', p: { now: 45_000, windowStart: 10_000, windowBytes: 1e9 }, ok: true },
    { name: 'a small body before its deadline', p: { now: 59_000, windowStart: 50_000, windowBytes: 10, deadline: 60_000 }, ok: true },
    { name: 'a small body past its deadline, at a good rate', p: { now: 60_001, windowStart: 50_000, windowBytes: 1e6, deadline: 60_000 }, ok: false, reason: /within 60 s/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = judgeBody(c.p, t);
      assert.equal(v.ok, c.ok);
      if (!v.ok && c.reason) assert.match(v.reason, c.reason);
    });
  }
  it('asks for at least one byte a window when the minimum rate rounds to nothing', () => {
    assert.equal(judgeBody({ now: 1000, windowStart: 0, windowBytes: 0 }, { ...t, body: 1, bodyMinRate: 0.1 }).ok, false);
    assert.equal(judgeBody({ now: 1000, windowStart: 0, windowBytes: 1 }, { ...t, body: 1, bodyMinRate: 0.1 }).ok, true);
  });
});
