// Unit tests for the LRU cache and the query cache built on it.
import { describe, expect, it } from "vitest";
import { LruCache } from "../src/embeddings/lru.js";
import { QueryCache } from "../src/embeddings/query-cache.js";

describe("LruCache", () => {
  it("evicts the least recently used entry, where get counts as use", () => {
    const lru = new LruCache<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    expect(lru.get("a")).toBe(1);
    lru.set("c", 3);
    expect(lru.get("b")).toBeUndefined();
    expect(lru.get("a")).toBe(1);
    expect(lru.get("c")).toBe(3);
    expect(lru.size).toBe(2);
  });

  it("overwriting a key refreshes it without growing", () => {
    const lru = new LruCache<string, number>(2);
    lru.set("a", 1);
    lru.set("b", 2);
    lru.set("a", 10);
    lru.set("c", 3);
    expect(lru.get("a")).toBe(10);
    expect(lru.get("b")).toBeUndefined();
  });

  it("size 0 stores nothing; negative sizes are refused", () => {
    const lru = new LruCache<string, number>(0);
    lru.set("a", 1);
    expect(lru.get("a")).toBeUndefined();
    expect(() => new LruCache(-1)).toThrow(RangeError);
  });
});

describe("QueryCache", () => {
  it("shares one in-flight computation between identical queries and does not cache failures", async () => {
    const cache = new QueryCache(10);
    let calls = 0;
    const compute = async () => {
      calls++;
      return [1, 0];
    };
    await Promise.all([cache.get("q", compute), cache.get("q", compute)]);
    expect(calls).toBe(1);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 1 });

    const failing = () => Promise.reject(new Error("upstream down"));
    await expect(cache.get("bad", failing)).rejects.toThrow("upstream down");
    await expect(cache.get("bad", compute)).resolves.toEqual([1, 0]);
  });
});
