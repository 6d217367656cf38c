/**
 * Optional reranking of the fused candidates: a rerank endpoint (Cohere, Jina, Hugging Face TEI shapes) or the
 * configured LLM. Off by default; a failing reranker degrades to the fused order instead of failing the search.
 */
import { z } from "zod";
import { AppError } from "../errors.js";
import type { LlmClient } from "../llm/client.js";
import { Upstream } from "../outbound/http.js";

export interface Reranker {
  readonly name: string;
  /** Relevance of each document to the query, aligned with `documents`, each in 0..1. */
  rerank(query: string, documents: readonly string[]): Promise<number[]>;
}

export interface RerankEndpointConfig {
  url: string;
  model?: string | undefined;
  apiKey?: string | undefined;
  timeoutMs: number;
}

/** Cohere and Jina answer `{results: [{index, relevance_score}]}`; TEI answers `[{index, score}]`. */
const RerankResponse = z.union([
  z.object({ results: z.array(z.object({ index: z.number().int().min(0), relevance_score: z.number() })) }),
  z.array(z.object({ index: z.number().int().min(0), score: z.number() })),
]);

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** Scores outside 0..1 (raw logits from some cross-encoders) are squashed, so thresholds keep their meaning. */
function toUnit(scores: number[]): number[] {
  return scores.some((s) => s < 0 || s > 1) ? scores.map(sigmoid) : scores;
}

export function createEndpointReranker(cfg: RerankEndpointConfig): Reranker {
  const upstream = new Upstream({
    url: new URL(cfg.url),
    label: "the rerank endpoint",
    code: "llm_unavailable",
    bearer: cfg.apiKey || undefined,
    timeoutMs: cfg.timeoutMs,
  });
  return {
    // For the log line of a failed rerank; never part of a response.
    name: `endpoint:${upstream.where}`,
    async rerank(query, documents) {
      if (documents.length === 0) return [];
      // `documents` for Cohere/Jina, `texts` for TEI; each ignores the other's field.
      const json = await upstream.postJson({
        ...(cfg.model ? { model: cfg.model } : {}),
        query,
        documents,
        texts: documents,
        top_n: documents.length,
        return_documents: false,
      });
      const parsed = RerankResponse.safeParse(json);
      if (!parsed.success) throw upstream.failure("sent an unexpected body", JSON.stringify(json));
      const items = Array.isArray(parsed.data)
        ? parsed.data.map((r) => ({ index: r.index, score: r.score }))
        : parsed.data.results.map((r) => ({ index: r.index, score: r.relevance_score }));
      const raw = new Array<number>(documents.length).fill(Number.NEGATIVE_INFINITY);
      for (const it of items) if (it.index < documents.length) raw[it.index] = it.score;
      const seen = raw.filter(Number.isFinite);
      const floor = seen.length > 0 ? Math.min(...seen) : 0;
      // A document the endpoint left out ranks last.
      return toUnit(raw.map((s) => (Number.isFinite(s) ? s : floor)));
    },
  };
}

const LlmScores = z.object({ scores: z.array(z.number().min(0).max(10)) });

/** Asks the configured LLM to grade each candidate 0..10 in one call. Slower and costlier than an endpoint. */
export function createLlmReranker(llm: LlmClient): Reranker {
  return {
    name: `llm:${llm.model}`,
    async rerank(query, documents) {
      if (documents.length === 0) return [];
      const list = documents.map((d, i) => `${i}. ${d.replace(/\s+/g, " ").slice(0, 500)}`).join("\n");
      const reply = await llm.complete(
        [
          {
            role: "system",
            content:
              "You grade how well each numbered memory answers a search query. Reply with JSON only: " +
              '{"scores": [n0, n1, ...]}, one number from 0 (irrelevant) to 10 (answers it exactly) per memory, in order.',
          },
          { role: "user", content: `Query: ${query}\n\nMemories:\n${list}` },
        ],
        { json: true, temperature: 0 },
      );
      let parsed: z.infer<typeof LlmScores>;
      try {
        parsed = LlmScores.parse(JSON.parse(reply));
      } catch (err) {
        throw new AppError("llm_unavailable", "the LLM reranker's reply was not the JSON asked for", {
          cause: err,
        });
      }
      return documents.map((_, i) => (parsed.scores[i] ?? 0) / 10);
    },
  };
}
