// docs/benchmarks.md from one run of bench/run.ts: written whole by every run, so that the page always shows one
// complete run (its machine, its load, its commit) and never a mix of runs.
import { writeFileSync } from "node:fs";
import { dirname, relative } from "node:path";
import type { BenchResult, SectionResult } from "../run.js";
import { type CellSummary, findSummary, type Spread } from "./measure.js";
import { median } from "./stats.js";

const fmt = (x: number | null | undefined, digits = 1): string => {
  if (x === null || x === undefined || !Number.isFinite(x)) return "-";
  const r = Math.abs(x) >= 100 ? Math.round(x) : Number(x.toFixed(digits));
  return r.toLocaleString("en-US", { maximumFractionDigits: digits });
};

const sp = (s: Spread | undefined, digits = 1): string =>
  s
    ? s.min === s.max
      ? fmt(s.median, digits)
      : `${fmt(s.median, digits)} (${fmt(s.min, digits)}-${fmt(s.max, digits)})`
    : "-";

/** A share as a percentage, with more digits when it is small (mem0's searches are a tiny share of its floor). */
const pct = (x: number): string =>
  x === 0 ? "0%" : `${x >= 0.1 ? fmt(x * 100, 0) : x >= 0.001 ? fmt(x * 100, 2) : (x * 100).toPrecision(2)}%`;

const ratio = (a: number | undefined, b: number | undefined): string =>
  a !== undefined && b !== undefined && b > 0 ? `${fmt(a / b, a / b >= 10 ? 0 : 1)}x` : "-";

const lb = (s: CellSummary | undefined) => (s && s.abandoned > 0 ? " ≥" : "");

/** The median of a latency spread, when some request completed. */
const med = (x: Spread | null | undefined): number | undefined => x?.median;

/** A latency cell's text: "-" when nothing completed. */
const lat = (x: Spread | null | undefined, digits = 1) => (x ? sp(x, digits) : "-");

/** Why a summary has no numbers, or "". */
const why = (x: CellSummary | undefined): string =>
  !x
    ? ""
    : x.skipped
      ? `not run (${x.skipped})`
      : x.p50_ms === null
        ? "none completed in the window and drain"
        : "";

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

const modeLabel: Record<string, string> = {
  hybrid: "Engram hybrid",
  semantic: "Engram semantic",
  mem0: "mem0 search",
};

function headlineTable(r: BenchResult, s: SectionResult): string {
  const rows: string[][] = [];
  for (const c of r.options.concurrency) {
    const g = (system: string, mode: string) =>
      findSummary(s.summary, {
        system,
        op: "search",
        dataset: "small",
        mode,
        cache: "fresh",
        concurrency: c,
      });
    const h = g("engram", "hybrid");
    const se = g("engram", "semantic");
    const m = g("mem0", "mem0");
    const cell = (x: CellSummary | undefined) =>
      !x ? "-" : why(x) || `${sp(x.per_s)} q/s, p95${lb(x)} ${fmt(med(x.p95_ms))} ms`;
    rows.push([
      `search c${c}`,
      cell(h),
      cell(se),
      cell(m),
      m ? `${ratio(h?.per_s.median, m.per_s.median)} / ${ratio(se?.per_s.median, m.per_s.median)}` : "-",
    ]);
  }
  for (const c of r.options.ingestConcurrency) {
    const e = findSummary(s.summary, { system: "engram", op: "add", concurrency: c });
    const m = findSummary(s.summary, { system: "mem0", op: "add", concurrency: c });
    const b = findSummary(s.summary, { system: "engram", op: "batch-add", concurrency: c });
    rows.push([
      `add c${c} (memories/s)`,
      e ? `${sp(e.per_s)}/s, p95 ${fmt(med(e.p95_ms))} ms` : "-",
      b ? `batch: ${sp(b.per_s)}/s` : s.batch.available ? "-" : "batch add: n/a",
      m ? `${sp(m.per_s)}/s, p95 ${fmt(med(m.p95_ms))} ms` : "-",
      m ? ratio(e?.per_s.median, m.per_s.median) : "-",
    ]);
  }
  return table(["", "Engram hybrid", "Engram semantic", "mem0 OSS 3.3.1", "Engram / mem0"], rows);
}

function searchTable(r: BenchResult, s: SectionResult): string {
  const rows: string[][] = [];
  const searches = s.summary.filter((x) => x.op === "search");
  for (const dataset of ["small", "large"]) {
    for (const cache of ["fresh", "warm"]) {
      for (const mode of ["hybrid", "semantic", "mem0"]) {
        for (const c of r.options.concurrency) {
          const x = searches.find(
            (y) => y.dataset === dataset && y.cache === cache && y.mode === mode && y.concurrency === c,
          );
          if (!x) continue;
          const floor = findSummary(s.summary, { system: x.system, op: "floor", concurrency: c });
          const w = why(x);
          if (w) {
            rows.push([
              dataset === "small" ? "small users" : "large user",
              modeLabel[mode] ?? mode,
              cache,
              `c${c}`,
              x.skipped ? "-" : sp(x.per_s),
              w,
              "",
              "",
              "",
              "",
              String(x.n),
            ]);
            continue;
          }
          rows.push([
            dataset === "small" ? "small users" : "large user",
            modeLabel[mode] ?? mode,
            cache,
            `c${c}`,
            sp(x.per_s),
            `${lb(x)}${fmt(med(x.p50_ms))}`,
            `${lb(x)}${lat(x.p95_ms)}`,
            `${lb(x)}${fmt(med(x.p99_ms))}`,
            floor && floor.per_s.median > 0 ? pct(x.per_s.median / floor.per_s.median) : "-",
            `${fmt(x.cpu_ms_per_req.process, 2)} / ${fmt(x.cpu_ms_per_req.database, 2)}`,
            `${x.n}${x.errors ? `, ${x.errors} errors` : ""}${x.exhausted ? ", list ran out" : ""}${x.abandoned ? `, ${x.abandoned} abandoned` : ""}`,
          ]);
        }
      }
    }
  }
  return table(
    [
      "data",
      "system",
      "query embedding",
      "in flight",
      "searches/s",
      "p50 ms",
      "p95 ms",
      "p99 ms",
      "% of floor q/s",
      "CPU ms/req: server / database",
      "n",
    ],
    rows,
  );
}

function floorTable(r: BenchResult, s: SectionResult): string {
  const rows: string[][] = [];
  for (const system of ["engram", "mem0"]) {
    for (const c of r.options.concurrency) {
      const f = findSummary(s.summary, { system, op: "floor", concurrency: c });
      if (!f) continue;
      rows.push([
        system === "engram" ? "Engram GET /v1/me (user key)" : "mem0 wrapper GET /healthz (no mem0 call)",
        `c${c}`,
        sp(f.per_s, 0),
        fmt(med(f.p50_ms), 2),
        fmt(med(f.p95_ms), 2),
        `${fmt(f.cpu_ms_per_req.process, 2)} / ${fmt(f.cpu_ms_per_req.database, 2)}`,
      ]);
    }
  }
  return table(
    ["floor", "in flight", "requests/s", "p50 ms", "p95 ms", "CPU ms/req: server / database"],
    rows,
  );
}

function ingestTable(r: BenchResult, s: SectionResult): string {
  const rows: string[][] = [];
  for (const op of ["add", "batch-add"]) {
    for (const system of ["engram", "mem0"]) {
      for (const c of r.options.ingestConcurrency) {
        const x = findSummary(s.summary, { system, op, concurrency: c });
        if (!x) continue;
        rows.push([
          `${system === "engram" ? "Engram" : "mem0"} ${op === "add" ? "single add" : "batch add (100 per request)"}`,
          `c${c}`,
          sp(x.per_s),
          fmt(med(x.p50_ms)),
          fmt(med(x.p95_ms)),
          `${fmt(x.cpu_ms_per_req.process, 2)} / ${fmt(x.cpu_ms_per_req.database, 2)}`,
          `${x.n}${x.errors ? `, ${x.errors} errors` : ""}`,
        ]);
      }
    }
  }
  if (!s.batch.available) rows.push(["Engram batch add", "-", "n/a", "-", "-", "-", s.batch.reason ?? ""]);
  return table(
    ["", "in flight", "memories/s", "p50 ms", "p95 ms", "CPU ms/memory: server / database", "n"],
    rows,
  );
}

function recallTable(s: SectionResult): string {
  return table(
    [
      "data",
      "system",
      "queries",
      "recall@10 vs exact cosine",
      "recall@10 vs own exhaustive ranking",
      "results",
      "foreign",
      "one at a time: p50 / max ms",
    ],
    s.recall.map((x) => [
      x.dataset === "small" ? "small users" : "large user",
      modeLabel[x.mode] ?? x.mode,
      String(x.queries),
      fmt(x.cosine_recall_at_10, 3),
      x.recall_vs_exhaustive_at_10 === null
        ? x.system === "mem0"
          ? "1 (exact scan: no vector index)"
          : "-"
        : fmt(x.recall_vs_exhaustive_at_10, 3),
      fmt(x.mean_results, 1),
      String(x.foreign_results),
      x.sequential_ms ? `${fmt(x.sequential_ms.p50)} / ${fmt(x.sequential_ms.max)}` : "-",
    ]),
  );
}

/** Median throughput and p50 of the RLS runs of one (mode, concurrency, scoped). */
function rlsMedian(s: SectionResult, mode: string, c: number, scoped: boolean) {
  const runs = s.rls.filter((x) => x.mode === mode && x.concurrency === c && x.scoped === scoped);
  if (runs.length === 0) return undefined;
  return {
    per_s: median(runs.map((x) => x.per_s)),
    p50_ms: median(runs.map((x) => x.p50_ms)),
    n: runs.length,
  };
}

function rlsTable(s: SectionResult): string {
  const rows: string[][] = [];
  for (const mode of [...new Set(s.rls.map((x) => x.mode))]) {
    for (const c of [...new Set(s.rls.map((x) => x.concurrency))]) {
      const a = rlsMedian(s, mode, c, true);
      const b = rlsMedian(s, mode, c, false);
      if (!a || !b) continue;
      rows.push([
        mode,
        `c${c}`,
        `${fmt(a.per_s)} q/s, p50 ${fmt(a.p50_ms, 2)} ms`,
        `${fmt(b.per_s)} q/s, p50 ${fmt(b.p50_ms, 2)} ms`,
        `${fmt((1 - a.per_s / b.per_s) * 100, 1)}%`,
      ]);
    }
  }
  return table(
    [
      "search",
      "in flight",
      "with the per-request scope (RLS)",
      "without (owner role, RLS bypassed)",
      "throughput cost",
    ],
    rows,
  );
}

/** The issue's targets (goals to report against), measured values and whether this run met them. */
function targetsTable(s: SectionResult): string {
  const g = (k: Partial<CellSummary>) => findSummary(s.summary, k);
  const rows: string[][] = [];
  const yes = (ok: boolean | null) => (ok === null ? "n/a" : ok ? "met" : "missed");
  for (const mode of ["hybrid", "semantic"]) {
    const e = g({ system: "engram", op: "search", dataset: "small", mode, cache: "fresh", concurrency: 8 });
    const m = g({ system: "mem0", op: "search", dataset: "small", cache: "fresh", concurrency: 8 });
    const f = g({ system: "engram", op: "floor", concurrency: 8 });
    if (e && m)
      rows.push([
        `search c8 ≥ 50x mem0 (${mode})`,
        `${fmt(e.per_s.median)} vs ${fmt(m.per_s.median)} q/s = ${ratio(e.per_s.median, m.per_s.median)}`,
        yes(e.per_s.median >= 50 * m.per_s.median),
      ]);
    if (e && f)
      rows.push([
        `search c8 ≥ 1/4 of the floor (${mode})`,
        `${fmt(e.per_s.median)} vs ${fmt(f.per_s.median)} q/s = ${fmt((e.per_s.median / f.per_s.median) * 100, 0)}%`,
        yes(e.per_s.median >= f.per_s.median / 4),
      ]);
  }
  const w = g({
    system: "engram",
    op: "search",
    dataset: "small",
    mode: "hybrid",
    cache: "warm",
    concurrency: 1,
  });
  const f1 = g({ system: "engram", op: "floor", concurrency: 1 });
  const wp = med(w?.p95_ms);
  const fp = med(f1?.p95_ms);
  if (wp !== undefined && fp !== undefined)
    rows.push([
      "search p95 c1 (warm) within 3x of the floor's p95",
      `${fmt(wp, 2)} vs ${fmt(fp, 2)} ms = ${ratio(wp, fp)}`,
      yes(wp <= 3 * fp),
    ]);
  for (const c of [1, 8]) {
    const e = g({ system: "engram", op: "add", concurrency: c });
    const m = g({ system: "mem0", op: "add", concurrency: c });
    const b = g({ system: "engram", op: "batch-add", concurrency: c });
    if (e && m)
      rows.push([
        `add c${c} ≥ mem0's`,
        `${fmt(e.per_s.median)} vs ${fmt(m.per_s.median)}/s = ${ratio(e.per_s.median, m.per_s.median)}`,
        yes(e.per_s.median >= m.per_s.median),
      ]);
    if (m)
      rows.push([
        `batch add c${c} ≥ 5x mem0's add`,
        b
          ? `${fmt(b.per_s.median)} vs ${fmt(m.per_s.median)}/s = ${ratio(b.per_s.median, m.per_s.median)}`
          : "n/a (no batch endpoint)",
        b ? yes(b.per_s.median >= 5 * m.per_s.median) : "n/a",
      ]);
  }
  const lh = g({
    system: "engram",
    op: "search",
    dataset: "large",
    mode: "hybrid",
    cache: "fresh",
    concurrency: 1,
  });
  const ls = g({
    system: "engram",
    op: "search",
    dataset: "large",
    mode: "semantic",
    cache: "fresh",
    concurrency: 1,
  });
  const lhp = med(lh?.p95_ms);
  const lsp = med(ls?.p95_ms);
  if (lhp !== undefined)
    rows.push([
      `large user (${s.dataset.largeUser.toLocaleString("en-US")}): hybrid p95 c1 ≤ 50 ms`,
      `${fmt(lhp)} ms`,
      yes(lhp <= 50),
    ]);
  if (lhp !== undefined && lsp !== undefined)
    rows.push([
      "large user: hybrid p95 c1 within 2x of semantic",
      `${fmt(lhp)} vs ${fmt(lsp)} ms = ${ratio(lhp, lsp)}`,
      yes(lhp <= 2 * lsp),
    ]);
  for (const x of s.recall.filter((y) => y.system === "engram")) {
    const need = x.dataset === "large" ? 0.95 : 1;
    const v = x.recall_vs_exhaustive_at_10;
    rows.push([
      `recall@10 ${x.dataset === "large" ? "≥ 0.95" : "= 1.00"} (${x.mode}, ${x.dataset === "large" ? "large user" : "small users"}, vs exhaustive)`,
      fmt(v, 3),
      yes(v === null ? null : v >= need - 1e-9),
    ]);
  }
  const a = rlsMedian(s, "hybrid", 8, true);
  const b = rlsMedian(s, "hybrid", 8, false);
  if (a && b)
    rows.push([
      "RLS overhead < 20% of search throughput (hybrid, c8, SQL only)",
      `${fmt((1 - a.per_s / b.per_s) * 100, 1)}%`,
      yes(1 - a.per_s / b.per_s < 0.2),
    ]);
  return table(["target (issue #12)", "this run", ""], rows);
}

function section(r: BenchResult, s: SectionResult, chart: string | undefined): string {
  const name = s.backend === "postgres" ? "PostgreSQL" : "PGlite";
  const d = s.dataset;
  const mem0 = s.summary.some((x) => x.system === "mem0");
  const parts: string[] = [];
  parts.push(`## ${name}`);
  parts.push(
    `${d.users.toLocaleString("en-US")} users x ${d.memoriesPerUser} memories plus one user with ${d.largeUser.toLocaleString("en-US")} ` +
      `(${d.memories.toLocaleString("en-US")} memories in one store), seeded in ${fmt(s.seed.ms.total / 1000)} s ` +
      `(rows ${fmt(s.seed.ms.rows / 1000)} s, index rebuild ${fmt(s.seed.ms.indexes / 1000)} s, VACUUM ANALYZE ${fmt(s.seed.ms.vacuum / 1000)} s)` +
      (s.mem0_seed_ms !== null ? `; mem0's copy in ${fmt(s.mem0_seed_ms / 1000)} s` : "") +
      `. Section time ${fmt(s.seconds)} s, load average (1 min) ${s.load_1m.start} at its start, ${s.load_1m.end} at its end.` +
      (s.seed.triggerFilled.length
        ? s.seed.keywordStatsInBulk
          ? ` Kept by triggers on \`memories\` on every add, computed in bulk after the load (checked against what the trigger wrote for a memory added through the API): ${s.seed.triggerFilled.map((t) => `\`${t}\``).join(", ")}.`
          : ` Kept by triggers on \`memories\` during the load, as on every add: ${s.seed.triggerFilled.map((t) => `\`${t}\``).join(", ")}.`
        : "") +
      (s.seed.warnings.length ? `\n\n**Seeding warnings:** ${s.seed.warnings.join("; ")}` : ""),
  );
  if (chart) parts.push(`![Searches per second and p95 by concurrency, ${name}](${chart})`);
  if (mem0) {
    parts.push("### Engram vs mem0 (many small users, fresh query embeddings)");
    parts.push(headlineTable(r, s));
  }
  parts.push("### Search");
  parts.push(
    "Medians over the rounds, (min-max) where they differ. `% of floor q/s`: searches per second as a share of the same " +
      "system's floor at the same concurrency. CPU: the server process, and its PostgreSQL backends (`-` on PGlite, where the database " +
      "is inside the server), per request. `≥`: requests were still in flight when the drain gave up, so the latency is a lower bound.",
  );
  parts.push(searchTable(r, s));
  parts.push("### Floor");
  parts.push(floorTable(r, s));
  parts.push("### Ingest");
  parts.push(ingestTable(r, s));
  parts.push("### Recall");
  parts.push(
    "Fresh queries one at a time. *vs exact cosine*: tie-aware (a result counts when its cosine similarity is at least the " +
      "10th best over all of the user's memories). *vs own exhaustive ranking*: for Engram hybrid, its own search run " +
      "in-process with index scans off (exact vector side, same fusion), compared by id; for Engram semantic the " +
      "exhaustive ranking is the exact cosine one, so the first column again. Hybrid is not meant to match the cosine " +
      "ranking: its first column shows how far the keyword side moves the results.",
  );
  parts.push(recallTable(s));
  parts.push("### Row-level security");
  parts.push(
    "The search SQL in-process (no HTTP, no embedding), with the per-request scope (`SET LOCAL ROLE engram_app` and the user " +
      "setting, RLS on) and without it (the owning role); alternating runs.",
  );
  parts.push(rlsTable(s));
  parts.push("### Memory");
  const rs = s.rss_mb;
  parts.push(
    table(
      ["process", "RSS at rest MB", "max under load MB", `max at c${Math.max(...r.options.concurrency)} MB`],
      [
        ["Engram server", fmt(rs.engram.at_rest), fmt(rs.engram.max), fmt(rs.engram.max_under_c_max)],
        ...(rs.mem0
          ? [["mem0 + wrapper", fmt(rs.mem0.at_rest), fmt(rs.mem0.max), fmt(rs.mem0.max_under_c_max)]]
          : []),
      ],
    ),
  );
  if (mem0) {
    parts.push("### Against the issue's targets");
    parts.push(targetsTable(s));
  }
  return parts.join("\n\n");
}

function builtinSection(r: BenchResult): string {
  const b = r.builtin;
  if (!b) return "";
  const rows = b.summary.map((x) => [
    x.op === "add" ? "add" : `search ${x.mode}`,
    x.cache,
    `c${x.concurrency}`,
    sp(x.per_s),
    fmt(med(x.p50_ms)),
    fmt(med(x.p95_ms)),
    fmt(x.cpu_ms_per_req.process, 2),
    `${x.n}${x.errors ? `, ${x.errors} errors` : ""}`,
  ]);
  return [
    "## Engram with its built-in model",
    `No embeddings server: the model runs inside the server (${b.backend === "postgres" ? "PostgreSQL" : "PGlite"}, ` +
      `${b.users} users, ${b.memories_after_ingest} memories added through the API first, then searched). Ready in ` +
      `${fmt(b.ready_ms / 1000)} s (model load included); RSS ${fmt(b.rss_mb.at_rest)} MB at rest, ${fmt(b.rss_mb.max)} MB under load. ` +
      "One round, so no spread. Not comparable with the tables above: here the model's own CPU is inside every add and every fresh search.",
    table(
      ["", "query embedding", "in flight", "per second", "p50 ms", "p95 ms", "server CPU ms/req", "n"],
      rows,
    ),
  ].join("\n\n");
}

/** Writes the page; `charts` are the SVG paths (linked relative to the page). Returns the page's path. */
export function writeBenchDoc(r: BenchResult, path: string, charts: string[]): string {
  const env = r.environment as Record<string, any>;
  const rel = (p: string) => relative(dirname(path), p);
  const chartFor = (backend: string) => {
    const c = charts.find((x) => x.endsWith(`benchmarks-${backend}.svg`));
    return c ? rel(c) : undefined;
  };
  const o = r.options;
  const db = env.database as Record<string, string> | null;
  const head = [
    "# Benchmarks",
    "",
    "<!-- Written by `npm run bench` (bench/run.ts); every run replaces this page. Raw results: bench/results/benchmarks.json. -->",
    "",
    `One run of \`npm run bench\`${o.scale ? " --scale" : ""}: ${env.date}, commit \`${env.commit}\`${env.src_dirty ? " (with uncommitted changes in src/)" : ""}, ` +
      `${env.cpus} (${env.cores} cores), ${env.memory_gb} GB, Node ${env.node}` +
      (db ? `, ${String(db.postgres).split(" on ")[0]} with pgvector ${db.pgvector}` : "") +
      `. Load average (1/5/15 min) ${Object.values(env.load_average_at_start ?? {}).join(" / ")} at the start, ` +
      `${Object.values(env.load_average_at_end ?? {}).join(" / ")} at the end: the machine is shared, so read every figure with it. ` +
      `The run took ${fmt(r.seconds / 60)} minutes.`,
    "",
    "## What runs",
    "",
    [
      "- **Both systems as servers on 127.0.0.1, driven over HTTP by one load generator in its own process** " +
        "(`bench/lib/loadgen.ts`: node:http keep-alive, a fixed number of requests in flight, closed loop). Each cell runs " +
        `${o.warmupMs} ms of warm-up (not counted) then ${o.durationMs} ms measured (1 s for floors), kept open until at ` +
        "least 3 measured requests have completed (up to 15 s: a slow server); requests in flight at the end are " +
        `awaited (at least ${o.drainMs / 1000} s, longer at high concurrency against a slow system, up to 20 s) and their ` +
        "latencies count. Throughput counts what completed inside the measured window. A workload whose p50 already " +
        "passed 4 s at one concurrency (or whose c1 p50 times the next concurrency passes 10 s) is not run at the next: " +
        "it would only queue. After a run that ended with requests still in flight, the next waits until the system is idle.",
      `- **Interleaved A/B**: ${o.rounds} rounds; in each, every concurrency runs every system in turn, the order rotating ` +
        "from round to round. Tables give the median over rounds and the min-max spread.",
      "- **One embeddings server for both**: an OpenAI-compatible `POST /v1/embeddings` on loopback answering with a " +
        `deterministic ${r.embeddings.dimensions}-dimension hashed bag of words (about 0.2 ms a call), so the model costs ` +
        "next to nothing and each system's own work is what is measured. Engram's built-in model is measured separately below.",
      `- **mem0**: ${r.mem0.package}, \`Memory\` with its pgvector store in its own database on the same PostgreSQL, ` +
        "`infer: false`, its defaults otherwise (no HNSW index: `hnsw: false`; collection `memories`), history off " +
        "(its SQLite history store needs a native build; this spares mem0 a write Engram makes), `threshold: 0` " +
        "(so it returns 10 results as Engram does), telemetry off. mem0 is a library: `bench/peer/server.mjs` wraps it " +
        "in a minimal node:http server; the wrapper's own cost is its floor below (`GET /healthz`, no mem0 call)." +
        (r.mem0.skipped_reason ? ` **Skipped in this run:** ${r.mem0.skipped_reason}.` : ""),
      "- **Data**: users with 100 memories each and one large user, seeded directly with SQL (Engram: rows cloned from a " +
        "template user and memory added through the API, vectors from the same function as the embeddings server, " +
        "indexes rebuilt after the load, then VACUUM ANALYZE; mem0: its own `createMemory` and embedder, rows written " +
        "500 per INSERT). Ingest goes through each API: Engram `POST /v1/memories`, mem0 `Memory.add`, into users of their own.",
      "- **Search**: `limit` 10. *Fresh*: every (user, query) pair is new, so Engram must embed it (mem0 always embeds); " +
        "Engram hybrid and mem0 get the same pairs, Engram semantic others. *Warm*: 32 pairs asked once, then cycled: " +
        "the embedding comes from Engram's query cache. The floor is the cheapest authenticated request (Engram `GET /v1/me`).",
      "- **Recall**, **RLS** and **RSS**: see each section.",
      ...(r.sections.some((x) => x.backend === "pglite")
        ? []
        : [
            "- **PGlite** is not in this run: the default runs PostgreSQL when a URL is set (seeding 250,000 memories " +
              "into PGlite alone would take most of the time budget). `npm run bench -- --backends=pglite` runs it " +
              "(by default at an eighth of the users and a tenth of the large user), `--backends=postgres,pglite` both.",
          ]),
    ].join("\n"),
  ];
  const body = r.sections.map((s) => section(r, s, chartFor(s.backend)));
  return (() => {
    writeFileSync(
      path,
      `${[...head, "", ...body.flatMap((b) => [b, ""]), builtinSection(r)].join("\n").trimEnd()}\n`,
    );
    return path;
  })();
}
