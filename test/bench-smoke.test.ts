/**
 * The comparison bench's smallest configuration (bench/run.ts --smoke: 20 users x 10 memories and a 50-memory user,
 * concurrency 1, one round of 300 ms cells), so that the harness never rots. PostgreSQL when ENGRAM_TEST_DATABASE_URL
 * is set, else PGlite; mem0 too when bench/peer/node_modules is installed (the smoke never installs it). Asserts
 * only that the harness produces well-formed results: no timing assertions.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const dir = mkdtempSync(join(tmpdir(), "engram-bench-smoke-"));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runSmoke(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        "--import",
        "tsx",
        "bench/run.ts",
        "--smoke",
        `--out-dir=${dir}`,
        `--doc=${join(dir, "benchmarks.md")}`,
      ],
      { cwd: ROOT, env: process.env, timeout: 170_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const finite = (x: unknown) => typeof x === "number" && Number.isFinite(x);

describe("bench smoke (bench/run.ts --smoke)", () => {
  it(
    "runs the harness end to end and writes well-formed results, chart and page",
    { timeout: 180_000 },
    async () => {
      const { code, stderr } = await runSmoke();
      const notice = /NOTICE: mem0 is skipped: (.*)/.exec(stderr)?.[1];
      if (notice) console.warn(`bench smoke: mem0 skipped (${notice})`);
      expect(code, stderr.slice(-4000)).toBe(0);

      const result = JSON.parse(readFileSync(join(dir, "benchmarks.json"), "utf8"));
      expect(result.name).toBe("benchmarks");
      for (const k of ["commit", "node", "cpus", "cores", "load_average_at_start", "load_average_at_end"]) {
        expect(result.environment).toHaveProperty(k);
      }
      expect(result.sections.length).toBeGreaterThan(0);
      for (const s of result.sections) {
        expect(["pglite", "postgres"]).toContain(s.backend);
        expect(s.dataset.memories).toBe(20 * 10 + 50);
        expect(s.seed.warnings).toEqual([]);
        const ops = new Set(s.cells.map((c: { op: string }) => c.op));
        for (const op of ["floor", "add", "search"]) expect(ops).toContain(op);
        for (const c of s.cells) {
          expect(c.errors, `${c.system} ${c.op} ${c.dataset} ${c.mode}: ${c.first_error}`).toBe(0);
          expect(c.n, `${c.system} ${c.op} ${c.dataset} ${c.mode} ${c.cache}`).toBeGreaterThan(0);
          for (const k of ["per_s", "p50_ms", "p95_ms", "p99_ms", "mean_ms", "window_ms"])
            expect(finite(c[k])).toBe(true);
          expect(c.p50_ms).toBeLessThanOrEqual(c.p95_ms);
          expect(c.p95_ms).toBeLessThanOrEqual(c.p99_ms);
        }
        const searchModes = new Set(
          s.summary.filter((x: { op: string }) => x.op === "search").map((x: { mode: string }) => x.mode),
        );
        expect(searchModes).toContain("hybrid");
        expect(searchModes).toContain("semantic");
        const mem0 = s.cells.some((c: { system: string }) => c.system === "mem0");
        expect(mem0).toBe(s.backend === "postgres" && result.mem0.skipped_reason === null);
        for (const r of s.recall) {
          expect(r.cosine_recall_at_10).toBeGreaterThanOrEqual(0);
          expect(r.cosine_recall_at_10).toBeLessThanOrEqual(1);
          expect(r.foreign_results).toBe(0);
          expect(r.mean_results).toBeGreaterThan(0);
        }
        expect(s.recall.some((r: { system: string }) => r.system === "engram")).toBe(true);
        expect(s.rls.some((r: { scoped: boolean }) => r.scoped)).toBe(true);
        expect(s.rls.some((r: { scoped: boolean }) => !r.scoped)).toBe(true);
        expect(s.batch.available || typeof s.batch.reason === "string").toBe(true);
        // Every acknowledged add is a stored row (warm-up adds too, so at least as many rows as counted adds).
        for (const system of ["engram", "mem0"]) {
          const adds = s.cells.filter(
            (c: { system: string; op: string }) => c.system === system && c.op === "add",
          );
          if (adds.length === 0) continue;
          const acknowledged = adds.reduce(
            (a: number, c: { n: number; errors: number }) => a + c.n - c.errors,
            0,
          );
          expect(s.ingest_rows[system], `${system} ingest rows`).toBeGreaterThanOrEqual(acknowledged);
          expect(acknowledged).toBeGreaterThan(0);
        }
        expect(finite(s.rss_mb.engram.at_rest)).toBe(true);

        const svg = join(dir, `benchmarks-${s.backend}.svg`);
        expect(existsSync(svg)).toBe(true);
        expect(readFileSync(svg, "utf8")).toMatch(/^<svg [^>]*>[\s\S]*<polyline[\s\S]*<\/svg>\s*$/);
      }
      const page = readFileSync(join(dir, "benchmarks.md"), "utf8");
      expect(page).toMatch(/^# Benchmarks/);
      expect(page).toContain("### Search");
      expect(page).toMatch(/!\[[^\]]*\]\(benchmarks-(pglite|postgres)\.svg\)/);
    },
  );
});
