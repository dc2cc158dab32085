import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { labelSelectorAsSelector, LabelSelectorError, type LabelSelector } from './labels.ts';

describe('labelSelectorAsSelector matching', () => {
  const labels = { app: 'web', tier: 'front', 'example.com/team': 'a' };
  const cases: ReadonlyArray<{ name: string; selector: LabelSelector | null | undefined; set?: Record<string, string>; want: boolean }> = [
    { name: 'nil selects nothing', selector: undefined, want: false },
    { name: 'null selects nothing', selector: null, want: false },
    { name: 'empty selects everything', selector: {}, want: true },
    { name: 'empty selects an unlabelled object', selector: {}, set: {}, want: true },
    { name: 'matchLabels equal', selector: { matchLabels: { app: 'web' } }, want: true },
    { name: 'matchLabels differ', selector: { matchLabels: { app: 'db' } }, want: false },
    { name: 'prefixed key', selector: { matchLabels: { 'example.com/team': 'a' } }, want: true },
    { name: 'In hit', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, want: true },
    { name: 'In miss', selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] }, want: false },
    { name: 'In on a missing key', selector: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['x'] }] }, want: false },
    { name: 'NotIn on a missing key matches', selector: { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['x'] }] }, want: true },
    { name: 'NotIn hit excludes', selector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] }, want: false },
    { name: 'Exists', selector: { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, want: true },
    { name: 'DoesNotExist', selector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, want: false },
    {
      name: 'all requirements must hold',
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['back'] }] },
      want: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(labelSelectorAsSelector(c.selector).matches(c.set ?? labels), c.want));
  }
});

describe('labelSelectorAsSelector validation', () => {
  const cases: ReadonlyArray<{ name: string; selector: LabelSelector; message: RegExp }> = [
    { name: 'unknown operator', selector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] }, message: /"Equals" is not a valid label selector operator/ },
    { name: 'In without values', selector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }, message: /values set can't be empty/ },
    { name: 'Exists with values', selector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, message: /values set must be empty for exists and does not exist/ },
    { name: 'bad key', selector: { matchLabels: { '-bad': 'x' } }, message: /key: Invalid value: "-bad"/ },
    { name: 'bad prefix', selector: { matchLabels: { 'Upper.com/x': 'x' } }, message: /prefix part/ },
    { name: 'bad value', selector: { matchLabels: { a: 'has space' } }, message: /Invalid value: "has space"/ },
    { name: 'value too long', selector: { matchLabels: { a: 'x'.repeat(64) } }, message: /no more than 63 characters/ },
  ];
  for (const c of cases) {
    it(c.name, () => assert.throws(() => labelSelectorAsSelector(c.selector), (e: unknown) => e instanceof LabelSelectorError && c.message.test(e.message)));
  }
});
