/**
 * Route fuzzer (issue #9): fast-check over every operation of /openapi.json, so a new route cannot escape. Each case
 * is one request: path params, query params and JSON body shaped by the document's schemas with hostile leaves
 * (wrong types, huge and deep values, NUL and other control characters, unicode edge cases, SQL and tsquery syntax,
 * bad ids and dates), arbitrary JSON and raw non-JSON bodies, and hostile X-User-Id / X-Muxi-User-Id /
 * X-Muxi-Tenant-Id / X-Tenant-Id / Content-Type / Authorization headers, sent with valid keys (the admin key, a
 * user key, a client key) so requests reach validation and handlers. Every answer must be:
 * - below 500 (and a chat stream's error event too), within REQUEST_TIMEOUT_MS (a hang fails, and so does a handler
 *   that holds the event loop that long: the answer comes late, and its time is checked too);
 * - a 4xx with the one error body {error:{code,message,request_id}}, its code's own status (unless the document
 *   gives that status another schema: OpenMemory's login);
 * - nothing written when the answer is 4xx: a fingerprint of the main tables (row counts and a hash of each row but
 *   its best-effort touch columns) is taken after every request, and must not move across a 4xx;
 * - and no request changes the victim tenant's rows (fingerprinted after each operation), nor what the victim reads.
 * Afterwards the server still answers /healthz and a normal add + search.
 *
 * ENGRAM_FUZZ_SEED (printed) and ENGRAM_FUZZ_RUNS (cases per operation; default 25, 400 under ENGRAM_SOAK=1)
 * choose the run; the streaming operations (NDJSON in or out: GET /v1/export, POST /v1/import) get
 * ENGRAM_FUZZ_STREAM_RUNS (default 10, at most ENGRAM_FUZZ_RUNS; all ENGRAM_FUZZ_RUNS under ENGRAM_SOAK=1). A failure
 * prints fast-check's counterexample and the seed and path to replay it; a late answer prints the case itself.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { codeToStatus } from "../src/errors.js";
import { backends } from "./helpers/backends.js";
import {
  CONTENT_TYPES,
  type Components,
  headerTextArb,
  hostileArb,
  RAW_BODIES,
  type Schema,
  shapedArb,
  textArb,
} from "./helpers/fuzz-values.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name}: expected a non-negative integer, got '${raw}'`);
  return n;
}

const SOAK = process.env.ENGRAM_SOAK === "1";
const SEED = envInt("ENGRAM_FUZZ_SEED", 20260108);
const RUNS = envInt("ENGRAM_FUZZ_RUNS", SOAK ? 400 : 25);
/**
 * Cases for a streaming operation. Each costs several times a JSON route's (an export streams a whole scope with its
 * vectors and writes an audit row; an import reads its body to the end), so the everyday run gives them a bounded
 * slice: the same arbitraries (principals, hostile query, headers, content types, bodies), fewer draws. The soak run
 * gives them as many as every other operation.
 */
const STREAM_RUNS = envInt("ENGRAM_FUZZ_STREAM_RUNS", SOAK ? RUNS : Math.min(RUNS, 10));
const NDJSON = "application/x-ndjson";
const REQUEST_TIMEOUT_MS = 10_000;
/** Longer than any URL a Node server takes (16 KiB request line): huge values belong in bodies. */
const MAX_URL_PART = 8000;

interface Param {
  name: string;
  in: "path" | "query" | "header";
  schema?: Schema;
}
interface Operation {
  parameters?: Param[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  tags?: string[];
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: Components;
}

/** A user whose resources fill path, query, header and body values. */
interface Owner {
  tenant: string;
  user: string;
  /** Headers that act as this user: its own key, or the admin key naming it. */
  as: Record<string, string>;
  memory: string;
  session: string;
  app: string;
  appName: string;
  /** A spare key of the user's, which the admin may revoke or rotate. */
  keyId: string;
}

interface Case {
  principal: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string | undefined;
}

type Res = Awaited<ReturnType<TestEngram["call"]>>;

/** Whether an operation streams NDJSON, in its request body or in an answer. */
function streams(op: Operation): boolean {
  const answers = Object.values(op.responses ?? {}).flatMap((r) => Object.keys(r.content ?? {}));
  return [...Object.keys(op.requestBody?.content ?? {}), ...answers].includes(NDJSON);
}

/**
 * A client key acting for a user its tenant does not have yet creates that user (and its audit row) before the route
 * runs (src/http/auth.ts, actorFor): committed on its own, whatever the route answers next. With $2 (the time of the
 * previous fingerprint), rows of users created since are left out, so a 4xx that only provisioned its user passes.
 */
const PROVISIONED: Record<string, string> = {
  users: "($2::timestamptz IS NULL OR created_at <= $2)",
  // Also left out: the record of a refused request (a 403 writes who tried what, src/http/app.ts, auditRefusal), the
  // one row a refusal is meant to write; test/audit.test.ts checks those rows themselves.
  audit_log:
    "($2::timestamptz IS NULL OR action <> 'user.create' OR at <= $2) AND action <> 'request.refused'",
};

/** Every main table's fingerprint: rows and a hash of each row, but the columns written best-effort off the request. */
const FINGERPRINT_SQL = (
  [
    ["tenants", "to_jsonb(t)", "id"],
    ["users", "to_jsonb(t) - 'last_active_at'", "tenant_id"],
    ["api_keys", "to_jsonb(t) - 'last_used_at'", "tenant_id"],
    // Columns named: the embedding is large and follows the text.
    [
      "memories",
      "row(id, tenant_id, user_id, app, session_id, text, metadata, state, embedding_model, created_at, updated_at)",
      "tenant_id",
    ],
    ["memory_events", "to_jsonb(t)", "tenant_id"],
    ["apps", "to_jsonb(t)", "tenant_id"],
    ["sessions", "to_jsonb(t)", "tenant_id"],
    ["session_messages", "to_jsonb(t)", "tenant_id"],
    ["audit_log", "to_jsonb(t)", "tenant_id"],
  ] as const
)
  .map(
    ([table, row, tenant]) =>
      `SELECT '${table}' AS name, count(*)::int AS n, coalesce(sum(hashtext((${row})::text)::bigint), 0)::text AS h
       FROM ${table} t WHERE ($1::text IS NULL OR ${tenant} = $1) AND ${PROVISIONED[table] ?? "true"}`,
  )
  .concat(["SELECT 'at' AS name, 0 AS n, clock_timestamp()::text AS h"])
  .join(" UNION ALL ");

const AUTH_GARBAGE = (key: string): string[] => [
  "Bearer",
  "Bearer ",
  `Bearer ${key} extra`,
  `Bearer ${key}\t`,
  `bearer ${key}`,
  `Token ${key}`,
  "Basic YTpi",
  `Bearer ${key.slice(0, -1)}`,
  `Bearer ${key}x`,
  "Bearer ek_admin_",
  `Bearer ek_user_${"x".repeat(5000)}`,
  "Bearer ' OR 1=1 --",
];

/** Percent-encodes a value; a lone surrogate cannot be, so it goes as the bytes a raw client could send. */
function encode(s: string): string {
  try {
    return encodeURIComponent(s.slice(0, MAX_URL_PART));
  } catch {
    return "%ED%A0%80";
  }
}

const PERCENT_JUNK = ["%ZZ", "%ED%A0%80", "%C0%AF", "%FF", "%", "%00", "%2F", "a%2F..%2F..", "%E2%80%AE"];

function asParam(v: unknown): string {
  return typeof v === "string" ? v : (JSON.stringify(v) ?? "");
}

async function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms: ${what}`)),
      REQUEST_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What is wrong with one answer, if anything: a 5xx, a stream's 5xx error event, a 4xx not in the error shape. */
function problemWith(res: Res, op: Operation): string | undefined {
  if (res.status >= 500) return `status ${res.status}: ${JSON.stringify(res.body).slice(0, 300)}`;
  if (typeof res.body === "string" && res.headers.get("content-type")?.startsWith("text/event-stream")) {
    for (const m of res.body.matchAll(/^event: error\ndata: (.*)$/gm)) {
      const code = (JSON.parse(m[1] as string) as { error?: { code?: string } }).error?.code ?? "";
      const status = codeToStatus[code as keyof typeof codeToStatus] ?? 500;
      if (status >= 500) return `stream error event ${code}: ${m[1]}`;
    }
  }
  if (res.status < 400) return undefined;
  const documented = op.responses?.[String(res.status)]?.content?.["application/json"]?.schema?.$ref;
  if (documented && !documented.endsWith("/Error")) return undefined;
  const err = (res.body as { error?: Record<string, unknown> } | undefined)?.error;
  if (typeof err?.code !== "string" || typeof err.message !== "string" || typeof err.request_id !== "string")
    return `status ${res.status} without the error shape: ${JSON.stringify(res.body).slice(0, 300)}`;
  const want = codeToStatus[err.code as keyof typeof codeToStatus];
  if (want !== res.status) return `code ${err.code} is ${want}, answered ${res.status}`;
  return undefined;
}

describe.each(backends)("route fuzzer ($name)", (backend) => {
  let e: TestEngram;
  let doc: Doc;
  const tf = uid("tf").toLowerCase();
  const tv = uid("tv").toLowerCase();
  let F: Owner; // the user key fuzzing
  let S: Owner; // the admin's sandbox user: the admin may rename, revoke, rotate and delete
  let V: Owner; // the victim, in another tenant: its ids are tried by the user and client keys
  let fKey: string;
  let vKey: string;
  let clientKey: string;

  async function ok(res: Res, what: string): Promise<Res> {
    if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
    return res;
  }

  /** Each main table's `rows:hash`, and `at`: when it was taken. */
  async function fingerprint(tenant: string | null = null, since?: string): Promise<Record<string, string>> {
    const rows = await e.runtime.services.db.query<{ name: string; n: number; h: string }>(FINGERPRINT_SQL, [
      tenant,
      since ?? null,
    ]);
    return Object.fromEntries(rows.map((r) => [r.name, r.name === "at" ? r.h : `${r.n}:${r.h}`]));
  }

  function changed(a: Record<string, string>, b: Record<string, string>): string[] {
    return Object.keys(a).filter((k) => k !== "at" && a[k] !== b[k]);
  }

  /** Makes a user's resources, or remakes those the fuzzing deleted, paused, revoked or rotated. */
  async function ensureOwner(
    tenant: string,
    user: string,
    as: Record<string, string>,
    had?: Owner,
  ): Promise<Owner> {
    const exists = await e.call("GET", `/v1/users/${user}?tenant=${tenant}`, { key: ADMIN_KEY });
    if (exists.status === 404) {
      const made = await e.call("POST", "/v1/users", { key: ADMIN_KEY, body: { user_id: user, tenant } });
      await ok(made, "user");
    }
    const apps = (await ok(await e.call("GET", "/v1/apps", { headers: as }), "apps")).body.apps as Array<{
      id: string;
      name: string;
      is_active: boolean;
    }>;
    for (const a of apps.filter((x) => !x.is_active)) {
      await ok(
        await e.call("PATCH", `/v1/apps/${a.id}`, { headers: as, body: { is_active: true } }),
        "unpause",
      );
    }
    const app: { id: string; name: string } =
      apps.find((a) => a.id === had?.app) ??
      (await ok(await e.call("POST", "/v1/apps", { headers: as, body: { name: uid("app") } }), "app")).body;
    const sessionOk =
      had && (await e.call("GET", `/v1/sessions/${had.session}`, { headers: as })).status === 200;
    const session = sessionOk
      ? had.session
      : (await ok(await e.call("POST", "/v1/sessions", { headers: as, body: {} }), "session")).body.id;
    const kept = had && (await e.call("GET", `/v1/memories/${had.memory}`, { headers: as }));
    const memory =
      kept && kept.status === 200 && kept.body.state === "active"
        ? kept.body.id
        : (
            await ok(
              await e.call("POST", "/v1/memories", {
                headers: as,
                body: { text: `owned by ${user}: tea`, app: app.name, session_id: session },
              }),
              "memory",
            )
          ).body.id;
    const keys = await e.call("GET", `/v1/users/${user}/keys?tenant=${tenant}`, { key: ADMIN_KEY });
    // A rotated key has an expiry: it is gone soon, so it is replaced as a revoked one is.
    const spare = (
      keys.body.keys as Array<{ id: string; revoked_at: string | null; expires_at: string | null }>
    )
      .filter((k) => !k.revoked_at && !k.expires_at)
      .find((k) => k.id === had?.keyId);
    const keyId =
      spare?.id ??
      (
        await ok(
          await e.call("POST", `/v1/users/${user}/keys?tenant=${tenant}`, {
            key: ADMIN_KEY,
            body: { name: "spare" },
          }),
          "spare key",
        )
      ).body.key.id;
    return { tenant, user, as, memory, session, app: app.id, appName: app.name, keyId };
  }

  /** What the victim sees of its own data, as the victim and as the admin (touch times left out). */
  async function victimView(): Promise<string> {
    const reads: Array<[string, string]> = [
      [vKey, `/v1/memories/${V.memory}`],
      [vKey, `/v1/memories/${V.memory}/history`],
      [vKey, "/v1/memories?limit=100"],
      [vKey, `/v1/sessions/${V.session}`],
      [vKey, "/v1/apps"],
      [ADMIN_KEY, `/v1/users/${V.user}/keys?tenant=${tv}`],
    ];
    const out: unknown[] = [];
    for (const [key, path] of reads) out.push((await e.call("GET", path, { key })).body);
    return JSON.stringify(out, (k, v) => (k === "last_used_at" || k === "last_active_at" ? undefined : v));
  }

  beforeAll(async () => {
    // Rate limits off: thousands of requests from one address, many with bad keys, would otherwise be 429s.
    e = await startEngram(
      backend,
      { ENGRAM_RATE_LIMIT_PER_KEY: "0", ENGRAM_RATE_LIMIT_FAILED_AUTH: "0" },
      { embedder: "words" },
    );
    doc = (await e.call("GET", "/openapi.json")).body;
    for (const t of [tf, tv])
      await ok(await e.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: t } }), t);
    const fUser = uid("fuzzf");
    const sUser = uid("fuzzs");
    const vUser = uid("victim");
    fKey = await makeUser(e, fUser, tf);
    vKey = await makeUser(e, vUser, tv);
    await makeUser(e, sUser, tf);
    clientKey = (await ok(await e.call("POST", `/v1/tenants/${tf}/keys`, { key: ADMIN_KEY, body: {} }), "ck"))
      .body.api_key;
    F = await ensureOwner(tf, fUser, { authorization: `Bearer ${fKey}` });
    S = await ensureOwner(tf, sUser, {
      authorization: `Bearer ${ADMIN_KEY}`,
      "x-tenant-id": tf,
      "x-user-id": sUser,
    });
    V = await ensureOwner(tv, vUser, { authorization: `Bearer ${vKey}` });
  });
  afterAll(async () => {
    await e?.close();
  });

  /** The principals a case is sent as, and the ids each may name (the victim's only by those it must not reach). */
  function principals(
    admin: boolean,
  ): Array<{ name: string; headers: Record<string, string>; ids: string[] }> {
    const own = (o: Owner) => [o.memory, o.session, o.app, o.appName, o.keyId, o.user, o.tenant];
    const victim = own(V);
    const asAdmin = {
      name: "admin",
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
      ids: [...own(S), "default"],
    };
    const user = { name: "user key", headers: F.as, ids: [...own(F), ...victim] };
    if (admin) return [asAdmin, asAdmin, user];
    return [
      user,
      user,
      {
        name: "client key",
        headers: { authorization: `Bearer ${clientKey}`, "x-user-id": F.user },
        ids: user.ids,
      },
      { name: "admin acting for S", headers: S.as, ids: asAdmin.ids },
      { name: "admin acting for S", headers: S.as, ids: asAdmin.ids },
      asAdmin,
    ];
  }

  function caseArb(method: string, template: string, op: Operation): fc.Arbitrary<Case> {
    const comps = doc.components;
    const params = op.parameters ?? [];
    // A body the document does not describe (OpenMemory's search reads its own) is fuzzed as an object.
    const schema = op.requestBody?.content?.["application/json"]?.schema ?? { type: "object" };
    return fc.constantFrom(...principals(op.tags?.includes("admin") ?? false)).chain((p) => {
      const id = fc.oneof(
        { arbitrary: fc.constantFrom(...p.ids), weight: 4 },
        { arbitrary: textArb, weight: 2 },
        { arbitrary: hostileArb.map(asParam), weight: 1 },
      );
      const names = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
      const path = fc
        .tuple(
          ...names.map(() =>
            fc.oneof({ arbitrary: id.map(encode), weight: 6 }, fc.constantFrom(...PERCENT_JUNK)),
          ),
        )
        .map((vals) => {
          let i = 0;
          return template.replace(/\{(\w+)\}/g, () => vals[i++] ?? "");
        });
      const queryParams = params.filter((q) => q.in === "query");
      const query = fc
        .tuple(
          ...queryParams.map((q) =>
            fc.option(
              fc.oneof(
                { arbitrary: shapedArb(q.schema ?? {}, comps, false).map(asParam), weight: 6 },
                { arbitrary: shapedArb(q.schema ?? {}, comps, true).map(asParam), weight: 2 },
                { arbitrary: id, weight: 1 },
                // Repeated: `limit=1&limit=2`.
                { arbitrary: fc.array(id, { minLength: 2, maxLength: 3 }), weight: 1 },
              ),
              { freq: 2 },
            ),
          ),
          fc.option(fc.tuple(textArb, textArb), { freq: 10 }),
        )
        .map((vals) => {
          const pairs: string[] = [];
          queryParams.forEach((q, i) => {
            const v = vals[i];
            if (v === null || v === undefined) return;
            for (const one of Array.isArray(v) ? v : [v]) pairs.push(`${q.name}=${encode(asParam(one))}`);
          });
          const extra = vals[queryParams.length] as [string, string] | null;
          if (extra) pairs.push(`${encode(extra[0])}=${encode(extra[1])}`);
          return pairs.join("&");
        });
      const headerValue = fc.oneof(fc.constantFrom(...p.ids, V.user, tv), headerTextArb);
      const headers = fc
        .record(
          {
            "x-user-id": headerValue,
            "x-muxi-user-id": headerValue,
            "x-muxi-tenant-id": headerValue,
            "x-tenant-id": headerValue,
            "content-type": fc.constantFrom(...CONTENT_TYPES),
            authorization: fc.oneof(fc.constantFrom(...AUTH_GARBAGE(fKey)), headerTextArb),
            "x-api-key": headerTextArb,
            "x-request-id": headerTextArb,
          },
          { requiredKeys: [] },
        )
        .chain((h) =>
          // Most cases keep the principal's headers; the others override one or two.
          fc
            .oneof(
              { arbitrary: fc.constant<string[]>([]), weight: 2 },
              { arbitrary: fc.subarray(Object.keys(h), { minLength: 1, maxLength: 2 }), weight: 1 },
            )
            .map((keep) => {
              const out: Record<string, string> = { ...p.headers, "content-type": "application/json" };
              for (const k of keep) out[k] = (h as Record<string, string>)[k] ?? "";
              return out;
            }),
        );
      const body: fc.Arbitrary<string | undefined> =
        method === "get"
          ? fc.constant(undefined)
          : fc.oneof(
              { arbitrary: shapedArb(schema, comps, false).map((v) => JSON.stringify(v)), weight: 4 },
              { arbitrary: shapedArb(schema, comps, true).map((v) => JSON.stringify(v)), weight: 3 },
              { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)), weight: 1 },
              { arbitrary: fc.constantFrom(...RAW_BODIES), weight: 1 },
              { arbitrary: fc.constant(undefined), weight: 1 },
            );
      return fc.record({ principal: fc.constant(p.name), path, query, headers, body });
    });
  }

  it(
    "every operation: no 5xx, no hang, the error shape, nothing written by a 4xx, the victim untouched",
    { timeout: 600_000 + RUNS * 60 * 500 },
    async () => {
      const started = performance.now();
      const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.entries(methods).map(([method, op]) => ({ method, path, op })),
      );
      expect(ops.length).toBeGreaterThan(30);
      // Export and import, found by their content type: a check that the slice is not silently empty.
      const streaming = ops.filter((o) => streams(o.op)).map((o) => `${o.method.toUpperCase()} ${o.path}`);
      expect(streaming).toEqual(expect.arrayContaining(["GET /v1/export", "POST /v1/import"]));
      const failures: string[] = [];
      const reached = new Map<string, number>(); // answers other than 401/403, per operation
      const statuses = new Map<number, number>();
      let requests = 0;
      const victimBefore = await victimView();
      const victimRows = await fingerprint(tv);

      for (const [index, { method, path: template, op }] of ops.entries()) {
        const name = `${method.toUpperCase()} ${template}`;
        if (index === 0 || ops[index - 1]?.method !== "get") {
          F = await ensureOwner(F.tenant, F.user, F.as, F);
          S = await ensureOwner(S.tenant, S.user, S.as, S);
        }
        let before = await fingerprint();
        const seed = SEED + index;
        const numRuns = streams(op) ? STREAM_RUNS : RUNS;
        const details = await fc.check(
          fc.asyncProperty(caseArb(method, template, op), async (c) => {
            const url = c.query ? `${c.path}?${c.query}` : c.path;
            const what = `${name} as ${c.principal}: ${method.toUpperCase()} ${url.slice(0, 200)}`;
            const sent = performance.now();
            const res = await withTimeout(
              e.call(method.toUpperCase(), url, {
                headers: c.headers,
                ...(c.body !== undefined ? { raw: c.body } : {}),
              }),
              what,
            );
            requests++;
            const took = performance.now() - sent;
            if (took > REQUEST_TIMEOUT_MS) {
              // withTimeout's timer cannot fire while a handler holds the event loop: such a stall shows only as a
              // late answer. Recorded here rather than thrown: shrinking a case that blocks for minutes takes hours.
              const body =
                c.body === undefined ? "no body" : `body of ${c.body.length} chars: ${c.body.slice(0, 60)}`;
              failures.push(
                `${what}: answered ${res.status} after ${Math.round(took)} ms, over ${REQUEST_TIMEOUT_MS} ms ` +
                  `(the event loop was held); ${body}; headers ${JSON.stringify(c.headers).slice(0, 300)}`,
              );
            }
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
            if (res.status !== 401 && res.status !== 403) reached.set(name, (reached.get(name) ?? 0) + 1);
            const after = await fingerprint();
            let moved = changed(before, after);
            if (res.status >= 400 && moved.length > 0 && c.principal === "client key")
              moved = changed(before, await fingerprint(null, before.at));
            before = after;
            const problem = problemWith(res, op);
            if (problem) throw new Error(`${what}: ${problem}`);
            if (res.status >= 400 && moved.length > 0)
              throw new Error(
                `${what}: answered ${res.status} ${res.body?.error?.code} but wrote ${moved.join(", ")}`,
              );
          }),
          { seed, numRuns },
        );
        if (details.failed) {
          const why = details.errorInstance instanceof Error ? details.errorInstance.message : "";
          failures.push(`${name}: ${why}\n${fc.defaultReportMessage(details)}`);
        }
        const victimMoved = changed(victimRows, await fingerprint(tv));
        if (victimMoved.length > 0)
          failures.push(`${name}: the victim tenant's ${victimMoved.join(", ")} changed`);
      }

      if ((await victimView()) !== victimBefore) failures.push("the victim's own view of its data changed");
      // Still serving: health, and a fresh user's add and search.
      expect((await e.call("GET", "/healthz")).status).toBe(200);
      const key = await makeUser(e, uid("after"), tf);
      await ok(
        await e.call("POST", "/v1/memories", { key, body: { text: "after the fuzz: quokka" } }),
        "add",
      );
      const found = await ok(
        await e.call("POST", "/v1/memories/search", { key, body: { query: "quokka" } }),
        "search",
      );
      expect(found.body.results.map((r: { text: string }) => r.text)).toEqual(["after the fuzz: quokka"]);

      const unreached = ops.map((o) => `${o.method.toUpperCase()} ${o.path}`).filter((n) => !reached.has(n));
      const ms = Math.round(performance.now() - started);
      const histogram = [...statuses.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`);
      const line =
        `fuzz-routes (${backend.name}): seed ${SEED}, ${RUNS} runs x ${ops.length - streaming.length} operations ` +
        `+ ${STREAM_RUNS} runs x ${streaming.length} streaming = ${requests} requests ` +
        `(${histogram.join(" ")}), ${failures.length} failures, ${ms} ms`;
      console.log(line);
      expect(failures).toEqual([]);
      expect(unreached, "operations whose every case stopped at 401/403").toEqual([]);
    },
  );

  it("every documented path, with the methods it lacks and mangled spellings: no 5xx, the error shape", async () => {
    const methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    const problems: string[] = [];
    let sent = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      const path = template.replace(/\{\w+\}/g, F.memory);
      const spellings = [
        path,
        `${path}/`,
        `/${path}`,
        path.toUpperCase(),
        `${path}/..%2f..%2f`,
        `${path};x=1`,
      ];
      for (const method of methods) {
        for (const spelling of spellings) {
          if (spelling === path && method.toLowerCase() in ops) continue;
          const op = ops[method.toLowerCase()] ?? {};
          for (const headers of [F.as, { authorization: `Bearer ${ADMIN_KEY}` }]) {
            const res = await withTimeout(
              e.call(method, spelling, { headers, ...(method === "GET" ? {} : { raw: "{}" }) }),
              `${method} ${spelling}`,
            );
            sent++;
            const problem = problemWith(res, op);
            if (problem) problems.push(`${method} ${spelling}: ${problem}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
    expect(sent).toBeGreaterThan(100);
  });
});
