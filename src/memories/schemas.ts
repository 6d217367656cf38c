/** Memory shapes: the one definition behind validation, TypeScript types, the OpenAPI document and the SDK. */
import { z } from "@hono/zod-openapi";
import { AppNameSchema } from "../apps/schemas.js";
import { ERROR_CODES } from "../errors.js";
import { IsoTimestampSchema, MetadataSchema, noNul, StoredTimestampSchema } from "../validation.js";

export { MetadataSchema };

export const MEMORY_STATES = ["active", "paused", "archived", "deleted"] as const;
export const MemoryStateSchema = z.enum(MEMORY_STATES);
export type MemoryState = z.infer<typeof MemoryStateSchema>;

const Timestamp = z.string().openapi({ format: "date-time" });

/** When the fact happened or was said, as the caller gives it; without it, the time of the add. */
const OccurredAtInput = StoredTimestampSchema.openapi({
  description:
    "When the fact happened or was said (ISO 8601 with Z or an offset); default: now. Kept apart from created_at",
  example: "2026-01-08T10:00:00Z",
});

export const MemorySchema = z
  .object({
    id: z.string().openapi({ example: "mem_01jh8x0000abcdefghjkmnpqrs" }),
    text: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    app: z.string(),
    session_id: z.string().nullable(),
    state: MemoryStateSchema,
    occurred_at: Timestamp.openapi({
      description: "When the fact happened or was said (given on add, else the time of the add)",
    }),
    created_at: Timestamp.openapi({ description: "When it was stored" }),
    updated_at: Timestamp,
  })
  .openapi("Memory");
export type Memory = z.infer<typeof MemorySchema>;

export const ChatMessageSchema = z.object({
  role: z.enum(["user", "assistant", "system"]),
  content: noNul(z.string().min(1, "must not be empty")),
});

export const AddMemoryBody = z
  .object({
    text: noNul(z.string().trim().min(1, "must not be empty")).optional(),
    messages: z
      .array(ChatMessageSchema)
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "A conversation to extract facts from (with infer: true)" }),
    infer: z.boolean().optional().openapi({
      description: "Extract facts with the configured LLM and ADD/UPDATE/DELETE against existing memories",
    }),
    metadata: MetadataSchema.optional(),
    app: AppNameSchema.optional(),
    session_id: noNul(z.string().min(1).max(64)).nullable().optional(),
    occurred_at: OccurredAtInput.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.text === undefined && b.messages === undefined) {
      ctx.addIssue({ code: "custom", path: ["text"], message: "is required" });
    } else if (b.messages !== undefined && !b.infer && b.text === undefined) {
      ctx.addIssue({ code: "custom", path: ["messages"], message: "needs infer: true (or send text)" });
    }
  })
  .openapi("AddMemory");
export type AddMemoryBodyInput = z.infer<typeof AddMemoryBody>;
/** What MemoryService.add stores: one text, verbatim. */
export interface AddMemoryInput {
  text: string;
  metadata?: Record<string, unknown> | undefined;
  app?: string | undefined;
  session_id?: string | null | undefined;
  /** ISO 8601; undefined: now. */
  occurred_at?: string | undefined;
}

export const BatchAddBody = z
  .object({
    items: z
      .array(
        z
          .object({
            text: noNul(z.string().trim().min(1, "must not be empty")),
            metadata: MetadataSchema.optional(),
            app: AppNameSchema.optional(),
            session_id: noNul(z.string().min(1).max(64)).nullable().optional(),
            occurred_at: OccurredAtInput.optional(),
          })
          .strict(),
      )
      .min(1)
      .max(100)
      .openapi({ description: "Up to 100 memories, stored verbatim (no infer)" }),
  })
  .strict()
  .openapi("BatchAddMemories");

export const BatchItemResultSchema = z
  .object({
    index: z.number().int().openapi({ description: "The item's position in the request" }),
    status: z.enum(["created", "existing", "error"]).openapi({
      description:
        "created; existing (an identical active memory, or an identical item earlier in the batch); error",
    }),
    memory: MemorySchema.optional(),
    error: z
      .object({ code: z.enum(ERROR_CODES), message: z.string(), field: z.string().optional() })
      .optional()
      .openapi({ description: "Why this item was not stored; the other items are unaffected" }),
  })
  .openapi("BatchItemResult");

export const BatchAddResponse = z
  .object({
    results: z.array(BatchItemResultSchema),
    created: z.number().int(),
    existing: z.number().int(),
    failed: z.number().int(),
  })
  .openapi("BatchAddResult");
export type BatchAddResult = z.infer<typeof BatchAddResponse>;

export const UpdateMemoryBody = z
  .object({
    text: noNul(z.string().trim().min(1, "must not be empty")).optional(),
    metadata: MetadataSchema.optional(),
    state: MemoryStateSchema.optional(),
    occurred_at: OccurredAtInput.optional().openapi({
      description: "Corrects when the fact happened or was said",
    }),
  })
  .refine(
    (b) =>
      b.text !== undefined ||
      b.metadata !== undefined ||
      b.state !== undefined ||
      b.occurred_at !== undefined,
    { message: "give at least one of text, metadata, state, occurred_at" },
  )
  .openapi("UpdateMemory");
export type UpdateMemoryInput = z.infer<typeof UpdateMemoryBody>;

export const MemoryFiltersSchema = z
  .object({
    app: AppNameSchema.optional(),
    session_id: noNul(z.string().min(1).max(64)).optional(),
    state: z.union([MemoryStateSchema, z.array(MemoryStateSchema).min(1)]).optional(),
    metadata: MetadataSchema.optional().openapi({
      description: "Containment: every key/value given must match",
    }),
    created_after: IsoTimestampSchema.optional(),
    created_before: IsoTimestampSchema.optional(),
    occurred_after: IsoTimestampSchema.optional().openapi({
      description: "Only memories whose occurred_at is after this time",
    }),
    occurred_before: IsoTimestampSchema.optional().openapi({
      description: "Only memories whose occurred_at is before this time",
    }),
  })
  .strict()
  .openapi("MemoryFilters");
export type MemoryFilters = z.infer<typeof MemoryFiltersSchema>;

export const SearchBody = z
  .object({
    query: noNul(z.string().trim().min(1, "must not be empty")),
    limit: z.number().int().min(1).max(100).default(10),
    threshold: z
      .number()
      .min(0)
      .max(1)
      .optional()
      .openapi({ description: "Minimum score (0..1, same scale in every mode)" }),
    filters: MemoryFiltersSchema.optional(),
    mode: z.enum(["hybrid", "semantic", "keyword"]).default("hybrid").openapi({
      description:
        "hybrid (default): meaning and keywords fused; semantic: vectors only; keyword: full text only",
    }),
    explain: z
      .boolean()
      .default(false)
      .openapi({ description: "Return each signal's rank and score per result" }),
    rerank: z.boolean().optional().openapi({
      description:
        "Rerank the top candidates with the configured reranker (default: as configured, off unless set)",
    }),
  })
  .strict()
  .openapi("SearchMemories");
/** Callers other than REST (chat, MCP, extraction) may omit the defaulted fields. */
export type SearchInput = z.input<typeof SearchBody>;

const SignalSchema = z.object({ rank: z.number().int(), score: z.number() }).nullable();

export const SearchResultSchema = MemorySchema.extend({
  score: z.number().openapi({ description: "Relevance in 0..1, higher is closer" }),
  explain: z
    .object({
      semantic: SignalSchema,
      keyword: SignalSchema,
      fusion: z.enum(["rrf", "linear", "none"]),
      rerank: SignalSchema.optional().openapi({ description: "Present when the results were reranked" }),
    })
    .optional()
    .openapi({
      description: "Present with explain: true; a null signal means that side did not rank the memory",
    }),
}).openapi("SearchResult");
export type SearchResult = z.infer<typeof SearchResultSchema>;

export const MemoryEventSchema = z
  .object({
    id: z.string(),
    memory_id: z.string(),
    event: z.enum(["add", "update", "state", "delete"]),
    old_text: z.string().nullable(),
    new_text: z.string().nullable(),
    old_state: MemoryStateSchema.nullable(),
    new_state: MemoryStateSchema.nullable(),
    key_id: z.string().nullable().openapi({ description: "The API key that made the change" }),
    created_at: Timestamp,
  })
  .openapi("MemoryEvent");
export type MemoryEvent = z.infer<typeof MemoryEventSchema>;

export const ExtractionResultSchema = z
  .object({
    event: z.enum(["ADD", "UPDATE", "DELETE", "NONE"]),
    memory: MemorySchema.nullable(),
    previous_text: z.string().optional(),
  })
  .openapi("ExtractionResult");

export const SearchResponse = z.object({ results: z.array(SearchResultSchema) }).openapi("SearchResponse");

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: noNul(z.string().max(64)).optional(),
  app: AppNameSchema.optional(),
  session_id: noNul(z.string().min(1).max(64)).optional(),
  state: MemoryStateSchema.optional(),
  created_after: IsoTimestampSchema.optional().openapi({
    description: "Only memories created after this time",
  }),
  created_before: IsoTimestampSchema.optional().openapi({
    description: "Only memories created before this time",
  }),
  occurred_after: IsoTimestampSchema.optional().openapi({
    description: "Only memories that happened (occurred_at) after this time",
  }),
  occurred_before: IsoTimestampSchema.optional().openapi({
    description: "Only memories that happened (occurred_at) before this time",
  }),
});
export type ListInput = z.infer<typeof ListQuery>;

export const MemoryListResponse = z
  .object({ memories: z.array(MemorySchema), next_cursor: z.string().nullable() })
  .openapi("MemoryList");
