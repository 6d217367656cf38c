/** Request and response shapes of users, tenants and keys: the one definition behind types, validation and OpenAPI. */
import { z } from "@hono/zod-openapi";
import { KEY_KINDS, SCOPES } from "./scopes.js";

/** Opaque ids: letters, digits and `_ . : @ + -`; never a pattern or wildcard (mem0's `"*"` returned every user). */
export const UserIdSchema = z
  .string()
  .min(1, "must not be empty")
  .max(128, "must be at most 128 characters")
  .regex(/^[A-Za-z0-9_.:@+-]+$/, "may contain only letters, digits and _ . : @ + -")
  .openapi({ example: "tenant_a:user_1" });

export const TenantIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(
    /^[a-z0-9][a-z0-9_-]*$/,
    "must be lower-case letters, digits, _ or -, starting with a letter or digit",
  )
  .openapi({ example: "acme" });

const Timestamp = z.string().openapi({ format: "date-time", example: "2026-01-08T10:00:00.000Z" });

export const UserSchema = z
  .object({
    user_id: z.string(),
    tenant: z.string(),
    name: z.string().nullable(),
    email: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
    last_active_at: Timestamp.nullable(),
    memory_count: z
      .number()
      .int()
      .optional()
      .openapi({ description: "Memories not in state `deleted` (listing and GET of one user)" }),
    session_count: z
      .number()
      .int()
      .optional()
      .openapi({ description: "Sessions, expired ones included (listing and GET of one user)" }),
    key_count: z
      .number()
      .int()
      .optional()
      .openapi({ description: "Keys not revoked, expired ones included (listing and GET of one user)" }),
  })
  .openapi("User");
export type User = z.infer<typeof UserSchema>;

export const ScopeSchema = z.enum(SCOPES);

export const ApiKeySchema = z
  .object({
    id: z.string().openapi({ example: "key_01jh8x0000abcdefghjkmnpqrs" }),
    kind: z.enum(KEY_KINDS),
    name: z.string().nullable(),
    prefix: z.string().openapi({ description: "The visible start of the key", example: "ek_user_a1B2c3" }),
    tenant: z.string().nullable(),
    user_id: z.string().nullable(),
    scopes: z.array(z.string()),
    app: z.string().nullable().openapi({ description: "The app this key writes as, if bound to one" }),
    expires_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
    last_used_at: Timestamp.nullable(),
    created_at: Timestamp,
  })
  .openapi("ApiKey");
export type ApiKey = z.infer<typeof ApiKeySchema>;

export const CreatedKeySchema = z
  .object({
    api_key: z.string().openapi({ description: "The key itself. Shown once: store it now." }),
    key: ApiKeySchema,
  })
  .openapi("CreatedKey");
export type CreatedKey = z.infer<typeof CreatedKeySchema>;

/** GET /v1/me/keys: a key of the caller's user, marked when it is the one the request was made with. */
export const OwnKeySchema = ApiKeySchema.extend({
  current: z.boolean().openapi({ description: "This is the key the request was made with" }),
}).openapi("OwnKey");
export type OwnKey = z.infer<typeof OwnKeySchema>;

/** Longest a rotated key may keep working: a week is enough to roll a new key out, short enough to bound a leak. */
export const MAX_GRACE_SECONDS = 7 * 86_400;

const GRACE_RANGE = `must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS} (7 days)`;

export const RotateKeyBody = z
  .object({
    grace_seconds: z
      .number(GRACE_RANGE)
      .int(GRACE_RANGE)
      .min(0, GRACE_RANGE)
      .max(MAX_GRACE_SECONDS, GRACE_RANGE)
      .optional()
      .openapi({
        description:
          "How long the old key keeps working (never past its own expiry); 0 or absent: it is revoked at once",
        example: 3600,
      }),
  })
  .strict()
  .openapi("RotateKey");

export const RotatedKeySchema = CreatedKeySchema.extend({
  rotated_from: z.string().openapi({ description: "The old key's id" }),
  old_key_expires_at: Timestamp.nullable().openapi({
    description:
      "When the old key stops working (401 key_expired from then on); null: it was revoked at once",
  }),
}).openapi("RotatedKey");
export type RotatedKey = z.infer<typeof RotatedKeySchema>;

const Email = z
  .string()
  .max(320)
  .regex(/^[^\s@]+@[^\s@]+$/, "must be an email address");

export const CreateUserBody = z
  .object({
    user_id: UserIdSchema,
    name: z.string().max(200).optional(),
    email: Email.optional(),
    tenant: TenantIdSchema.optional().openapi({ description: "Defaults to `default`" }),
  })
  .strict()
  .openapi("CreateUser");

/** POST /v1/users: the user and its first key. */
export const CreatedUserSchema = CreatedKeySchema.extend({ user: UserSchema });
export type CreatedUser = z.infer<typeof CreatedUserSchema>;

/** DELETE /v1/users/{user_id}: what went with the user. */
export const DeletedUserSchema = z.object({
  deleted: z.literal(true),
  user_id: z.string(),
  deleted_memories: z.number().int().openapi({ description: "Memory rows removed, whatever their state" }),
  deleted_sessions: z.number().int().openapi({ description: "Sessions removed (with their messages)" }),
  deleted_keys: z.number().int().openapi({ description: "Keys removed, revoked ones included" }),
});
export type DeletedUser = z.infer<typeof DeletedUserSchema>;

export const UpdateUserBody = z
  .object({ name: z.string().max(200).nullable().optional(), email: Email.nullable().optional() })
  .strict()
  .openapi("UpdateUser");

export const CreateKeyBody = z
  .object({
    name: z.string().max(200).optional(),
    scopes: z.array(ScopeSchema).min(1).optional().openapi({ description: "Defaults to every scope" }),
    expires_at: z.iso.datetime({ offset: true }).optional(),
    app: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_.:-]+$/, "may contain only letters, digits and _ . : -")
      .optional()
      .openapi({
        description:
          "Bind the key to an app: its writes are recorded as that app's, and pausing the app stops it",
      }),
  })
  .strict()
  .openapi("CreateKey");

export const CreateTenantBody = z
  .object({ id: TenantIdSchema, name: z.string().max(200).optional() })
  .strict()
  .openapi("CreateTenant");

export const TenantSchema = z
  .object({ id: z.string(), name: z.string(), created_at: Timestamp })
  .openapi("Tenant");
export type Tenant = z.infer<typeof TenantSchema>;

export const MeSchema = z
  .object({
    kind: z.enum([...KEY_KINDS, "open"]),
    key_id: z.string().nullable(),
    tenant: z.string().nullable(),
    user_id: z.string().nullable().openapi({ description: "The user this request acts as, if any" }),
    scopes: z.array(z.string()),
  })
  .openapi("Me");
export type Me = z.infer<typeof MeSchema>;

/** The `?tenant=` of admin routes that name a user or filter keys. */
export const TenantQuery = z.object({
  tenant: TenantIdSchema.optional().openapi({ description: "Defaults to `default`" }),
});

/** GET /v1/users: paging, search and the inactive filter. */
export const ListUsersQuery = TenantQuery.extend({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(64).optional(),
  q: z.string().min(1).max(200).optional().openapi({
    description:
      "Case-insensitive substring of the user id, name or email (taken literally: `%` and `_` are not wildcards)",
  }),
  inactive_since: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ description: "Only users never active, or last active before this instant" }),
});
