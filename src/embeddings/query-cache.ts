// Query-vector cache for embedQuery: an LRU keyed by scope (user) and text, plus sharing of in-flight computations.
import { LruCache } from "./lru.js";

/**
 * One LRU for all scopes, but an entry is found only by the scope that stored it, and only queries of the same scope
 * share an in-flight computation: a text another user searched a moment ago costs a full embedding, exactly like a
 * text nobody searched, so response times say nothing about other users' searches (issue #9, item 3). The capacity
 * is shared: a user's searches can evict another's entries (a slower repeat for them), so a user timing their own
 * repeats could tell that others search a lot, never what they search.
 */
export class QueryCache {
  hits = 0;
  misses = 0;
  private readonly lru: LruCache<string, number[]>;
  /** Identical queries of one scope arriving while the first is still being embedded share its result. */
  private readonly inFlight = new Map<string, Promise<number[]>>();

  constructor(size: number) {
    this.lru = new LruCache(size);
  }

  get(scope: string, text: string, compute: (text: string) => Promise<number[]>): Promise<number[]> {
    const key = cacheKey(scope, text);
    const cached = this.lru.get(key);
    if (cached) {
      this.hits++;
      // A copy, so a caller mutating its vector cannot corrupt the cache.
      return Promise.resolve(cached.slice());
    }
    if (this.lru.maxSize === 0) {
      this.misses++;
      return compute(text);
    }
    const pending = this.inFlight.get(key);
    if (pending) {
      this.hits++;
      return pending.then((v) => v.slice());
    }
    this.misses++;
    const promise = compute(text).then(
      (v) => {
        this.inFlight.delete(key);
        this.lru.set(key, v);
        return v;
      },
      (err: unknown) => {
        this.inFlight.delete(key);
        throw err;
      },
    );
    this.inFlight.set(key, promise);
    return promise.then((v) => v.slice());
  }

  clear(): void {
    this.lru.clear();
  }
}

/** Unambiguous for any two strings: the scope's length comes first, so no scope/text split can collide with another. */
function cacheKey(scope: string, text: string): string {
  return `${scope.length}:${scope}\n${text}`;
}
