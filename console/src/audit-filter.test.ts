import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exportFileName, toAuditFilter } from './audit-filter.ts';

test('toAuditFilter trims text, drops blanks and writes times in UTC', () => {
  assert.deepEqual(toAuditFilter({}), {});
  assert.deepEqual(toAuditFilter({ actor: '  ', tenant: '', resource: undefined }), {});
  assert.deepEqual(
    toAuditFilter({
      actor: ' admin ', resource: 'tokens', action: 'create', outcome: 'success',
      since: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), until: null,
    }),
    { actor: 'admin', resource: 'tokens', action: 'create', outcome: 'success', since: '2024-01-02T03:04:05.000Z' },
  );
  assert.deepEqual(toAuditFilter({ until: new Date(Date.UTC(2024, 11, 31)) }), { until: '2024-12-31T00:00:00.000Z' });
});

test('toAuditFilter refuses a range that ends before it starts', () => {
  assert.throws(
    () => toAuditFilter({ since: new Date(Date.UTC(2024, 1, 1)), until: new Date(Date.UTC(2024, 0, 1)) }),
    RangeError,
  );
});

test('exportFileName stamps the UTC time and the format', () => {
  const now = new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 678));
  assert.equal(exportFileName('csv', now), 'berth-audit-20240102T030405Z.csv');
  assert.equal(exportFileName('jsonl', now), 'berth-audit-20240102T030405Z.jsonl');
});
