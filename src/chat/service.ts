/**
 * Chat: store the user's message first (an LLM failure never loses it), recall the user's relevant memories,
 * answer with the LLM (or the built-in responder when none is configured), store the reply, keep new facts.
 */
import type { Logger } from "pino";
import { AppError } from "../errors.js";
import type { Actor } from "../identity/principal.js";
import type { ChatMessage, LlmClient } from "../llm/client.js";
import type { ExtractionEvent } from "../memories/extraction.js";
import type { Memory, SearchResult } from "../memories/schemas.js";
import type { MemoryService } from "../memories/service.js";
import type { Message } from "../sessions/schemas.js";
import type { SessionService } from "../sessions/service.js";
import { ACKNOWLEDGE_REPLY, alreadyKnownReply, answerReply, confirmReply, interpret } from "./responder.js";
import type { ChatInput, ChatResult } from "./schemas.js";

/**
 * Searches here are semantic-only, so that scores are cosine similarities and these thresholds mean something
 * (hybrid scores are rank-fused). Calibrated on the built-in USE-lite model: a matching question scores ~0.46-0.75
 * against its fact, an unrelated one up to ~0.41. Retrieval for the LLM is looser: the LLM can ignore a stray memory.
 */
const RETRIEVE_LIMIT = 5;
const RETRIEVE_THRESHOLD = 0.25;
const ANSWER_THRESHOLD = 0.42;
/** The conversation window given to the LLM. */
const HISTORY_MESSAGES = 20;

const SYSTEM_PROMPT = `You are a helpful assistant with a long-term memory of this user.
Use what you remember when it is relevant; do not invent facts about the user. Answer concisely.`;

export interface ChatDeps {
  sessions: SessionService;
  memories: MemoryService;
  llm?: LlmClient | undefined;
  log: Logger;
  maxTextLength: number;
}

/** A streamed reply in progress: `deltas` yields the text; `finish` stores it and returns the full result. */
export interface ChatTurn {
  session_id: string;
  deltas: AsyncIterable<string>;
  finish(reply: string): Promise<ChatResult>;
}

/** Session history as LLM turns; tool messages have no OpenAI form without their tool call, so they are left out. */
function historyTurns(history: Message[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of history) if (m.role !== "tool") out.push({ role: m.role, content: m.content });
  return out;
}

export function chatPrompt(memories: SearchResult[], history: Message[]): ChatMessage[] {
  const remembered =
    memories.length === 0
      ? "You remember nothing relevant about this user yet."
      : `What you remember about this user (most relevant first):\n${memories.map((m) => `- ${m.text}`).join("\n")}`;
  return [{ role: "system", content: `${SYSTEM_PROMPT}\n\n${remembered}` }, ...historyTurns(history)];
}

export class ChatService {
  constructor(private readonly deps: ChatDeps) {}

  /** One non-streamed exchange. */
  async chat(actor: Actor, input: ChatInput): Promise<ChatResult> {
    const sessionId = await this.begin(actor, input);
    const { llm } = this.deps;
    if (!llm) return this.offline(actor, sessionId, input.message);
    const { used, prompt } = await this.context(actor, sessionId, input.message);
    const reply = await llm.complete(prompt);
    if (reply.trim() === "") throw emptyReply(llm);
    return this.conclude(actor, sessionId, input.message, reply, used);
  }

  /**
   * A streamed exchange. Resolves once the first piece of the reply has arrived, so a failure before any text is an
   * ordinary error response; a failure after it surfaces from `deltas`.
   */
  async open(actor: Actor, input: ChatInput, signal?: AbortSignal): Promise<ChatTurn> {
    const sessionId = await this.begin(actor, input);
    const { llm } = this.deps;
    if (!llm) {
      const result = await this.offline(actor, sessionId, input.message);
      return { session_id: sessionId, deltas: once(result.reply), finish: async () => result };
    }
    const { used, prompt } = await this.context(actor, sessionId, input.message);
    const it = llm.stream(prompt, signal ? { signal } : {})[Symbol.asyncIterator]();
    const first = await it.next();
    if (first.done) throw emptyReply(llm);
    async function* deltas(): AsyncGenerator<string> {
      yield first.value;
      for (;;) {
        const next = await it.next();
        if (next.done) return;
        yield next.value;
      }
    }
    return {
      session_id: sessionId,
      deltas: deltas(),
      finish: (reply) => this.conclude(actor, sessionId, input.message, reply, used),
    };
  }

  /** Opens a session if none is named, and stores the user's message before anything can fail. */
  private async begin(actor: Actor, input: ChatInput): Promise<string> {
    if (input.message.length > this.deps.maxTextLength) {
      throw new AppError(
        "validation_error",
        `message: must be at most ${this.deps.maxTextLength} characters (got ${input.message.length})`,
        { field: "message" },
      );
    }
    const sessionId = input.session_id ?? (await this.deps.sessions.create(actor, {})).id;
    try {
      await this.deps.sessions.append(actor, sessionId, { role: "user", content: input.message });
    } catch (err) {
      if (err instanceof AppError && (err.code === "session_not_found" || err.code === "session_expired")) {
        throw new AppError(err.code, `session_id: ${err.message}`, { field: "session_id" });
      }
      throw err;
    }
    return sessionId;
  }

  private async context(
    actor: Actor,
    sessionId: string,
    message: string,
  ): Promise<{ used: SearchResult[]; prompt: ChatMessage[] }> {
    const used = await this.deps.memories.search(actor, {
      query: message,
      limit: RETRIEVE_LIMIT,
      threshold: RETRIEVE_THRESHOLD,
      mode: "semantic",
    });
    const history = await this.deps.sessions.recentMessages(actor, sessionId, HISTORY_MESSAGES);
    return { used, prompt: chatPrompt(used, history) };
  }

  /** Stores the reply, then the facts the message stated. The reply stands even if extraction fails. */
  private async conclude(
    actor: Actor,
    sessionId: string,
    message: string,
    reply: string,
    used: SearchResult[],
  ): Promise<ChatResult> {
    // The session accepted the user's message while live; its reply belongs to it even if a slow LLM outlasted the timeout.
    await this.deps.sessions.append(
      actor,
      sessionId,
      { role: "assistant", content: reply },
      { evenIfExpired: true },
    );
    let changes: ExtractionEvent[] = [];
    let extractionError: string | undefined;
    try {
      // The same add path as POST /v1/memories with infer: true (chat runs it only with an LLM configured).
      const added = await this.deps.memories.add(actor, {
        text: message,
        session_id: sessionId,
        infer: true,
      });
      if (added.infer) changes = added.results.filter((r) => r.event !== "NONE");
    } catch (err) {
      if (
        !(err instanceof AppError) ||
        (err.code !== "llm_unavailable" &&
          err.code !== "embeddings_unavailable" &&
          err.code !== "quota_exceeded")
      )
        throw err;
      this.deps.log.warn(
        { err, session_id: sessionId },
        "chat: memory extraction failed; the reply was kept",
      );
      extractionError = err.message;
    }
    return {
      session_id: sessionId,
      reply,
      memories_used: used,
      memories_created: changes.flatMap((c) => (c.event === "ADD" && c.memory ? [c.memory] : [])),
      memory_changes: changes,
      ...(extractionError ? { extraction_error: extractionError } : {}),
    };
  }

  /** The built-in responder (src/chat/responder.ts): remember stated facts, answer questions from the best memory. */
  private async offline(actor: Actor, sessionId: string, message: string): Promise<ChatResult> {
    const intent = interpret(message);
    let reply: string;
    let used: SearchResult[] = [];
    const created: Memory[] = [];
    if (intent.kind === "remember") {
      // MemoryService returns an identical active memory instead of adding a duplicate.
      const { memory, created: isNew } = await this.deps.memories.addOne(actor, {
        text: intent.fact,
        session_id: sessionId,
      });
      if (isNew) {
        created.push(memory);
        reply = confirmReply(intent.fact);
      } else {
        reply = alreadyKnownReply(memory.text);
      }
    } else if (intent.kind === "question") {
      used = await this.deps.memories.search(actor, {
        query: message,
        limit: 1,
        threshold: ANSWER_THRESHOLD,
        mode: "semantic",
      });
      reply = answerReply(used[0]?.text);
    } else {
      reply = ACKNOWLEDGE_REPLY;
    }
    await this.deps.sessions.append(
      actor,
      sessionId,
      { role: "assistant", content: reply },
      { evenIfExpired: true },
    );
    return {
      session_id: sessionId,
      reply,
      memories_used: used,
      memories_created: created,
      memory_changes: created.map((memory) => ({ event: "ADD" as const, memory })),
    };
  }
}

function emptyReply(llm: LlmClient): AppError {
  return llm.failure("returned an empty reply");
}

async function* once(text: string): AsyncGenerator<string> {
  yield text;
}
