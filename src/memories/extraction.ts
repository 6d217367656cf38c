/**
 * mem0-style fact extraction: (1) the LLM lists atomic facts about the user in the input; (2) for those facts and
 * the user's most similar active memories it decides ADD / UPDATE / DELETE / NONE; (3) the decisions are applied
 * through MemoryService, so each applied change is one history event. The LLM only ever sees, and can only touch,
 * memories that the caller's own search returned.
 */
import { z } from "@hono/zod-openapi";
import { AppError } from "../errors.js";
import type { Actor } from "../identity/principal.js";
import type { ChatMessage, LlmClient } from "../llm/client.js";
import type {
  AddMemoryInput,
  ExtractionResultSchema,
  Memory,
  SearchInput,
  SearchResult,
  UpdateMemoryInput,
} from "./schemas.js";

export const EXTRACTION_EVENTS = ["ADD", "UPDATE", "DELETE", "NONE"] as const;

/** One applied decision; the schema (ExtractionResultSchema, OpenAPI "ExtractionResult") lives in ./schemas.ts. */
export type ExtractionEvent = z.infer<typeof ExtractionResultSchema>;
export interface ExtractionResult {
  results: ExtractionEvent[];
}

export interface ExtractionInput {
  /** One user utterance; or give `messages`. */
  text?: string | undefined;
  messages?: ReadonlyArray<{ role: "user" | "assistant" | "system"; content: string }> | undefined;
  /** Applied to every memory the extraction adds. */
  metadata?: AddMemoryInput["metadata"];
  app?: AddMemoryInput["app"];
  session_id?: AddMemoryInput["session_id"];
  /** When the text or conversation was said: the occurred_at of every memory the extraction adds. */
  occurred_at?: AddMemoryInput["occurred_at"];
}

/**
 * The memory operations extraction applies its decisions with: MemoryService's, passed in by MemoryService.add
 * (an interface rather than the class, so this module does not import the service that calls it).
 */
export interface ExtractionStore {
  search(actor: Actor, input: SearchInput): Promise<SearchResult[]>;
  addOne(actor: Actor, input: AddMemoryInput): Promise<{ memory: Memory; created: boolean }>;
  update(actor: Actor, id: string, input: UpdateMemoryInput): Promise<Memory>;
  delete(actor: Actor, id: string): Promise<void>;
}

/** Bounds on what one call may do, whatever the LLM answers. */
const MAX_FACTS = 20;
const MAX_FACT_CHARS = 2_000;
const CANDIDATES_PER_FACT = 5;

const FactsSchema = z.object({ facts: z.array(z.string()) });
const DecisionSchema = z.object({
  event: z.preprocess((v) => (typeof v === "string" ? v.trim().toUpperCase() : v), z.enum(EXTRACTION_EVENTS)),
  id: z.union([z.string(), z.number()]).optional(),
  text: z.string().optional(),
});
type Decision = z.infer<typeof DecisionSchema>;
const DecisionsSchema = z.object({ memory: z.array(z.unknown()) });

const FACTS_PROMPT = `You extract facts about the user from a conversation, for a long-term memory.
Rules:
- Extract only facts about the user (preferences, personal details, plans, relationships, health, work, opinions) that the USER stated. Assistant and system messages are context only.
- Each fact is one short, self-contained sentence in the user's own language, in first person (e.g. "I am vegetarian", "My sister lives in Lisbon").
- Leave out greetings, questions, small talk and anything that is not about the user.
- Today's date is {today}.
Answer with a JSON object only: {"facts": ["...", "..."]}. If there is nothing to remember, answer {"facts": []}.`;

const DECIDE_PROMPT = `You manage a user's long-term memory. Compare NEW FACTS with EXISTING MEMORIES and decide, for each, one event:
- ADD: a new fact that no existing memory holds. Give "text". Do not give an "id".
- UPDATE: an existing memory holds the same subject with different or less information; give its "id" and the full new "text". Keep the richer version ("I like pizza" + "I like cheese pizza" -> "I like cheese pizza").
- DELETE: a new fact contradicts an existing memory and replaces nothing else; give its "id".
- NONE: the fact is already known; give the matching memory's "id" if there is one.
Use only the ids listed in EXISTING MEMORIES. Contradictions of a preference are usually an UPDATE of that memory.
Answer with a JSON object only: {"memory": [{"event": "ADD", "text": "..."}, {"event": "UPDATE", "id": "0", "text": "..."}, {"event": "DELETE", "id": "1"}, {"event": "NONE", "id": "2"}]}`;

/** JSON mode is not honoured everywhere: accept a fenced ```json block or prose around one object. */
function parseJsonObject(llm: LlmClient, raw: string, what: string): unknown {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(raw)?.[1] ?? raw;
  const start = fenced.indexOf("{");
  const end = fenced.lastIndexOf("}");
  const text = start >= 0 && end > start ? fenced.slice(start, end + 1) : fenced;
  try {
    return JSON.parse(text);
  } catch (err) {
    // The reply itself goes to the log only: it may quote the user's memories or the provider's internals.
    throw llm.failure(`answered the ${what} step with invalid JSON`, `${raw || "(empty)"} (${String(err)})`);
  }
}

function shapeError(llm: LlmClient, what: string, error: z.ZodError): AppError {
  const issue = error.issues[0];
  const where = issue?.path.map(String).join(".") || "(root)";
  return llm.failure(
    `answered the ${what} step with JSON of the wrong shape: ${where}: ${issue?.message ?? "invalid"}`,
  );
}

function withoutScore(r: SearchResult): Memory {
  const { score: _score, ...memory } = r;
  return memory;
}

function conversation(input: ExtractionInput): ChatMessage[] {
  if (input.messages && input.messages.length > 0)
    return input.messages.map((m) => ({ role: m.role, content: m.content }));
  if (input.text !== undefined && input.text.trim() !== "") return [{ role: "user", content: input.text }];
  throw new AppError("validation_error", "text: give text or messages to extract memories from", {
    field: "text",
  });
}

/** Step 1: the facts, trimmed, de-duplicated and bounded. */
async function extractFacts(llm: LlmClient, turns: ChatMessage[]): Promise<string[]> {
  const transcript = turns.map((t) => `${t.role}: ${t.content}`).join("\n");
  const raw = await llm.complete(
    [
      { role: "system", content: FACTS_PROMPT.replace("{today}", new Date().toISOString().slice(0, 10)) },
      { role: "user", content: `Conversation:\n${transcript}` },
    ],
    { json: true, temperature: 0 },
  );
  const parsed = FactsSchema.safeParse(parseJsonObject(llm, raw, "fact extraction"));
  if (!parsed.success) throw shapeError(llm, "fact extraction", parsed.error);
  const seen = new Set<string>();
  const facts: string[] = [];
  for (const f of parsed.data.facts) {
    const fact = f.trim();
    const key = fact.toLowerCase();
    if (fact === "" || fact.length > MAX_FACT_CHARS || seen.has(key)) continue;
    seen.add(key);
    facts.push(fact);
    if (facts.length === MAX_FACTS) break;
  }
  return facts;
}

/**
 * Extracts facts from `input` and applies the LLM's decisions to the caller's memories through `memories`.
 * Throws llm_unavailable (502) when the LLM fails or answers nonsense. Callers go through MemoryService.add.
 */
export async function extractMemories(
  memories: ExtractionStore,
  llm: LlmClient,
  actor: Actor,
  input: ExtractionInput,
): Promise<ExtractionResult> {
  const facts = await extractFacts(llm, conversation(input));
  if (facts.length === 0) return { results: [] };

  // Candidates: each fact's nearest active memories of this user, numbered 0..n-1 so the LLM never handles real ids.
  const candidates: SearchResult[] = [];
  const seen = new Set<string>();
  for (const fact of facts) {
    for (const hit of await memories.search(actor, {
      query: fact,
      limit: CANDIDATES_PER_FACT,
      mode: "semantic",
    })) {
      if (seen.has(hit.id)) continue;
      seen.add(hit.id);
      candidates.push(hit);
    }
  }

  // With nothing to compare against, every fact is new: no second LLM call.
  const decisions: Decision[] =
    candidates.length === 0
      ? facts.map((text) => ({ event: "ADD" as const, text }))
      : await decide(llm, facts, candidates);

  const add = (text: string): Promise<{ memory: Memory; created: boolean }> =>
    memories.addOne(actor, {
      text,
      ...(input.metadata ? { metadata: input.metadata } : {}),
      ...(input.app ? { app: input.app } : {}),
      ...(input.session_id ? { session_id: input.session_id } : {}),
      // Facts added from this text happened when it was said; UPDATEs keep the time of the memory they change.
      ...(input.occurred_at ? { occurred_at: input.occurred_at } : {}),
    });

  const results: ExtractionEvent[] = [];
  const touched = new Set<number>();
  const added = new Set<string>();
  for (const d of decisions) {
    const text = d.text?.trim() ?? "";
    const index = d.id === undefined ? undefined : Number(String(d.id).trim());
    // An id the LLM invented (or a real memory id it was never shown) is not an index into the candidates: ignored.
    const target = index !== undefined && Number.isInteger(index) ? candidates[index] : undefined;
    if (d.event !== "ADD" && target && touched.has(index as number)) continue; // one change per memory per call
    switch (d.event) {
      case "ADD": {
        if (text === "" || text.length > MAX_FACT_CHARS || added.has(text.toLowerCase())) continue;
        const same = candidates.find((c) => c.text.trim().toLowerCase() === text.toLowerCase());
        if (same) {
          results.push({ event: "NONE", memory: withoutScore(same) });
          continue;
        }
        added.add(text.toLowerCase());
        // MemoryService returns an identical active memory instead of a duplicate: that is no change.
        const { memory, created } = await add(text);
        results.push({ event: created ? "ADD" : "NONE", memory });
        break;
      }
      case "UPDATE": {
        if (!target || text === "" || text.length > MAX_FACT_CHARS) continue;
        touched.add(index as number);
        if (text === target.text) {
          results.push({ event: "NONE", memory: withoutScore(target) });
          continue;
        }
        const updated = await applyOrGone(() => memories.update(actor, target.id, { text }));
        results.push(
          updated
            ? { event: "UPDATE", memory: updated, previous_text: target.text }
            : { event: "NONE", memory: null },
        );
        break;
      }
      case "DELETE": {
        if (!target) continue;
        touched.add(index as number);
        const gone = await applyOrGone(() => memories.delete(actor, target.id).then(() => true));
        results.push(
          gone
            ? { event: "DELETE", memory: withoutScore(target), previous_text: target.text }
            : { event: "NONE", memory: null },
        );
        break;
      }
      case "NONE":
        results.push({ event: "NONE", memory: target ? withoutScore(target) : null });
        break;
    }
  }
  return { results };
}

/** Step 2: one call deciding for all facts at once (mem0's shape); malformed entries are dropped one by one. */
async function decide(llm: LlmClient, facts: string[], candidates: SearchResult[]): Promise<Decision[]> {
  const existing = candidates.map((c, i) => ({ id: String(i), text: c.text }));
  const raw = await llm.complete(
    [
      { role: "system", content: DECIDE_PROMPT },
      {
        role: "user",
        content: `EXISTING MEMORIES:\n${JSON.stringify(existing, null, 1)}\n\nNEW FACTS:\n${JSON.stringify(facts, null, 1)}`,
      },
    ],
    { json: true, temperature: 0 },
  );
  const parsed = DecisionsSchema.safeParse(parseJsonObject(llm, raw, "memory update"));
  if (!parsed.success) throw shapeError(llm, "memory update", parsed.error);
  const out: Decision[] = [];
  for (const entry of parsed.data.memory) {
    const d = DecisionSchema.safeParse(entry);
    if (d.success) out.push(d.data);
  }
  return out;
}

/** A memory deleted between search and change (another request) is not an error of this call: it becomes NONE. */
async function applyOrGone<T>(fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError && err.code === "memory_not_found") return undefined;
    throw err;
  }
}
