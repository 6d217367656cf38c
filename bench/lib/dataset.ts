// The comparison bench's data: many small users and one large user, their memory texts, and streams of query texts,
// all generated from seeds (the same data on every run), plus the exact (brute-force) vector ranking to measure
// recall against. Vectors come from the same function the loopback embeddings server answers with
// (test/helpers/words-embedder.ts), so a vector computed here equals the one either server received for that text.
import { WORDS_DIMENSIONS, wordsVector } from "../../test/helpers/words-embedder.js";
import { rng, shuffle } from "./stats.js";
import { MEMORY_TEMPLATES, QUERY_TEMPLATES, sampler, type Template } from "./text.js";

export interface DatasetSize {
  /** Small users and memories per small user. */
  users: number;
  memoriesPerUser: number;
  /** Memories of the one large user (0: none). */
  largeUser: number;
}

export interface BenchUser {
  /** The external id (Engram's user_id, mem0's user_id). */
  id: string;
  texts: string[];
}

export interface Dataset {
  size: DatasetSize;
  small: BenchUser[];
  large: BenchUser | null;
  dimensions: number;
}

export const EMBEDDING_DIMENSIONS = WORDS_DIMENSIONS;
/** The bench's embedding of a text (one argument: safe to pass to map()). */
export const embed = (text: string): number[] => wordsVector(text);

/**
 * `count` distinct texts from the templates, drawn by a seeded sampler: `sentences()` of lib/text.ts, without its
 * hard failure when the space runs out (then the rest may repeat, which a large user's store can bear).
 */
function distinctTexts(seed: number, count: number, templates: readonly Template[]): string[] {
  const next = sampler(seed);
  const out = new Set<string>();
  for (let guard = 0; out.size < count && guard < count * 20; guard++) out.add(next(templates));
  const list = [...out];
  for (let i = 0; list.length < count; i++) list.push(`${list[i % out.size] ?? "note"} (${i})`);
  return list;
}

export function makeDataset(size: DatasetSize): Dataset {
  const small: BenchUser[] = [];
  for (let u = 0; u < size.users; u++) {
    small.push({
      id: `bench_u${String(u).padStart(5, "0")}`,
      texts: distinctTexts(100_000 + u, size.memoriesPerUser, MEMORY_TEMPLATES),
    });
  }
  const large =
    size.largeUser > 0
      ? { id: "bench_large", texts: distinctTexts(7, size.largeUser, MEMORY_TEMPLATES) }
      : null;
  return { size, small, large, dimensions: EMBEDDING_DIMENSIONS };
}

/** Ways of asking, to multiply the question templates into enough distinct query texts. */
const PREFIXES = [
  "",
  "Quick question: ",
  "Remind me, ",
  "Do you remember ",
  "Can you check ",
  "I forgot: ",
  "Tell me ",
  "Search my notes: ",
  "Look up ",
  "Any idea ",
  "Help me recall ",
  "Still wondering ",
];
const SUFFIXES = ["", " please", " again", " for me", " if you know", " today", " quickly", " thanks"];

/**
 * `count` distinct query texts, in a seeded order. A repeated text would be answered from Engram's query-embedding
 * cache, so "fresh" runs must never repeat a (user, text) pair (see QueryStream).
 */
export function queryPool(seed: number, count: number): string[] {
  const next = sampler(seed);
  const base = new Set<string>();
  const want = Math.ceil(count / (PREFIXES.length * SUFFIXES.length)) + 1;
  for (let guard = 0; base.size < want && guard < want * 50; guard++) base.add(next(QUERY_TEMPLATES));
  const out: string[] = [];
  for (const p of PREFIXES)
    for (const s of SUFFIXES)
      for (const q of base) out.push(p ? `${p}${q.charAt(0).toLowerCase()}${q.slice(1)}${s}` : `${q}${s}`);
  return shuffle(out, rng(seed)).slice(0, count);
}

/** A (user, query) pair: the user's index in its list and the text. */
export interface QueryPair {
  user: number;
  text: string;
}

/**
 * Never-repeating (user, text) pairs over `users` users: pair k asks user perm[k mod users] the text
 * pool[k mod pool.length]; with the two lengths coprime no pair repeats before users x pool.length pairs. `take(n)`
 * hands out the next n; nothing handed out is handed out again.
 */
export class QueryStream {
  private k = 0;
  private readonly perm: number[];
  private readonly pool: string[];

  constructor(users: number, pool: string[], seed: number) {
    this.perm = shuffle(
      Array.from({ length: users }, (_, i) => i),
      rng(seed),
    );
    // Trim the pool to a length coprime with the user count.
    let n = pool.length;
    while (n > 1 && gcd(n, users) !== 1) n--;
    this.pool = pool.slice(0, n);
  }

  get capacity(): number {
    return this.perm.length * this.pool.length;
  }

  take(n: number): QueryPair[] {
    const out: QueryPair[] = [];
    for (let i = 0; i < n; i++, this.k++) {
      out.push({
        user: this.perm[this.k % this.perm.length] as number,
        text: this.pool[this.k % this.pool.length] as string,
      });
    }
    return out;
  }
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Sparse form of a unit vector: the non-zero dimensions and their values (words vectors have ~10-20). */
interface Sparse {
  idx: Int32Array;
  val: Float64Array;
}

function sparse(v: readonly number[]): Sparse {
  const idx: number[] = [];
  const val: number[] = [];
  v.forEach((x, i) => {
    if (x !== 0) {
      idx.push(i);
      val.push(x);
    }
  });
  return { idx: Int32Array.from(idx), val: Float64Array.from(val) };
}

/**
 * Exact cosine ranking over one user's memories (the vectors are unit length, so cosine is the dot product): the
 * ground truth for recall. Vectors are computed once per user and kept sparse.
 */
export class ExactIndex {
  private readonly cache = new Map<string, Sparse[]>();

  private vectors(user: BenchUser): Sparse[] {
    let vs = this.cache.get(user.id);
    if (!vs) {
      vs = user.texts.map((t) => sparse(embed(t)));
      this.cache.set(user.id, vs);
    }
    return vs;
  }

  /** Cosine similarity of `text` to the query vector. */
  similarity(query: readonly number[], text: string): number {
    return dot(query, sparse(embed(text)));
  }

  /** The k-th best similarity among the user's memories (the recall cut-off: ties at it count as hits). */
  kthSimilarity(user: BenchUser, query: readonly number[], k: number): number {
    const sims = this.vectors(user).map((s) => dot(query, s));
    sims.sort((a, b) => b - a);
    return sims[Math.min(k, sims.length) - 1] ?? 0;
  }
}

function dot(q: readonly number[], s: Sparse): number {
  let sum = 0;
  for (let i = 0; i < s.idx.length; i++) sum += (q[s.idx[i] as number] ?? 0) * (s.val[i] as number);
  return sum;
}

/**
 * Recall@k of a result list against exact cosine ranking, counting ties: a result is a hit when its similarity is at
 * least the k-th best exact similarity (within float noise). Denominator: min(k, memories).
 */
export function semanticRecall(
  index: ExactIndex,
  user: BenchUser,
  query: string,
  resultTexts: readonly string[],
  k: number,
): number {
  const q = embed(query);
  const cut = index.kthSimilarity(user, q, k) - 1e-9;
  const hits = resultTexts.slice(0, k).filter((t) => index.similarity(q, t) >= cut).length;
  return hits / Math.min(k, user.texts.length);
}
