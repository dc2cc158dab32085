// From the audit page's filter form to the query the API takes. Pure.
import type { AuditFilter } from './model.ts';

/** What the audit filter form holds; blank text means "any". */
export interface AuditFilterInput {
  readonly actor?: string;
  readonly tenant?: string;
  readonly resource?: string;
  readonly action?: string;
  readonly outcome?: string;
  readonly since?: Date | null;
  readonly until?: Date | null;
}

/**
 * Trims the text filters and drops blank ones; times become UTC ISO 8601.
 * Throws RangeError when `since` is after `until`, which no record could match.
 */
export function toAuditFilter(input: AuditFilterInput): AuditFilter {
  if (input.since && input.until && input.since.getTime() > input.until.getTime()) {
    throw new RangeError('the start of the time range is after its end');
  }
  const out: Record<string, string> = {};
  for (const key of ['actor', 'tenant', 'resource', 'action', 'outcome'] as const) {
    const value = input[key]?.trim();
    if (value) out[key] = value;
  }
  if (input.since) out.since = input.since.toISOString();
  if (input.until) out.until = input.until.toISOString();
  return out;
}

/** A file name for an export made at `now`: `berth-audit-20240102T030405Z.csv`. */
export function exportFileName(format: 'jsonl' | 'csv', now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
  return `berth-audit-${stamp}.${format}`;
}
