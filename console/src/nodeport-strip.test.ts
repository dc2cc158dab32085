import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StripRun } from '../../src/tenancy/index.ts';
import { segmentPorts, stripSegments } from './nodeport-strip.ts';

const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const close = (a: number, b: number) => Math.abs(a - b) < 1e-9;

test('stripSegments: widths proportional to the runs, floored small runs, always 100 in total', () => {
  const cases: readonly [string, StripRun[], number, number[]][] = [
    ['one free run', [{ from: 30000, to: 32767, state: 'free' }], 0.5, [100]],
    ['halves', [{ from: 1, to: 5, state: 'free' }, { from: 6, to: 10, state: 'reserved' }], 0.5, [50, 50]],
    ['no floor', [{ from: 1, to: 999, state: 'free' }, { from: 1000, to: 1000, state: 'used' }], 0, [99.9, 0.1]],
    // 0.1% grows to 1%; the big run gives up the 0.9 it has above the floor.
    ['a single port is floored', [{ from: 1, to: 999, state: 'free' }, { from: 1000, to: 1000, state: 'used' }], 1, [99, 1]],
    ['the floor comes from the large ones by share', [
      { from: 1, to: 600, state: 'free' }, { from: 601, to: 601, state: 'conflict' }, { from: 602, to: 1000, state: 'allocated' },
    ], 5, [600 / 10 - (55 / (55 + 34.9)) * 4.9, 5, 39.9 - (34.9 / (55 + 34.9)) * 4.9]],
    ['more runs than the floor allows: plain proportions', [
      { from: 1, to: 1, state: 'free' }, { from: 2, to: 2, state: 'used' }, { from: 3, to: 4, state: 'reserved' },
    ], 40, [25, 25, 50]],
  ];
  for (const [name, runs, min, want] of cases) {
    const got = stripSegments(runs, min).map((s) => s.percent);
    assert.equal(got.length, want.length, name);
    got.forEach((g, i) => assert.ok(close(g, want[i]), `${name}: segment ${i} is ${g}, want ${want[i]}`));
    assert.ok(close(sum(got), 100), `${name}: total ${sum(got)}`);
  }
});

test('stripSegments keeps ports, state and count, and draws nothing for an empty strip', () => {
  assert.deepEqual(stripSegments([{ from: 30000, to: 30009, state: 'reserved' }]), [{ from: 30000, to: 30009, state: 'reserved', count: 10, percent: 100 }]);
  assert.deepEqual(stripSegments([]), []);
});

test('segmentPorts writes one port or a span', () => {
  const cases: readonly [number, number, string][] = [[30080, 30080, '30080'], [30080, 30090, '30080-30090']];
  for (const [from, to, want] of cases) assert.equal(segmentPorts({ from, to }), want);
});
