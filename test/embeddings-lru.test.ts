// Unit tests for the LRU cache, the query cache built on it, and the built-in embedder's fair queue.
import { describe, expect, it } from "vitest";
import { FairQueue } from "../src/embeddings/fair-queue.js";
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
    await Promise.all([cache.get("usr_a", "q", compute), cache.get("usr_a", "q", compute)]);
    expect(calls).toBe(1);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 1, misses: 1 });

    const failing = () => Promise.reject(new Error("upstream down"));
    await expect(cache.get("usr_a", "bad", failing)).rejects.toThrow("upstream down");
    await expect(cache.get("usr_a", "bad", compute)).resolves.toEqual([1, 0]);
  });
});

describe("QueryCache scopes", () => {
  it("finds an entry only in the scope that stored it, and shares in-flight work only within a scope", async () => {
    const cache = new QueryCache(10);
    const computed: string[] = [];
    const compute = (scope: string) => async (text: string) => {
      computed.push(`${scope}:${text}`);
      return [computed.length, 0];
    };
    // At once: A's two calls share one computation, B's same text gets its own.
    const [a1, a2, b1] = await Promise.all([
      cache.get("usr_a", "q", compute("usr_a")),
      cache.get("usr_a", "q", compute("usr_a")),
      cache.get("usr_b", "q", compute("usr_b")),
    ]);
    expect(computed).toEqual(["usr_a:q", "usr_b:q"]);
    expect(a2).toEqual(a1);
    expect(b1).not.toEqual(a1);
    // Afterwards: each scope hits its own entry.
    expect(await cache.get("usr_b", "q", compute("usr_b"))).toEqual(b1);
    expect(await cache.get("usr_a", "q", compute("usr_a"))).toEqual(a1);
    expect(computed).toHaveLength(2);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 3, misses: 2 });
  });

  it("cannot be confused by a scope/text split: ('a', 'b\\nc') and ('a\\nb', 'c') are different entries", async () => {
    const cache = new QueryCache(10);
    let n = 0;
    const compute = async () => [++n];
    await cache.get("a", "b\nc", compute);
    await cache.get("a\nb", "c", compute);
    await cache.get("a:b", "c", compute);
    expect(n).toBe(3);
  });
});

interface T {
  scope: string;
  cost: number;
  id: string;
  stale?: boolean;
}

function item(scope: string, id: string, cost = 1): T {
  return { scope, cost, id };
}

const ids = (batch: T[]) => batch.map((t) => t.id);

describe("FairQueue", () => {
  it("fills a batch round-robin across scopes, FIFO within each", () => {
    const q = new FairQueue<T>();
    for (let i = 1; i <= 5; i++) q.push(item("a", `a${i}`));
    q.push(item("b", "b1"));
    q.push(item("c", "c1"));
    q.push(item("c", "c2"));
    expect(q.size).toBe(8);
    expect(ids(q.take(4, Infinity))).toEqual(["a1", "b1", "c1", "a2"]);
    expect(ids(q.take(10, Infinity))).toEqual(["c2", "a3", "a4", "a5"]);
    expect(q.size).toBe(0);
    expect(q.take(10, Infinity)).toEqual([]);
  });

  it("serves a newcomer's one item first in the next batch, however long another scope's backlog", () => {
    const q = new FairQueue<T>();
    for (let i = 1; i <= 100; i++) q.push(item("a", `a${i}`));
    expect(ids(q.take(2, Infinity))).toEqual(["a1", "a2"]);
    // b arrives while a's batch runs: a has just had its turn, so b goes first.
    q.push(item("b", "b1"));
    expect(ids(q.take(2, Infinity))).toEqual(["b1", "a3"]);
    expect(ids(q.take(2, Infinity))).toEqual(["a4", "a5"]);
    // With a cost limit that fits one item: the newcomers b and c each get a batch before a's next.
    q.push(item("b", "b2", 1));
    q.push(item("c", "c1", 1));
    expect(ids(q.take(10, 1.5))).toEqual(["b2"]);
    expect(ids(q.take(10, 1.5))).toEqual(["c1"]);
    expect(ids(q.take(10, 1.5))).toEqual(["a6"]);
  });

  it("moves scopes served in a batch behind those left out, so no scope is always last", () => {
    const q = new FairQueue<T>();
    for (const s of ["a", "b", "c"]) for (let i = 1; i <= 3; i++) q.push(item(s, `${s}${i}`));
    expect(ids(q.take(2, Infinity))).toEqual(["a1", "b1"]);
    expect(ids(q.take(2, Infinity))).toEqual(["c1", "a2"]);
    expect(ids(q.take(2, Infinity))).toEqual(["b2", "c2"]);
    expect(ids(q.take(3, Infinity))).toEqual(["a3", "b3", "c3"]);
  });

  it("keeps a batch within the cost limit but always takes one item, and lets cheap items of others fill it", () => {
    const q = new FairQueue<T>();
    q.push(item("a", "a1", 16));
    q.push(item("a", "a2", 16));
    q.push(item("b", "b1", 2));
    q.push(item("b", "b2", 2));
    q.push(item("c", "c1", 3));
    // a1 alone exceeds the limit of 10 and is taken (one text cannot be split); nothing else fits beside it.
    expect(ids(q.take(10, 10))).toEqual(["a1"]);
    // a2 does not fit beside b1 and c1: a waits, b and c fill the batch.
    expect(ids(q.take(10, 10))).toEqual(["b1", "c1", "b2"]);
    expect(ids(q.take(10, 10))).toEqual(["a2"]);
  });

  it("drops stale items on the way and counts them out of size; drain empties the queue", () => {
    const q = new FairQueue<T>();
    const dead = { ...item("a", "a1"), stale: true };
    q.push(dead);
    q.push(item("a", "a2"));
    q.push(item("b", "b1"));
    q.push(item("b", "b2"));
    expect(ids(q.take(2, Infinity, (t) => t.stale === true))).toEqual(["a2", "b1"]);
    expect(q.size).toBe(1);
    expect(ids(q.drain())).toEqual(["b2"]);
    expect(q.size).toBe(0);
  });
});
