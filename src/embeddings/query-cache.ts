// Query-vector cache for embedQuery: an LRU keyed by exact text, plus sharing of in-flight computations.
import { LruCache } from "./lru.js";

export class QueryCache {
  hits = 0;
  misses = 0;
  private readonly lru: LruCache<string, number[]>;
  /** Identical queries arriving while the first is still being embedded share its result instead of re-embedding. */
  private readonly inFlight = new Map<string, Promise<number[]>>();

  constructor(size: number) {
    this.lru = new LruCache(size);
  }

  get(text: string, compute: (text: string) => Promise<number[]>): Promise<number[]> {
    const cached = this.lru.get(text);
    if (cached) {
      this.hits++;
      // A copy, so a caller mutating its vector cannot corrupt the cache.
      return Promise.resolve(cached.slice());
    }
    if (this.lru.maxSize === 0) {
      this.misses++;
      return compute(text);
    }
    const pending = this.inFlight.get(text);
    if (pending) {
      this.hits++;
      return pending.then((v) => v.slice());
    }
    this.misses++;
    const promise = compute(text).then(
      (v) => {
        this.inFlight.delete(text);
        this.lru.set(text, v);
        return v;
      },
      (err: unknown) => {
        this.inFlight.delete(text);
        throw err;
      },
    );
    this.inFlight.set(text, promise);
    return promise.then((v) => v.slice());
  }

  clear(): void {
    this.lru.clear();
  }
}
