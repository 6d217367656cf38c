// A small least-recently-used cache on top of Map's insertion order.

export class LruCache<K, V> {
  private readonly map = new Map<K, V>();

  /** maxSize 0 disables the cache: get always misses and set stores nothing. */
  constructor(readonly maxSize: number) {
    if (!Number.isInteger(maxSize) || maxSize < 0)
      throw new RangeError(`LRU size must be a non-negative integer, got ${maxSize}`);
  }

  get size(): number {
    return this.map.size;
  }

  get(key: K): V | undefined {
    if (!this.map.has(key)) return undefined;
    const value = this.map.get(key) as V;
    // Re-insert so the key becomes the most recently used (Map iterates oldest first).
    this.map.delete(key);
    this.map.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    if (this.maxSize === 0) return;
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.maxSize) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      this.map.delete(oldest.value);
    }
  }

  delete(key: K): boolean {
    return this.map.delete(key);
  }

  clear(): void {
    this.map.clear();
  }
}
