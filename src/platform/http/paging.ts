// `limit` and `continue` for list endpoints: the continue token is opaque to clients.

/** Encodes a position as an opaque continue token. */
export function encodeContinue(position: string | number): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
}

/** Decodes a continue token; `undefined` for none; throws on a token that is not one of ours. */
export function decodeContinue(token: string | undefined): string | number | undefined {
  if (!token) return undefined;
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString()) as { p?: unknown };
    if (typeof v.p === 'string' || typeof v.p === 'number') return v.p;
  } catch {
    // fall through to the error below
  }
  throw Object.assign(new Error('continue: the continue token is not valid'), { statusCode: 400 });
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
