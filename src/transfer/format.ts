/** The export/import file format (NDJSON, version 1): one zod schema per record type, and the line reader. */
import { z } from "zod";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import { IsoTimestampSchema, MetadataSchema, StoredTimestampSchema } from "../validation.js";

export const FORMAT_NAME = "engram-export";
export const FORMAT_VERSION = 1;
export const NDJSON_TYPE = "application/x-ndjson";

/** The record types in file order; `end.counts` has one entry per type but the header and footer. */
export const RECORD_TYPES = [
  "tenant",
  "user",
  "app",
  "memory",
  "memory_event",
  "session",
  "message",
] as const;
export type RecordType = (typeof RECORD_TYPES)[number];
export type Counts = Record<RecordType, number>;

export function zeroCounts(): Counts {
  return { tenant: 0, user: 0, app: 0, memory: 0, memory_event: 0, session: 0, message: 0 };
}

/** Ids keep the server's prefixed shape: the services refuse any other id (a converter mints them with newId). */
const prefixed = (prefix: string) =>
  z
    .string()
    .regex(new RegExp(`^${prefix}_[0-9a-z]{26}$`), `must look like ${prefix}_ followed by 26 characters`);

const Ts = IsoTimestampSchema;
const State = z.enum(["active", "paused", "archived", "deleted"]);
const Owner = { tenant: TenantIdSchema, user_id: UserIdSchema };

export const HeaderRecord = z.object({
  type: z.literal("header"),
  format: z.literal(FORMAT_NAME),
  version: z.literal(FORMAT_VERSION),
  server_version: z.string(),
  embedding_model: z.string().min(1),
  dimensions: z.number().int().positive().max(16_000),
  exported_at: Ts,
});

export const TenantRecord = z.object({
  type: z.literal("tenant"),
  id: TenantIdSchema,
  name: z.string().min(1).max(200),
  created_at: Ts,
});

export const UserRecord = z.object({
  type: z.literal("user"),
  ...Owner,
  name: z.string().max(200).nullable(),
  email: z.string().max(320).nullable(),
  created_at: Ts,
  updated_at: Ts,
  last_active_at: Ts.nullable(),
});

export const AppRecord = z.object({
  type: z.literal("app"),
  ...Owner,
  id: prefixed("app"),
  name: z.string().min(1).max(100),
  description: z.string().max(2000).nullable(),
  is_active: z.boolean(),
  created_at: Ts,
  updated_at: Ts,
});

export const MemoryRecord = z.object({
  type: z.literal("memory"),
  ...Owner,
  id: prefixed("mem"),
  text: z.string().min(1),
  metadata: MetadataSchema,
  app: z.string().min(1).max(100),
  session_id: z.string().max(128).nullable(),
  state: State,
  /** Absent in files written before event times existed: the importer takes created_at. */
  occurred_at: StoredTimestampSchema.optional(),
  created_at: Ts,
  updated_at: Ts,
  /** null: the importer embeds the text. */
  embedding: z.array(z.number().finite()).nullable(),
});

export const MemoryEventRecord = z.object({
  type: z.literal("memory_event"),
  ...Owner,
  id: prefixed("evt"),
  memory_id: prefixed("mem"),
  event: z.enum(["add", "update", "state", "delete"]),
  old_text: z.string().nullable(),
  new_text: z.string().nullable(),
  old_state: State.nullable(),
  new_state: State.nullable(),
  created_at: Ts,
});

export const SessionRecord = z.object({
  type: z.literal("session"),
  ...Owner,
  id: prefixed("sess"),
  metadata: MetadataSchema,
  created_at: Ts,
  last_activity_at: Ts,
  expires_at: Ts,
});

export const MessageRecord = z.object({
  type: z.literal("message"),
  ...Owner,
  id: prefixed("msg"),
  session_id: prefixed("sess"),
  role: z.enum(["user", "assistant", "system", "tool"]),
  content: z.string(),
  created_at: Ts,
});

export const EndRecord = z.object({
  type: z.literal("end"),
  counts: z.object({
    tenant: z.number().int().nonnegative(),
    user: z.number().int().nonnegative(),
    app: z.number().int().nonnegative(),
    memory: z.number().int().nonnegative(),
    memory_event: z.number().int().nonnegative(),
    session: z.number().int().nonnegative(),
    message: z.number().int().nonnegative(),
  }),
});

/** Any line of a file; `type` picks the schema. */
export const TransferRecord = z.discriminatedUnion("type", [
  HeaderRecord,
  TenantRecord,
  UserRecord,
  AppRecord,
  MemoryRecord,
  MemoryEventRecord,
  SessionRecord,
  MessageRecord,
  EndRecord,
]);

export type HeaderRecord = z.infer<typeof HeaderRecord>;
export type TenantRecord = z.infer<typeof TenantRecord>;
export type UserRecord = z.infer<typeof UserRecord>;
export type AppRecord = z.infer<typeof AppRecord>;
export type MemoryRecord = z.infer<typeof MemoryRecord>;
export type MemoryEventRecord = z.infer<typeof MemoryEventRecord>;
export type SessionRecord = z.infer<typeof SessionRecord>;
export type MessageRecord = z.infer<typeof MessageRecord>;
export type EndRecord = z.infer<typeof EndRecord>;
export type TransferRecord = z.infer<typeof TransferRecord>;
/** The records that belong to a user's block. */
export type UserOwnedRecord = AppRecord | MemoryRecord | MemoryEventRecord | SessionRecord | MessageRecord;

/** One line of input: its 1-based number and its parsed JSON (or the raw text when it was not JSON). */
export interface NumberedValue {
  line: number;
  value: unknown;
}

/** Longest line the reader accepts: a memory of the longest text with a vector fits many times over. */
export const MAX_LINE_CHARS = 32 * 1024 * 1024;

/** A line that is not JSON: passed on so the importer reports it with its number. */
export class UnparsableLine {
  constructor(readonly message: string) {}
}

/**
 * Splits a byte or text stream into numbered JSON values, one per non-blank line, holding one line at a time.
 * A line that is not JSON becomes an UnparsableLine value; one longer than MAX_LINE_CHARS ends the input.
 */
export async function* ndjsonValues(
  chunks: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<NumberedValue> {
  const decoder = new TextDecoder("utf-8", { fatal: false });
  let pending = "";
  let line = 0;
  const parse = (text: string): NumberedValue => {
    line++;
    try {
      return { line, value: JSON.parse(text) as unknown };
    } catch (err) {
      return {
        line,
        value: new UnparsableLine(`not JSON: ${err instanceof Error ? err.message : String(err)}`),
      };
    }
  };
  for await (const chunk of chunks) {
    pending += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      const text = pending.slice(0, nl).replace(/\r$/, "");
      pending = pending.slice(nl + 1);
      if (text.trim() === "") line++;
      else yield parse(text);
      nl = pending.indexOf("\n");
    }
    if (pending.length > MAX_LINE_CHARS) {
      yield { line: line + 1, value: new UnparsableLine(`line longer than ${MAX_LINE_CHARS} characters`) };
      return;
    }
  }
  pending += decoder.decode();
  if (pending.trim() !== "") yield parse(pending.replace(/\r$/, ""));
}
