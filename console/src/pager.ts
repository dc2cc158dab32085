// Cursor pagination over `limit`/`continue` lists, as a value: the stack of continue tokens that
// led to the current page. Pure; the pages keep it in React state.

/** Position in a cursor-paginated list; `stack` holds the token of each page after the first. */
export interface Pager {
  readonly stack: readonly string[];
}

/** The first page. */
export const firstPage: Pager = { stack: [] };

/** The continue token to send for the current page (undefined on the first). */
export function currentToken(pager: Pager): string | undefined {
  return pager.stack.at(-1);
}

/** The page after the current one, reached through the token the server returned. */
export function nextPage(pager: Pager, token: string): Pager {
  return { stack: [...pager.stack, token] };
}

/** The page before the current one; the first page stays where it is. */
export function previousPage(pager: Pager): Pager {
  return { stack: pager.stack.slice(0, -1) };
}

/** 1-based number of the current page. */
export function pageNumber(pager: Pager): number {
  return pager.stack.length + 1;
}
