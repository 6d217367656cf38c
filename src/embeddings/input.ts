// Argument checks shared by the providers, so bad input is a validation error and never reaches a model.
import { validation } from "../errors.js";
import type { EmbedScope } from "./embedder.js";

export function checkTexts(texts: unknown): asserts texts is string[] {
  if (!Array.isArray(texts)) throw validation("texts", "must be an array of strings");
  for (let i = 0; i < texts.length; i++) {
    if (typeof texts[i] !== "string") throw validation(`texts[${i}]`, "must be a string");
  }
}

export function checkText(text: unknown): asserts text is string {
  if (typeof text !== "string") throw validation("text", "must be a string");
}

/** The scope keys caches and queues: a missing one must fail loudly, never fall into a shared default. */
export function checkScope(opts: unknown): string {
  const scope = (opts as Partial<EmbedScope> | null | undefined)?.scope;
  if (typeof scope !== "string" || scope === "") throw validation("scope", "must be a non-empty string");
  return scope;
}
