/**
 * Cursor paging as a stack of the cursors that opened each page visited: the API pages forward only, so going
 * back means re-asking with the cursor that opened the previous page.
 */
export interface Paging {
  /** stack[0] is null (the first page); the last entry opened the current page. */
  readonly stack: ReadonlyArray<string | null>;
}

export const firstPage = (): Paging => ({ stack: [null] });

export const currentCursor = (p: Paging): string | null => p.stack[p.stack.length - 1] ?? null;

/** 1-based number of the current page. */
export const pageNumber = (p: Paging): number => p.stack.length;

export const hasPrevious = (p: Paging): boolean => p.stack.length > 1;

/** The page after the current one; unchanged when the API said there is none (`next_cursor: null`). */
export function nextPage(p: Paging, nextCursor: string | null): Paging {
  if (!nextCursor || p.stack.includes(nextCursor)) return p;
  return { stack: [...p.stack, nextCursor] };
}

export function previousPage(p: Paging): Paging {
  return hasPrevious(p) ? { stack: p.stack.slice(0, -1) } : p;
}
