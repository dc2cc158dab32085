// `limit` and `continue` for list endpoints: the continue token is opaque to clients.
import { BerthError } from '../errors.ts';

/** Encodes a position as an opaque continue token. */
export function encodeContinue(position: string | number): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
}

/**
 * Decodes a continue token of a list whose positions are of type `kind` (names are strings,
 * sequence numbers whole numbers); `undefined` for none. Throws BadRequest naming the
 * `continue` parameter for a token that is not one this list hands out.
 */
export function decodeContinue(token: string | undefined, kind: 'string'): string | undefined;
export function decodeContinue(token: string | undefined, kind: 'number'): number | undefined;
export function decodeContinue(token: string | undefined, kind: 'string' | 'number'): string | number | undefined {
  if (!token) return undefined;
  let p: unknown;
  try {
    p = (JSON.parse(Buffer.from(token, 'base64url').toString()) as { p?: unknown } | null)?.p;
  } catch {
    // not even JSON: the same refusal as a token of the wrong shape
  }
  if (kind === 'string' && typeof p === 'string') return p;
  if (kind === 'number' && typeof p === 'number' && Number.isSafeInteger(p) && p >= 0) return p;
  throw new BerthError('BadRequest', 'invalid continue token: continue key is not valid; list again without it to start from the beginning', {
    causes: [{ field: 'continue', reason: 'FieldValueInvalid', message: 'continue key is not valid: it is not a token this list handed out' }],
  });
}

/** JSON schema of the list query parameters, for route schemas. */
export const listQuerySchema = {
  limit: { type: 'string', pattern: '^[1-9][0-9]{0,3}$', description: 'page size, 1 to 9999 (default 100)' },
  continue: { type: 'string', maxLength: 200, description: 'token from the previous page' },
} as const;

/** The page size asked for, bounded. */
export function pageSize(limit: string | undefined, max = 1000): number {
  return Math.min(max, limit ? Number(limit) : 100);
}
