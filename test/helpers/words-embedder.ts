/** A small deterministic Embedder for tests whose assertions do not depend on meaning: a hashed bag of words. */
import type { Embedder, EmbedderStats, EmbedScope } from "../../src/embeddings/embedder.js";
import { checkScope, checkText, checkTexts } from "../../src/embeddings/input.js";
import { normalize } from "../../src/embeddings/vector.js";
import { AppError } from "../../src/errors.js";

/** The tag stored with its vectors: never the built-in model's, so a store it wrote refuses that model and back. */
export const WORDS_MODEL = "test-words-512";
export const WORDS_DIMENSIONS = 512;

/** FNV-1a, 32 bits: stable across runs and platforms, which is all a test needs of a hash. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Each lower-cased word adds 1 to the dimension its hash picks; the sum is scaled to unit length. Texts sharing
 * words are near, texts sharing none are orthogonal (up to hash collisions): "similar" means "same words", never
 * "same meaning". A text with no word (punctuation only) gets one dimension from the whole text, so every vector
 * has unit length as the interface promises. Micro-seconds per text, no worker, no model to load.
 */
export function wordsVector(text: string, dimensions = WORDS_DIMENSIONS): number[] {
  const v = new Array<number>(dimensions).fill(0);
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [text];
  for (const w of words) {
    const i = fnv1a(w) % dimensions;
    v[i] = (v[i] ?? 0) + 1;
  }
  return normalize(v);
}

class WordsEmbedder implements Embedder {
  private closed = false;
  /** Every text embedded as a document, in order (tests of re-embedding count them). */
  readonly embedded: string[] = [];

  constructor(
    readonly model: string,
    readonly dimensions: number,
  ) {}
  private readonly counts: EmbedderStats = { texts: 0, batches: 0, cacheHits: 0, cacheMisses: 0 };

  // async, so bad input rejects as the real providers' does.
  async embed(texts: string[], opts: EmbedScope): Promise<number[][]> {
    checkTexts(texts);
    checkScope(opts);
    this.checkOpen();
    this.counts.texts += texts.length;
    if (texts.length > 0) this.counts.batches++;
    this.embedded.push(...texts);
    return texts.map((t) => wordsVector(t, this.dimensions));
  }

  async embedQuery(text: string, opts: EmbedScope): Promise<number[]> {
    checkText(text);
    // Checked, so a call site that forgets the scope fails here as it would on a real provider.
    checkScope(opts);
    this.checkOpen();
    // No cache: every query is computed (and counted as a miss), which costs nothing here.
    this.counts.cacheMisses++;
    this.counts.texts++;
    this.counts.batches++;
    return wordsVector(text, this.dimensions);
  }

  stats(): EmbedderStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private checkOpen(): void {
    if (this.closed) throw new AppError("embeddings_unavailable", "the embedder was closed");
  }
}

/** Another model and dimension than the default make a second "model", for tests of a change of model. */
export function wordsEmbedder(
  model: string = WORDS_MODEL,
  dimensions: number = WORDS_DIMENSIONS,
): Embedder & { readonly embedded: string[] } {
  return new WordsEmbedder(model, dimensions);
}
