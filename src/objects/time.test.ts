import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTimestamp } from './time.ts';

describe('parseTimestamp (metav1.Time, RFC 3339)', () => {
  const cases: readonly (readonly [string, number | undefined])[] = [
    ['2024-01-01T00:00:00Z', Date.UTC(2024, 0, 1)],
    ['2024-01-01T02:00:00+02:00', Date.UTC(2024, 0, 1)],
    ['2023-12-31T19:30:00-04:30', Date.UTC(2024, 0, 1)],
    ['2024-01-01T00:00:00.123456789Z', Date.UTC(2024, 0, 1) + 123],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
    ['1960-01-01T00:00:00Z', Date.UTC(1960, 0, 1)],
    ['2023-02-29T00:00:00Z', undefined],
    ['2024-04-31T00:00:00Z', undefined],
    ['2024-13-01T00:00:00Z', undefined],
    ['2024-01-00T00:00:00Z', undefined],
    ['2024-01-01T24:00:00Z', undefined],
    ['2024-01-01T00:60:00Z', undefined],
    ['2024-01-01T00:00:60Z', undefined],
    ['2024-01-01T00:00:00+24:00', undefined],
    ['2024-01-01T00:00:00', undefined],
    ['2024-01-01 00:00:00Z', undefined],
    ['2024-01-01', undefined],
    ['Mon, 01 Jan 2024 00:00:00 GMT', undefined],
    ['', undefined],
  ];
  for (const [text, want] of cases) {
    it(JSON.stringify(text), () => assert.equal(parseTimestamp(text), want));
  }
});
