// Maps every error to one HTTP answer in the Kubernetes `Status` shape, once.
import type { FastifyError } from 'fastify';
import { BerthError, reasons, type Cause, type Reason } from '../errors.ts';
import { isUnavailableError } from '../db/database.ts';

/** The Kubernetes `Status` object the API answers errors with. */
export interface Status {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: Reason;
  readonly code: number;
  readonly details?: { readonly name?: string; readonly kind?: string; readonly causes?: readonly Cause[]; readonly retryAfterSeconds?: number };
}

/** Builds a Status body. */
export function status(reason: Reason, message: string, details?: Status['details'], code: number = reasons[reason]): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code, ...(details ? { details } : {}) };
}

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

function fieldOf(context: string | undefined, e: AjvError): string {
  const path = e.instancePath.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
  let field = path.replace(/^\./, '');
  if (e.keyword === 'required') field = [field, String(e.params.missingProperty)].filter(Boolean).join('.');
  if (e.keyword === 'additionalProperties') field = [field, String(e.params.additionalProperty)].filter(Boolean).join('.');
  return context === 'body' || !context ? field || '<body>' : `${context}.${field}`;
}

function causesOf(err: FastifyError & { validation?: AjvError[]; validationContext?: string }): Cause[] {
  return (err.validation ?? []).map((e) => {
    const field = fieldOf(err.validationContext, e);
    if (e.keyword === 'additionalProperties') return { field, reason: 'FieldValueNotSupported', message: 'unknown field' };
    if (e.keyword === 'required') return { field, reason: 'FieldValueRequired', message: 'Required value' };
    return { field, reason: 'FieldValueInvalid', message: e.message ?? 'invalid value' };
  });
}

/** The Status for any thrown value; unexpected errors become a 500 with no internals shown. */
export function toStatus(err: unknown): { status: Status; retryAfter?: number; unexpected: boolean } {
  if (err instanceof BerthError) {
    const details = err.causes.length || err.kind || err.objectName || err.retryAfter
      ? { ...(err.objectName ? { name: err.objectName } : {}), ...(err.kind ? { kind: err.kind } : {}), ...(err.causes.length ? { causes: err.causes } : {}), ...(err.retryAfter ? { retryAfterSeconds: err.retryAfter } : {}) }
      : undefined;
    return { status: status(err.reason, err.message, details), retryAfter: err.retryAfter, unexpected: false };
  }
  if (isUnavailableError(err)) {
    return { status: status('ServiceUnavailable', 'the database is not reachable; try again shortly', { retryAfterSeconds: 1 }), retryAfter: 1, unexpected: false };
  }
  const fe = err as FastifyError & { validation?: AjvError[]; validationContext?: string };
  if (fe.validation) {
    const causes = causesOf(fe);
    const msg = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
    return { status: status('Invalid', `the request is invalid: ${msg}`, { causes }), unexpected: false };
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: status('RequestEntityTooLarge', 'the request body is larger than the limit'), unexpected: false };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { status: status('UnsupportedMediaType', `unsupported content type; send application/json`), unexpected: false };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: status('BadRequest', 'the request body is empty; send a JSON object'), unexpected: false };
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: status('BadRequest', `the request body is not valid JSON: ${fe.message}`), unexpected: false };
  }
  if (fe instanceof SyntaxError || fe.statusCode === 400) {
    return { status: status('BadRequest', `the request body is not valid JSON: ${fe.message}`), unexpected: false };
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const reason = (Object.keys(reasons) as Reason[]).find((r) => reasons[r] === fe.statusCode) ?? 'BadRequest';
    return { status: status(reason, fe.message, undefined, fe.statusCode), unexpected: false };
  }
  return { status: status('InternalError', 'an internal error occurred; the server log has the details'), unexpected: true };
}
