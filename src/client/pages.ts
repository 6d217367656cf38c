/** Cursor pagination: every item of every page, fetched one page at a time as the caller iterates. */
import type { Page } from "./types.js";

/** Yields the items of `fetchPage(undefined)`, then of each `next_cursor` in turn, until there is none. */
export async function* paginate<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}
