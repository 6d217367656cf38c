/** Memory shapes: the one definition behind validation, TypeScript types, the OpenAPI document and the SDK. */
import { z } from "@hono/zod-openapi";

export const MEMORY_STATES = ["active", "paused", "archived", "deleted"] as const;
export const MemoryStateSchema = z.enum(MEMORY_STATES);

const Timestamp = z.string().openapi({ format: "date-time" });

/** Metadata is a flat-or-nested JSON object, kept small enough to index and return cheaply. */
export const MetadataSchema = z
  .record(z.string(), z.unknown())
  .refine((m) => JSON.stringify(m).length <= 16_384, "must serialise to at most 16 KiB of JSON")
  .openapi({ example: { topic: "food" } });

export const AppNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "may contain only letters, digits and _ . : -")
  .openapi({ example: "default" });

export const MemorySchema = z
  .object({
    id: z.string().openapi({ example: "mem_01jh8x0000abcdefghjkmnpqrs" }),
    text: z.string(),
    metadata: z.record(z.string(), z.unknown()),
    app: z.string(),
    session_id: z.string().nullable(),
    state: MemoryStateSchema,
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Memory");
export type Memory = z.infer<typeof MemorySchema>;

export const AddMemoryBody = z
  .object({
    text: z.string().trim().min(1, "must not be empty"),
    metadata: MetadataSchema.optional(),
    app: AppNameSchema.optional(),
    session_id: z.string().min(1).max(64).nullable().optional(),
  })
  .openapi("AddMemory");
export type AddMemoryInput = z.infer<typeof AddMemoryBody>;

export const UpdateMemoryBody = z
  .object({
    text: z.string().trim().min(1, "must not be empty").optional(),
    metadata: MetadataSchema.optional(),
    state: MemoryStateSchema.optional(),
  })
  .refine((b) => b.text !== undefined || b.metadata !== undefined || b.state !== undefined, {
    message: "give at least one of text, metadata, state",
  })
  .openapi("UpdateMemory");
export type UpdateMemoryInput = z.infer<typeof UpdateMemoryBody>;

export const MemoryFiltersSchema = z
  .object({
    app: AppNameSchema.optional(),
    session_id: z.string().min(1).max(64).optional(),
    state: z.union([MemoryStateSchema, z.array(MemoryStateSchema).min(1)]).optional(),
    metadata: z.record(z.string(), z.unknown()).optional().openapi({ description: "Containment: every key/value given must match" }),
    created_after: z.iso.datetime({ offset: true }).optional(),
    created_before: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .openapi("MemoryFilters");
export type MemoryFilters = z.infer<typeof MemoryFiltersSchema>;

export const SearchBody = z
  .object({
    query: z.string().trim().min(1, "must not be empty"),
    limit: z.number().int().min(1).max(100).default(10),
    threshold: z.number().min(0).max(1).optional(),
    filters: MemoryFiltersSchema.optional(),
  })
  .openapi("SearchMemories");
export type SearchInput = z.infer<typeof SearchBody>;

export const SearchResultSchema = MemorySchema.extend({
  score: z.number().openapi({ description: "Similarity in 0..1, higher is closer" }),
}).openapi("SearchResult");
export type SearchResult = z.infer<typeof SearchResultSchema>;

export const SearchResponse = z.object({ results: z.array(SearchResultSchema) }).openapi("SearchResponse");

export const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(64).optional(),
  app: AppNameSchema.optional(),
  session_id: z.string().min(1).max(64).optional(),
  state: MemoryStateSchema.optional(),
});
export type ListInput = z.infer<typeof ListQuery>;

export const MemoryListResponse = z
  .object({ memories: z.array(MemorySchema), next_cursor: z.string().nullable() })
  .openapi("MemoryList");
