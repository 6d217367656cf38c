/**
 * fast-check arbitraries for the route fuzzer (test/fuzz-routes.test.ts): hostile strings, numbers, dates and JSON,
 * values shaped by an OpenAPI 3.1 schema with hostile leaves, raw bodies and header values.
 */
import fc from "fast-check";

/** Text PostgreSQL, tsquery, JSON and URL parsers each treat specially, and unicode that breaks naive code. */
export const HOSTILE_STRINGS: readonly string[] = [
  // empty, blank, NUL and other control characters
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\u0001\u0002\u001b[31m\u001f\u007f",
  "\t\r\n\v\f",
  "\u0085\u2028\u2029",
  // unicode edge cases: BOM, zero-width, bidi override, lone surrogates, noncharacters, combining, astral, folding
  "\ufeffbom",
  "\u200b\u200c\u200d\u2060",
  "\u202etxet\u202c",
  "\ud800",
  "x\udfffy",
  "\uffff\ufffe\ufdd0",
  `e${"\u0301".repeat(200)}`,
  "👩‍👩‍👧‍👦🧠𝕏",
  "İıßǅ\u0130",
  "\u00a0\u3000",
  // SQL
  "' OR '1'='1",
  "'; DROP TABLE memories; --",
  "\\",
  "\\'",
  "%",
  "_%_",
  "$1",
  "$$ $tag$",
  "E'\\x00'",
  "/* --",
  "::regclass",
  // tsquery syntax: operators, prefixes, weights, phrase distances, unbalanced parentheses
  "a & b",
  "a | b",
  "!a",
  "a:*",
  "(a",
  "a)",
  "a <-> b",
  "a <2> b",
  "a <99999> b",
  "&",
  "|!&",
  ":*",
  "''",
  "'a':*",
  "a & | b",
  "!!!!",
  "((((((((((",
  "\\:",
  "a:ABCD",
  "a:*B",
  // numbers and words with meaning elsewhere
  "null",
  "undefined",
  "true",
  "NaN",
  "Infinity",
  "-1",
  "0",
  "1e309",
  "0x10",
  "9".repeat(40),
  // paths, ids of the wrong shape, prototype keys, templates
  "../../etc/passwd",
  "..",
  ".",
  "/",
  "%2e%2e%2f",
  "%ZZ",
  "?a=b#c",
  "*",
  "mem_",
  `mem_${"z".repeat(26)}`,
  "mem_01jh8x0000abcdefghjkmnpqrs",
  `sess_${"0".repeat(26)}`,
  "usr_x",
  `key_${"z".repeat(26)}`,
  `aud_${"0".repeat(26)}`,
  "00000000-0000-0000-0000-000000000000",
  "__proto__",
  "constructor",
  "<script>alert(1)</script>",
  // A template placeholder, as text: not one of ours.
  ["$", "{7*7}{{7*7}}"].join(""),
  "a".repeat(65),
  "a".repeat(129),
];

/** Over every limit: a text limit (16,000 by default), tsvector's 1 MB, and the 1 MiB body limit. */
export const HUGE_STRINGS: readonly string[] = [
  "x".repeat(16_001),
  Array.from({ length: 4000 }, (_, i) => `w${i.toString(36)}`).join(" "),
  "\u{1F9E0}".repeat(9000),
  "y".repeat(1_100_000),
];

/** Date-times the schemas or PostgreSQL might disagree about. */
export const HOSTILE_DATES: readonly string[] = [
  "0000-01-01T00:00:00Z",
  "0001-01-01T00:00:00+14:00",
  "9999-12-31T23:59:59Z",
  "9999-12-31T23:59:60Z",
  "10000-01-01T00:00:00Z",
  "+275760-09-13T00:00:00Z",
  "-000001-01-01T00:00:00Z",
  "2024-02-30T00:00:00Z",
  "2024-13-01T00:00:00Z",
  "2024-01-01T24:00:00Z",
  "2024-01-01T00:00:00+23:59",
  "2024-01-01T00:00:00-15:00",
  "2024-01-01T00:00:00+14:01",
  "2024-01-01T00:00:00.123456789Z",
  "2024-01-01T00:00:00",
  "2024-01-01",
  "2024-01-01T00:00:00z",
  "infinity",
  "-infinity",
  "epoch",
  "now",
  "allballs",
  "1e308",
];

const VALID_DATES = ["2026-01-08T10:00:00Z", "2020-02-29T23:59:59.999+14:00", "1970-01-01T00:00:00-12:00"];

export const HOSTILE_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1.5,
  1e308,
  -1e308,
  5e-324,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  101,
  501,
];

/** Nested deeper than any limit: as objects, so a body can carry one at any field. */
function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { d: v };
  return v;
}

const DEEP_VALUES: readonly unknown[] = [nested(40), nested(2000)];

const WORDS = ["tea", "coffee", "alpha", "secret", "lisbon", "piano", "the", "a"];

/** A string of the right type whose content is hostile: what reaches handlers, SQL and tsquery. */
export const textArb: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.constantFrom(...WORDS), weight: 2 },
  { arbitrary: fc.constantFrom(...HOSTILE_STRINGS), weight: 3 },
  { arbitrary: fc.string({ unit: "binary", maxLength: 40 }), weight: 2 },
  { arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }), weight: 1 },
  // Single UTF-16 code units: lone surrogates included.
  {
    arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((n) => String.fromCharCode(n)) }),
    weight: 1,
  },
  {
    arbitrary: fc
      .array(fc.constantFrom(...WORDS, ...HOSTILE_STRINGS.slice(25, 52)), { maxLength: 8 })
      .map((a) => a.join(" ")),
    weight: 2,
  },
  { arbitrary: fc.constantFrom(...HUGE_STRINGS), weight: 1 },
);

/** Any JSON value of any type: the wrong type for most fields. */
export const hostileArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: textArb, weight: 3 },
  { arbitrary: fc.constantFrom(...HOSTILE_DATES), weight: 1 },
  { arbitrary: fc.constantFrom(...HOSTILE_NUMBERS), weight: 1 },
  { arbitrary: fc.constantFrom<unknown>(null, true, false, [], {}, [null], { "": null }), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 2 },
  { arbitrary: fc.constantFrom(...DEEP_VALUES), weight: 1 },
  {
    arbitrary: fc.constantFrom<unknown>(
      Array.from({ length: 5000 }, (_, i) => i),
      Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
    ),
    weight: 1,
  },
);

/** The part of OpenAPI 3.1's schema object the document uses. */
export interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
}

export interface Components {
  schemas?: Record<string, Schema>;
}

function resolve(schema: Schema, components: Components): Schema {
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) {
    const name = s.$ref.replace("#/components/schemas/", "");
    s = components.schemas?.[name] ?? {};
  }
  return s;
}

/** A value of the schema's own shape (what validation should accept), content hostile within the type. */
function validArb(
  schema: Schema,
  components: Components,
  hostile: boolean,
  depth: number,
): fc.Arbitrary<unknown> {
  const s = resolve(schema, components);
  if (s.enum) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((a) => shapedArb(a, components, hostile, depth)));
  if (s.allOf) {
    const merged: Schema = { type: "object", properties: {}, required: [] };
    for (const part of s.allOf.map((p) => resolve(p, components))) {
      Object.assign(merged.properties as object, part.properties);
      merged.required?.push(...(part.required ?? []));
    }
    return validArb(merged, components, hostile, depth);
  }
  const types = Array.isArray(s.type) ? s.type : [s.type ?? "object"];
  return fc.oneof(...types.map((t) => typedArb(t, s, components, hostile, depth)));
}

function typedArb(
  type: string,
  s: Schema,
  components: Components,
  hostile: boolean,
  depth: number,
): fc.Arbitrary<unknown> {
  switch (type) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return fc.integer({ min: s.minimum ?? -1000, max: s.maximum ?? 1000 });
    case "number":
      return fc.double({ min: s.minimum ?? -1000, max: s.maximum ?? 1000, noNaN: true });
    case "string": {
      if (s.format === "date-time")
        return fc.oneof(
          { arbitrary: fc.constantFrom(...VALID_DATES), weight: 3 },
          fc.constantFrom(...HOSTILE_DATES),
        );
      const max = s.maxLength ?? 10_000;
      const min = s.minLength ?? 0;
      if (s.pattern) {
        return fc
          .stringMatching(new RegExp(s.pattern), { size: "small" })
          .filter((v) => v.length >= min && v.length <= max);
      }
      return textArb.map((v) => (v.length < min ? `${v}x`.padEnd(min, "x") : v.slice(0, max)));
    }
    case "array":
      return fc.array(shapedArb(s.items ?? {}, components, hostile, depth + 1), {
        minLength: s.minItems ?? 0,
        maxLength: Math.min(s.maxItems ?? 4, 4),
      });
    default: {
      if (!s.properties) {
        // A free-form object (metadata): keys and values from the hostile pools, now and then too deep or big.
        return fc.oneof(
          fc.dictionary(textArb, depth > 3 || !hostile ? fc.jsonValue({ maxDepth: 2 }) : hostileArb, {
            maxKeys: 4,
          }),
          fc.constantFrom<unknown>({ "a.b": { "->": "'" } }, { __proto__: { admin: true } }, nested(40)),
        );
      }
      const props = Object.entries(s.properties);
      const required = (s.required ?? []).filter((k) => k in (s.properties ?? {}));
      const record = fc.record(
        Object.fromEntries(props.map(([k, sub]) => [k, shapedArb(sub, components, hostile, depth + 1)])),
        { requiredKeys: required },
      );
      if (!hostile) return record;
      // Now and then an extra key, or a required one left out.
      return fc
        .tuple(record, fc.option(fc.tuple(textArb, hostileArb), { freq: 10 }), fc.nat({ max: 14 }))
        .map(([r, extra, drop]) => {
          const out: Record<string, unknown> = { ...r };
          if (extra) out[extra[0]] = extra[1];
          if (drop === 0 && required.length > 0) delete out[required[0] as string];
          return out;
        });
    }
  }
}

/**
 * The schema's shape, its strings' content hostile. With `hostile`, now and then a leaf of any type, an extra key or
 * a missing required one; without, types and keys as the schema says, so that most values reach the handlers.
 */
export function shapedArb(
  schema: Schema,
  components: Components,
  hostile = true,
  depth = 0,
): fc.Arbitrary<unknown> {
  if (depth > 6) return hostile ? hostileArb : fc.constant(null);
  if (!hostile) return validArb(schema, components, hostile, depth);
  return fc.oneof(
    { arbitrary: validArb(schema, components, hostile, depth), weight: 8 },
    { arbitrary: hostileArb, weight: 1 },
  );
}

/** Bodies that are not a JSON value the schema could take, as raw text. */
export const RAW_BODIES: readonly string[] = [
  "",
  "null",
  "[]",
  "0",
  '"text"',
  "{",
  '{"text": "unterminated',
  "{'text': 'single quotes'}",
  '{"text":"a",}',
  "\ufeff{}",
  '{"text":"\\ud800"}',
  '{"text":"a","text":"b"}',
  '{"__proto__":{"admin":true},"text":"proto"}',
  '{"constructor":{"prototype":{"x":1}}}',
  "1e99999",
  "text=a&infer=true",
  "\u0000",
  `${'{"d":'.repeat(100_000)}1${"}".repeat(100_000)}`,
  `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
  `{"text":"${"z".repeat(1_100_000)}"}`,
];

/** Header values a client can send (Latin-1, no CR/LF/NUL: fetch refuses those before any server sees them). */
export const headerTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    "",
    "0",
    "' OR 1=1 --",
    "a:b:c",
    ":",
    "acme:",
    ":user",
    "..",
    "default",
    "ÿþ",
    "x".repeat(200),
    "x".repeat(9000),
    "usr_0000000000",
    "%00",
  ),
  fc.string({
    unit: fc
      .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff }))
      .map((n) => String.fromCharCode(n)),
    maxLength: 30,
  }),
);

export const CONTENT_TYPES: readonly string[] = [
  "application/json",
  "application/json; charset=utf-8",
  "application/json; charset=utf-16",
  "application/json; charset=nonsense",
  "APPLICATION/JSON",
  "application/json;;;",
  "application/merge-patch+json",
  "application/vnd.api+json",
  "application/x-www-form-urlencoded",
  "text/plain",
  "text/html",
  "application/xml",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  "multipart/form-data; boundary=b",
  "application/octet-stream",
  "*/*",
  "",
  "json",
];
