/** App shapes: the one definition behind validation, TypeScript types and the OpenAPI document. */
import { z } from "@hono/zod-openapi";

const Timestamp = z.string().openapi({ format: "date-time" });

/** The name a memory records as the app that wrote it. */
export const AppNameSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, "may contain only letters, digits and _ . : -")
  .openapi({ example: "default" });

export const AppSchema = z
  .object({
    id: z.string().openapi({ example: "app_01jh8x0000abcdefghjkmnpqrs" }),
    name: z.string(),
    description: z.string().nullable(),
    is_active: z.boolean(),
    memory_count: z.number().int(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("App");
export type App = z.infer<typeof AppSchema>;

export const CreateAppBody = z
  .object({ name: AppNameSchema, description: z.string().max(500).optional() })
  .strict()
  .openapi("CreateApp");

export const UpdateAppBody = z
  .object({ is_active: z.boolean().optional(), description: z.string().max(500).nullable().optional() })
  .strict()
  .refine((b) => b.is_active !== undefined || b.description !== undefined, {
    message: "give is_active or description",
  })
  .openapi("UpdateApp");
