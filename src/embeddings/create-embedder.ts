/** createEmbedder: picks the configured provider (apart from the interface, so the providers import no factory). */
import type { EmbeddingsConfig } from "../config/config.js";
import type { Embedder } from "./embedder.js";
import { createOpenAIEmbedder } from "./openai-embedder.js";
import { createUseLiteEmbedder } from "./use-lite-embedder.js";

/** Creates the configured provider and waits until it can embed (model loaded, or dimensions known). */
export async function createEmbedder(config: EmbeddingsConfig): Promise<Embedder> {
  switch (config.provider) {
    case "builtin":
      return createUseLiteEmbedder(config);
    case "openai":
      return createOpenAIEmbedder(config);
    default: {
      const provider: never = config.provider;
      throw new Error(`unknown embeddings provider: ${String(provider)}`);
    }
  }
}
