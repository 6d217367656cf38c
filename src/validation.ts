/**
 * Input rules shared by every face's schemas, for values PostgreSQL would refuse with an error of its own: text
 * without NUL (text and jsonb cannot hold U+0000), JSON metadata of bounded depth, and timestamps inside the range
 * `timestamptz` parses. A value that breaks one is a 400 naming the field, never a database error.
 */
import { z } from "@hono/zod-openapi";

export const NUL_MESSAGE = "must not contain the NUL character (\\u0000)";

/** How deep metadata may nest: the object itself is level 1, each object or array inside it one more. */
export const METADATA_MAX_DEPTH = 32;

/** Metadata's size limit, in characters of its JSON. */
export const METADATA_MAX_JSON = 16_384;

export function hasNul(s: string): boolean {
  return s.includes("\u0000");
}

/** The same string schema, refusing any value with a NUL in it. */
export function noNul<T extends z.ZodType<string>>(schema: T): T {
  return schema.refine((s) => !hasNul(s), NUL_MESSAGE) as T;
}

export interface JsonProblem {
  /** Where, from the value given (an empty path is the value itself). */
  path: Array<string | number>;
  message: string;
}

/**
 * The first NUL in a JSON-like value's strings or keys, and (with `maxDepth`) an object or array nested deeper than
 * that. Iterative, so a hostile nesting cannot overflow the stack. A key with a NUL is reported at its object, so
 * that the field named in the error is printable, and too deep a nesting at the value itself.
 */
export function findJsonProblem(
  value: unknown,
  maxDepth = Number.POSITIVE_INFINITY,
): JsonProblem | undefined {
  // Each node links to its parent; a path is built only for the node at fault. Copying the path at every node
  // was quadratic in depth: a body nested 100,000 levels held the event loop for minutes.
  interface Node {
    value: unknown;
    key: string | number | undefined;
    parent: Node | undefined;
    depth: number;
  }
  const pathOf = (n: Node): Array<string | number> => {
    const path: Array<string | number> = [];
    for (let at: Node | undefined = n; at?.parent; at = at.parent) path.push(at.key as string | number);
    return path.reverse();
  };
  const stack: Node[] = [{ value, key: undefined, parent: undefined, depth: 1 }];
  while (stack.length > 0) {
    const node = stack.pop() as Node;
    const v = node.value;
    if (typeof v === "string") {
      if (hasNul(v)) return { path: pathOf(node), message: NUL_MESSAGE };
      continue;
    }
    if (v === null || typeof v !== "object") continue;
    if (node.depth > maxDepth) return { path: [], message: `must nest at most ${maxDepth} levels deep` };
    const entries: Array<[string | number, unknown]> = Array.isArray(v)
      ? v.map((item, i) => [i, item])
      : Object.entries(v);
    if (entries.some(([key]) => typeof key === "string" && hasNul(key))) {
      return { path: pathOf(node), message: `keys ${NUL_MESSAGE}` };
    }
    // Pushed in reverse, so that fields are visited in document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, item] = entries[i] as [string | number, unknown];
      stack.push({ value: item, key, parent: node, depth: node.depth + 1 });
    }
  }
  return undefined;
}

/** Metadata: a JSON object, at most METADATA_MAX_DEPTH levels deep, no NUL in keys or strings, at most 16 KiB. */
export const MetadataSchema = z
  .record(z.string(), z.unknown())
  .superRefine((m, ctx) => {
    // Depth and NUL first: JSON.stringify of a hostile nesting would overflow the stack.
    const problem = findJsonProblem(m, METADATA_MAX_DEPTH);
    if (problem) {
      ctx.addIssue({ code: "custom", path: problem.path, message: problem.message });
      return;
    }
    if (JSON.stringify(m).length > METADATA_MAX_JSON) {
      ctx.addIssue({ code: "custom", message: "must serialise to at most 16 KiB of JSON" });
    }
  })
  .openapi({ example: { topic: "food" } });

const OFFSET = /(?:Z|([+-])(\d{2}):?(\d{2}))$/i;

/**
 * An ISO 8601 date-time with an offset that `timestamptz` accepts: year 0001 to 9999 (PostgreSQL has no year 0)
 * and an offset within ±14:00, the widest in use (PostgreSQL itself refuses beyond ±15:59).
 */
export function isStorableTimestamp(s: string): boolean {
  const year = Number(s.slice(0, 4));
  if (!/^\d{4}-/.test(s) || year < 1) return false;
  const offset = OFFSET.exec(s);
  if (!offset) return false;
  if (offset[1] === undefined) return true;
  const minutes = Number(offset[2]) * 60 + Number(offset[3]);
  return Number(offset[3]) < 60 && minutes <= 14 * 60;
}

/** A date-time filter: ISO 8601 with Z or an offset, inside what the database can compare. */
export const IsoTimestampSchema = z.iso
  .datetime({ offset: true })
  .refine(isStorableTimestamp, "must be a date-time from year 0001 to 9999 with an offset within ±14:00")
  .openapi({ format: "date-time", example: "2026-01-08T10:00:00Z" });

/** Outside these instants a time's UTC form leaves years 0001 to 9999, so it could not be read back, nor exported. */
const STORED_MIN_MS = Date.parse("0001-01-01T00:00:00Z");
const STORED_MAX_MS = Date.parse("9999-12-31T23:59:59Z");

/**
 * A date-time the caller stores (a memory's occurred_at), not only compares: IsoTimestampSchema, and in UTC too
 * inside years 0001 to 9999 (0001-01-01T00:00:00+14:00 is year 0 in UTC, which an export could not write back).
 */
export const StoredTimestampSchema = IsoTimestampSchema.refine((s) => {
  const ms = Date.parse(s);
  return ms >= STORED_MIN_MS && ms <= STORED_MAX_MS;
}, "must be from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z in UTC");
