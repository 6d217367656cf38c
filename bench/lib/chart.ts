// SVG charts for docs/benchmarks.md, written by the bench itself (no plotting library): per backend, searches per
// second and p95 latency by concurrency, one line per system, medians over rounds with the min..max spread as bars.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CellSummary } from "./measure.js";

interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: Array<{ c: number; median: number; min: number; max: number }>;
}

interface ChartInput {
  concurrency: number[];
  summary: CellSummary[];
}

/** The result shape the charts read (a structural subset of run.ts's BenchResult). */
export interface ChartSource {
  options: { concurrency: number[] };
  sections: Array<{ backend: string; summary: CellSummary[] }>;
}

const W = 980;
const H = 700;
const PANEL_W = 400;
const PANEL_H = 210;
const LEFT = [90, 570];
const TOP = [80, 390];

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

function niceLogRange(values: number[]): [number, number] {
  const pos = values.filter((v) => v > 0);
  if (pos.length === 0) return [1, 10];
  const lo = 10 ** Math.floor(Math.log10(Math.min(...pos)));
  const hi = 10 ** Math.ceil(Math.log10(Math.max(...pos)));
  return [lo, hi === lo ? hi * 10 : hi];
}

function series(input: ChartInput, dataset: string, metric: "per_s" | "p95_ms", floors: boolean): Series[] {
  const defs: Array<{ label: string; color: string; dashed: boolean; match: Partial<CellSummary> }> = [
    {
      label: "Engram hybrid",
      color: "#1f77b4",
      dashed: false,
      match: { system: "engram", op: "search", mode: "hybrid", cache: "fresh", dataset },
    },
    {
      label: "Engram semantic",
      color: "#2ca02c",
      dashed: false,
      match: { system: "engram", op: "search", mode: "semantic", cache: "fresh", dataset },
    },
    {
      label: "mem0 (search)",
      color: "#d62728",
      dashed: false,
      match: { system: "mem0", op: "search", mode: "mem0", cache: "fresh", dataset },
    },
  ];
  if (floors) {
    defs.push(
      {
        label: "Engram floor (GET /v1/me)",
        color: "#1f77b4",
        dashed: true,
        match: { system: "engram", op: "floor" },
      },
      {
        label: "mem0 wrapper floor (GET /healthz)",
        color: "#d62728",
        dashed: true,
        match: { system: "mem0", op: "floor" },
      },
    );
  }
  const out: Series[] = [];
  for (const d of defs) {
    const points = input.concurrency.flatMap((c) => {
      const s = input.summary.find(
        (x) =>
          x.concurrency === c &&
          (Object.keys(d.match) as Array<keyof CellSummary>).every((k) => x[k] === d.match[k]),
      );
      const v = s?.[metric];
      // Not run, nothing completed, or zero (a log scale has no zero): no point; the tables say why.
      return v && s && s.rounds > 0 && v.median > 0 ? [{ c, ...v }] : [];
    });
    if (points.length > 0) out.push({ label: d.label, color: d.color, dashed: d.dashed, points });
  }
  return out;
}

function panel(
  x0: number,
  y0: number,
  title: string,
  unit: string,
  concurrency: number[],
  data: Series[],
): string {
  const all = data.flatMap((s) => s.points.flatMap((p) => [p.min, p.max, p.median]));
  const [lo, hi] = niceLogRange(all);
  const ly = (v: number) =>
    y0 +
    PANEL_H -
    ((Math.log10(Math.max(v, lo)) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * PANEL_H;
  const xs = concurrency.map((_, i) => x0 + 30 + (i * (PANEL_W - 60)) / Math.max(1, concurrency.length - 1));
  const lx = (c: number) => xs[concurrency.indexOf(c)] ?? x0;
  const parts: string[] = [];
  parts.push(
    `<text x="${x0 + PANEL_W / 2}" y="${y0 - 12}" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
  );
  parts.push(`<rect x="${x0}" y="${y0}" width="${PANEL_W}" height="${PANEL_H}" fill="none" stroke="#999"/>`);
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const v = 10 ** e;
    const y = ly(v);
    parts.push(`<line x1="${x0}" x2="${x0 + PANEL_W}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${x0 - 6}" y="${y + 4}" text-anchor="end" font-size="11">${v >= 1 ? v.toLocaleString("en-US") : v}</text>`,
    );
    for (const m of [2, 5]) {
      const mv = v * m;
      if (mv < hi)
        parts.push(`<line x1="${x0}" x2="${x0 + PANEL_W}" y1="${ly(mv)}" y2="${ly(mv)}" stroke="#f0f0f0"/>`);
    }
  }
  parts.push(
    `<text x="${x0 - 58}" y="${y0 + PANEL_H / 2}" transform="rotate(-90 ${x0 - 58} ${y0 + PANEL_H / 2})" text-anchor="middle" font-size="11">${esc(unit)} (log)</text>`,
  );
  for (const c of concurrency) {
    parts.push(
      `<text x="${lx(c)}" y="${y0 + PANEL_H + 16}" text-anchor="middle" font-size="11">c${c}</text>`,
    );
  }
  parts.push(
    `<text x="${x0 + PANEL_W / 2}" y="${y0 + PANEL_H + 32}" text-anchor="middle" font-size="11">requests in flight</text>`,
  );
  for (const s of data) {
    const pts = s.points.map((p) => `${lx(p.c)},${ly(p.median)}`).join(" ");
    parts.push(
      `<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/>`,
    );
    for (const p of s.points) {
      parts.push(
        `<line x1="${lx(p.c)}" x2="${lx(p.c)}" y1="${ly(p.min)}" y2="${ly(p.max)}" stroke="${s.color}" stroke-width="1"/>`,
      );
      parts.push(`<circle cx="${lx(p.c)}" cy="${ly(p.median)}" r="3" fill="${s.color}"/>`);
    }
  }
  return parts.join("\n");
}

function legend(items: Series[]): string {
  const seen = new Set<string>();
  const uniq = items.filter((s) => {
    if (seen.has(s.label)) return false;
    seen.add(s.label);
    return true;
  });
  return uniq
    .map((s, i) => {
      const x = 90 + (i % 3) * 300;
      const y = H - 28 + Math.floor(i / 3) * 18 - (uniq.length > 3 ? 18 : 0);
      return `<line x1="${x}" x2="${x + 26}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 4"' : ""}/><text x="${x + 32}" y="${y}" font-size="12">${esc(s.label)}</text>`;
    })
    .join("\n");
}

/** One SVG per section: rows small users / large user, columns throughput / p95. Returns the paths written. */
export function writeCharts(result: ChartSource, dir: string): string[] {
  const out: string[] = [];
  for (const s of result.sections) {
    const input = { concurrency: result.options.concurrency, summary: s.summary };
    const rows = [
      { dataset: "small", title: "many small users" },
      { dataset: "large", title: "one large user" },
    ].filter((r) => s.summary.some((x) => x.dataset === r.dataset));
    const parts: string[] = [];
    const legendItems: Series[] = [];
    rows.forEach((r, i) => {
      const thr = series(input, r.dataset, "per_s", true);
      const p95 = series(input, r.dataset, "p95_ms", false);
      legendItems.push(...thr, ...p95);
      parts.push(
        panel(
          LEFT[0] as number,
          TOP[i] as number,
          `Searches per second, ${r.title}`,
          "per second",
          input.concurrency,
          thr,
        ),
      );
      parts.push(
        panel(LEFT[1] as number, TOP[i] as number, `p95 latency, ${r.title}`, "ms", input.concurrency, p95),
      );
    });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="13">
<rect width="100%" height="100%" fill="white"/>
<text x="${W / 2}" y="30" text-anchor="middle" font-size="16" font-weight="bold">Engram vs mem0 OSS on ${esc(s.backend === "postgres" ? "PostgreSQL" : "PGlite")}: fresh query embeddings, limit 10</text>
<text x="${W / 2}" y="50" text-anchor="middle" font-size="11" fill="#555">median of interleaved rounds, bars: min..max; floors dashed (throughput only)</text>
${parts.join("\n")}
${legend(legendItems)}
</svg>
`;
    const path = join(dir, `benchmarks-${s.backend}.svg`);
    writeFileSync(path, svg);
    out.push(path);
  }
  return out;
}
