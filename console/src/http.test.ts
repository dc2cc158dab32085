import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, fileNameFromDisposition, toApiError, toQuery } from './http.ts';

test('toQuery drops unset and blank values and encodes the rest', () => {
  const cases: readonly [Record<string, string | number | undefined | null>, string][] = [
    [{}, ''],
    [{ a: undefined, b: null, c: '', d: '  ' }, ''],
    [{ limit: 50 }, '?limit=50'],
    [{ actor: 'alice', continue: undefined, limit: 20 }, '?actor=alice&limit=20'],
    [{ since: '2024-01-02T03:04:05.000Z' }, '?since=2024-01-02T03%3A04%3A05.000Z'],
    [{ name: ' a b&c ' }, '?name=a+b%26c'],
  ];
  for (const [input, want] of cases) assert.equal(toQuery(input), want, JSON.stringify(input));
});

test('toApiError takes message, reason and causes from a Kubernetes Status', () => {
  const body = JSON.stringify({
    kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 422, reason: 'Invalid',
    message: 'User "Bad" is invalid: name: must be a DNS-1123 label',
    details: { causes: [{ field: 'name', message: 'must be a DNS-1123 label', reason: 'FieldValueInvalid' }] },
  });
  const err = toApiError(422, 'Unprocessable Entity', body);
  assert.ok(err instanceof ApiError);
  assert.equal(err.message, 'User "Bad" is invalid: name: must be a DNS-1123 label');
  assert.equal(err.reason, 'Invalid');
  assert.equal(err.code, 422);
  assert.deepEqual(err.causes, [{ field: 'name', message: 'must be a DNS-1123 label', reason: 'FieldValueInvalid' }]);
  assert.equal(err.retryAfter, undefined);
});

test('toApiError reads Retry-After seconds and ignores an HTTP-date', () => {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 429, reason: 'TooManyRequests', message: 'locked out' });
  assert.equal(toApiError(429, 'Too Many Requests', body, '30').retryAfter, 30);
  assert.equal(toApiError(429, 'Too Many Requests', body, 'Wed, 21 Oct 2015 07:28:00 GMT').retryAfter, undefined);
});

test('toApiError falls back to the HTTP status when the body is not a Status', () => {
  assert.equal(toApiError(502, 'Bad Gateway', '<html>bad gateway</html>').message, '502 Bad Gateway');
  assert.equal(toApiError(500, '', '').message, 'HTTP 500');
  assert.equal(toApiError(404, 'Not Found', '{"kind":"Pod"}').message, '404 Not Found');
});

test('fileNameFromDisposition reads filename* and filename, else the fallback', () => {
  assert.equal(fileNameFromDisposition('attachment; filename="audit.csv"', 'x'), 'audit.csv');
  assert.equal(fileNameFromDisposition('attachment; filename=audit.jsonl', 'x'), 'audit.jsonl');
  assert.equal(fileNameFromDisposition("attachment; filename*=UTF-8''%E5%AE%A1%E8%AE%A1.csv; filename=\"a.csv\"", 'x'), '审计.csv');
  assert.equal(fileNameFromDisposition('attachment', 'fallback.csv'), 'fallback.csv');
  assert.equal(fileNameFromDisposition(null, 'fallback.csv'), 'fallback.csv');
});
