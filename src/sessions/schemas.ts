/** Session and message shapes: the one definition behind validation, types and the OpenAPI document. */
import { z } from "@hono/zod-openapi";
import { MetadataSchema } from "../memories/schemas.js";
import { noNul } from "../validation.js";

const Timestamp = z.string().openapi({ format: "date-time" });

export const MESSAGE_ROLES = ["user", "assistant", "system", "tool"] as const;

export const SessionSchema = z
  .object({
    id: z.string().openapi({ example: "sess_01jh8x0000abcdefghjkmnpqrs" }),
    user_id: z.string().openapi({ description: "The external user id the session belongs to" }),
    metadata: z.record(z.string(), z.unknown()),
    created_at: Timestamp,
    last_activity_at: Timestamp,
    expires_at: Timestamp.openapi({
      description: "Moves forward with every accepted message (sliding expiry)",
    }),
    expired: z
      .boolean()
      .openapi({ description: "An expired session refuses new messages; its history stays readable" }),
  })
  .openapi("Session");
export type Session = z.infer<typeof SessionSchema>;

export const MessageSchema = z
  .object({
    id: z.string().openapi({ example: "msg_01jh8x0000abcdefghjkmnpqrs" }),
    role: z.enum(MESSAGE_ROLES),
    content: z.string(),
    created_at: Timestamp,
  })
  .openapi("Message");
export type Message = z.infer<typeof MessageSchema>;

export const SessionDetailSchema = SessionSchema.extend({
  messages: z.array(MessageSchema).openapi({ description: "Oldest first" }),
}).openapi("SessionDetail");
export type SessionDetail = z.infer<typeof SessionDetailSchema>;

export const CreateSessionBody = z.object({ metadata: MetadataSchema.optional() }).openapi("CreateSession");
export type CreateSessionInput = z.infer<typeof CreateSessionBody>;

export const AppendMessageBody = z
  .object({
    role: z.enum(MESSAGE_ROLES),
    content: noNul(z.string().min(1, "must not be empty")),
  })
  .openapi("AppendMessage");
export type AppendMessageInput = z.infer<typeof AppendMessageBody>;

export const ListSessionsQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: noNul(z.string().max(64)).optional(),
});
export type ListSessionsInput = z.infer<typeof ListSessionsQuery>;

export const SessionListResponse = z
  .object({ sessions: z.array(SessionSchema), next_cursor: z.string().nullable() })
  .openapi("SessionList");
