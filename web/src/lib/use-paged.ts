/** A cursor-paged list: the current page's rows, with next/previous driven by lib/paging.ts. */
import { type DependencyList, useState } from "react";
import type { PageOf } from "../api/types";
import {
  currentCursor,
  firstPage,
  hasPrevious,
  nextPage,
  type Paging,
  pageNumber,
  previousPage,
} from "./paging";
import { type AsyncState, useAsync } from "./use-async";

export interface PagedState<T> extends AsyncState<PageOf<T>> {
  page: number;
  hasNext: boolean;
  hasPrev: boolean;
  next(): void;
  prev(): void;
}

/** `deps` are the filters: when they change, paging starts again at the first page. */
export function usePaged<T>(
  fetchPage: (cursor: string | null) => Promise<PageOf<T>>,
  deps: DependencyList,
): PagedState<T> {
  const key = JSON.stringify(deps);
  const [held, setHeld] = useState<{ key: string; paging: Paging }>(() => ({ key, paging: firstPage() }));
  // Paging held for other filters is void: this render already asks for the first page of the new ones.
  const paging = held.key === key ? held.paging : firstPage();
  const cursor = currentCursor(paging);
  const state = useAsync(() => fetchPage(cursor), [cursor, key, ...deps]);
  const nextCursor = state.data?.next_cursor ?? null;
  return {
    ...state,
    page: pageNumber(paging),
    hasNext: nextCursor !== null && !state.loading,
    hasPrev: hasPrevious(paging),
    next: () => setHeld({ key, paging: nextPage(paging, nextCursor) }),
    prev: () => setHeld({ key, paging: previousPage(paging) }),
  };
}
