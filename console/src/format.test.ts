import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatTime, tokenState } from './format.ts';

test('formatTime writes local time and falls back for missing or bad values', () => {
  const d = new Date(2024, 0, 2, 3, 4, 5);
  assert.equal(formatTime(d.toISOString()), '2024-01-02 03:04:05');
  assert.equal(formatTime(undefined), '—');
  assert.equal(formatTime('', 'never'), 'never');
  assert.equal(formatTime('not a date', 'never'), 'never');
});

test('tokenState: revoked wins, then expired, else active', () => {
  const now = new Date('2024-06-01T00:00:00Z');
  assert.equal(tokenState({ revoked: true, expiresAt: '2030-01-01T00:00:00Z' }, now), 'revoked');
  assert.equal(tokenState({ revoked: true, expiresAt: '2020-01-01T00:00:00Z' }, now), 'revoked');
  assert.equal(tokenState({ revoked: false, expiresAt: '2024-06-01T00:00:00Z' }, now), 'expired');
  assert.equal(tokenState({ revoked: false, expiresAt: '2024-06-01T00:00:01Z' }, now), 'active');
});
