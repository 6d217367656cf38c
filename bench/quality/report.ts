// Renders quality results as text (console) and Markdown (docs/retrieval.md, between the quality markers).
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Method, QualityResult } from "./harness.js";
import { CATEGORIES } from "./kit.js";
import type { MethodScores } from "./metrics.js";
import { HALVES, type Split } from "./split.js";

export interface SavedResult extends QualityResult {
  backend: string;
  measured_at: string;
  wall_ms: number;
}

const LABELS: Record<string, string> = {
  semantic: "semantic (API)",
  keyword: "keyword (API)",
  hybrid: "hybrid (API)",
  bm25_baseline: "BM25 baseline (in-process)",
  rrf_baseline: "RRF baseline: semantic + BM25 (in-process)",
};

const f = (x: number) => x.toFixed(3);

/** One split's figures: the whole run's for `all`, else the half's (null when the run did not cover it). */
export function splitMethods(r: QualityResult, split: Split): Record<Method, MethodScores | null> | null {
  // Results saved before the split existed have no `halves`.
  return split === "all" ? r.methods : (r.halves?.[split]?.methods ?? null);
}

function rows(methods: Record<Method, MethodScores | null>): [string, MethodScores | null][] {
  return Object.entries(methods).map(([m, s]) => [LABELS[m] ?? m, s]);
}

type Metric = "recall_at_10" | "mrr";
const METRIC_NAMES: Record<Metric, string> = { recall_at_10: "recall@10", mrr: "MRR" };

/** A fixed-width table for the console: one split's overall figures, then recall@10 and MRR per category. */
export function textTable(r: QualityResult, split: Split = "all"): string {
  const methods = splitMethods(r, split);
  if (!methods) return `${split}: not in this run`;
  const w = 44;
  const cell = (x: string) => x.padStart(9);
  const lines = [`${`method (${split})`.padEnd(w)}${["R@1", "R@5", "R@10", "MRR"].map(cell).join("")}`];
  for (const [label, s] of rows(methods)) {
    const o = s?.overall;
    lines.push(
      `${label.padEnd(w)}${o ? [o.recall_at_1, o.recall_at_5, o.recall_at_10, o.mrr].map((x) => cell(f(x))).join("") : "  not implemented yet"}`,
    );
  }
  for (const metric of ["recall_at_10", "mrr"] as const) {
    lines.push(
      "",
      `${`${METRIC_NAMES[metric]} by category`.padEnd(w)}${CATEGORIES.map((c) => cell(c.slice(0, 8))).join("")}`,
    );
    for (const [label, s] of rows(methods)) {
      if (s)
        lines.push(`${label.padEnd(w)}${CATEGORIES.map((c) => cell(f(s.by_category[c][metric]))).join("")}`);
    }
  }
  lines.push(
    `${"questions".padEnd(w)}${CATEGORIES.map((c) => cell(String(methods.semantic?.by_category[c].n ?? 0))).join("")}`,
  );
  return lines.join("\n");
}

/** Every split's table (all, tune, held-out), for the console. */
export function textTables(r: QualityResult): string {
  return (["all", ...HALVES] as const).map((s) => textTable(r, s)).join("\n\n");
}

function overallCells(s: MethodScores | null): string[] {
  const o = s?.overall;
  return o
    ? [o.recall_at_1, o.recall_at_5, o.recall_at_10, o.mrr].map(f)
    : ["pending", "pending", "pending", "pending"];
}

/** Each method's overall figures on the `tune` and the `held-out` half, side by side. */
function halfTable(r: QualityResult): string[] {
  const [tune, held] = HALVES.map((h) => r.halves?.[h]);
  if (!tune || !held) return ["(no per-half figures in this result)"];
  const out = [
    `By half (${tune.users.length} users and ${tune.questions} questions in \`tune\`, ${held.users.length} and ` +
      `${held.questions} in \`held-out\`; see bench/quality/README.md):`,
    "",
    "| method | half | R@1 | R@5 | R@10 | MRR |",
    "|---|---|---:|---:|---:|---:|",
  ];
  for (const m of Object.keys(r.methods) as Method[]) {
    for (const h of HALVES)
      out.push(`| ${LABELS[m] ?? m} | ${h} | ${overallCells(r.halves[h]?.methods[m] ?? null).join(" | ")} |`);
  }
  return out;
}

function categoryTable(r: QualityResult, metric: Metric): string[] {
  const out = [
    `| ${METRIC_NAMES[metric]} | ${CATEGORIES.join(" | ")} |`,
    `|---|${CATEGORIES.map(() => "---:").join("|")}|`,
  ];
  for (const [label, s] of rows(r.methods)) {
    const cells = CATEGORIES.map((c) => (s ? f(s.by_category[c][metric]) : "pending"));
    out.push(`| ${label} | ${cells.join(" | ")} |`);
  }
  return out;
}

function markdown(r: SavedResult): string {
  const out = [
    `### ${r.backend === "pglite" ? "PGlite" : "PostgreSQL"}`,
    "",
    `${r.dataset.questions} questions, ${r.dataset.memories} memories, ${r.dataset.users} users; embedding model ` +
      `\`${r.embedding_model ?? "unknown"}\`; measured ${r.measured_at.slice(0, 10)}; load ${(r.timings_ms.load / 1000).toFixed(1)} s, ` +
      `searches ${(r.timings_ms.search / 1000).toFixed(1)} s, wall ${(r.wall_ms / 1000).toFixed(1)} s. ` +
      `Results from another user: **${r.cross_user.length}**.`,
    "",
    "| method | R@1 | R@5 | R@10 | MRR |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const [label, s] of rows(r.methods)) out.push(`| ${label} | ${overallCells(s).join(" | ")} |`);
  out.push("", ...halfTable(r));
  const counts = CATEGORIES.map((c) => `${c} ${r.methods.semantic?.by_category[c].n ?? 0}`).join(", ");
  out.push(
    "",
    `By category (questions: ${counts}):`,
    "",
    ...categoryTable(r, "recall_at_10"),
    "",
    ...categoryTable(r, "mrr"),
  );
  return out.join("\n");
}

/** Every bench/results/quality-<backend>.json, PGlite first. */
export function readResults(dir: string): SavedResult[] {
  return readdirSync(dir)
    .filter((n) => /^quality-[a-z]+\.json$/.test(n))
    .sort((a, b) => (a === "quality-pglite.json" ? -1 : b === "quality-pglite.json" ? 1 : a.localeCompare(b)))
    .map((n) => JSON.parse(readFileSync(join(dir, n), "utf8")) as SavedResult);
}

export const BEGIN = "<!-- quality:begin -->";
export const END = "<!-- quality:end -->";

/** Replaces what lies between the markers in the doc with the tables of every saved result. */
export function updateDoc(docPath: string, results: readonly SavedResult[]): void {
  const doc = readFileSync(docPath, "utf8");
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${docPath}: markers ${BEGIN} / ${END} not found`);
  const body = [
    "<!-- Generated by `npm run bench:quality` from bench/results/quality-*.json; edits here are overwritten. -->",
    "",
    ...results.map(markdown).flatMap((t) => [t, ""]),
  ].join("\n");
  writeFileSync(docPath, `${doc.slice(0, start + BEGIN.length)}\n${body}${doc.slice(end)}`);
}
