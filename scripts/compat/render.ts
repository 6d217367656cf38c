/**
 * docs/compat.md from a run's answers: each step as markdown, and the whole text made stable from run to run by
 * replacing what changes (keys, ids, times, ports, temp dirs, curl's version) with placeholders.
 */
import type { Vars } from "./checks.js";
import type { Step, StepResult } from "./step.js";

export const fence = (lang: string, text: string): string => `\`\`\`${lang}\n${text}\n\`\`\``;

/** Fractions rounded to 4 decimals: scores may differ in their last digits from one machine to another. */
function roundFractions(v: unknown): unknown {
  if (typeof v === "number") return Number.isInteger(v) ? v : Math.round(v * 1e4) / 1e4;
  if (Array.isArray(v)) return v.map(roundFractions);
  if (v !== null && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, roundFractions(x)]));
  }
  return v;
}

/** An answer's body: JSON pretty-printed (fractions rounded), anything else as it came. */
export function prettyBody(body: string): { lang: string; text: string } {
  try {
    return { lang: "json", text: JSON.stringify(roundFractions(JSON.parse(body)), null, 2) };
  } catch {
    return { lang: "text", text: body };
  }
}

/** A pino log line with its clock, duration and process fields as placeholders. */
export function stableLogLine(line: Record<string, unknown>): string {
  const fixed: Record<string, unknown> = { ...line };
  if ("time" in fixed) fixed.time = "<time>";
  if ("ms" in fixed) fixed.ms = "<ms>";
  if ("pid" in fixed) fixed.pid = "<pid>";
  if ("hostname" in fixed) fixed.hostname = "<hostname>";
  return JSON.stringify(fixed);
}

const KEY = /\bek_(admin|client|user)_([0-9A-Za-z]{32}|[0-9A-Za-z]{6})(?![0-9A-Za-z])/g;
const ID = /\b(app|key|mem|msg|req|sess)_([0-9a-z]{26})\b/g;
const TIME = /\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g;
const LOOPBACK = /\b127\.0\.0\.1:\d+\b/g;
const CURL_VERSION = /\bcurl\/\d[\w.-]*/g;

/**
 * Replaces the values that differ per run, numbering them in order of appearance so that the same value reads
 * the same everywhere: a key or id held by a variable shows its name (`ek_user_<NEW_API_KEY>`, `mem_<NEW_MEMORY>`,
 * `ek_user_<6 chars of NEW_API_KEY>` for a key's prefix); any other id a number per kind (`sess_<1>`). `fixed`
 * maps run-specific strings (temp dirs, a database name) to their placeholders.
 */
export function stabilize(text: string, vars: Vars, fixed: Record<string, string>): string {
  const nameOf = new Map(Object.entries(vars).map(([name, value]) => [value, name]));
  const labels = new Map<string, string>();
  const counts = new Map<string, number>();
  const label = (kind: string, raw: string, name: () => string | undefined): string => {
    let l = labels.get(raw);
    if (l === undefined) {
      l = name();
      if (l === undefined) {
        const n = (counts.get(kind) ?? 0) + 1;
        counts.set(kind, n);
        l = String(n);
      }
      labels.set(raw, l);
    }
    return l;
  };
  let out = text;
  for (const [raw, as] of Object.entries(fixed).sort((a, b) => b[0].length - a[0].length)) {
    out = out.split(raw).join(as);
  }
  out = out.replace(KEY, (raw, kind: string, body: string) => {
    const full = body.length === 32;
    const named = () => {
      if (full) return nameOf.get(raw);
      for (const [value, name] of nameOf) if (value.startsWith(raw)) return `6 chars of ${name}`;
      return undefined;
    };
    return `ek_${kind}_<${label(`ek_${kind}`, raw, named)}>`;
  });
  out = out.replace(ID, (raw, kind: string) => `${kind}_<${label(kind, raw, () => nameOf.get(raw))}>`);
  out = out
    .replace(TIME, "<time>")
    .replace(LOOPBACK, "127.0.0.1:<port>")
    .replace(CURL_VERSION, "curl/<version>");

  for (const [name, value] of Object.entries(vars)) {
    if (value.length >= 16 && out.includes(value))
      throw new Error(`$${name} would appear as it is in the document`);
  }
  const leak = /\bek_(admin|client|user)_[0-9A-Za-z]{7,}|_[0-9a-z]{26}\b/.exec(out);
  if (leak) throw new Error(`a key or id has no placeholder (add its pattern to render.ts): ${leak[0]}`);
  return out;
}

/** One step as docs/compat.md shows it: the document's text, the command, what curl sent, the answer, the checks. */
export function renderStep(step: Step, result: StepResult): string[] {
  const md = [`### ${step.id}. ${step.title}`, ""];
  if (step.from === "added")
    md.push(`*Not in the document; added to show:* ${step.original ?? step.title}.`, "");
  else if (step.from === "document" && step.original) {
    md.push("The document:", "", fence(step.originalLang ?? "sh", step.original), "");
  }
  if (step.note) md.push(step.note, "");
  md.push("Run against Engram:", "", fence("sh", step.command), "");
  md.push(
    "<details><summary>The request curl sent</summary>",
    "",
    fence("http", result.answer.sent.join("\n")),
    "",
    "</details>",
    "",
  );
  const body = prettyBody(result.answer.body);
  md.push(`Engram answered **HTTP ${result.answer.status}**:`, "", fence(body.lang, body.text), "");
  md.push(`Checked: ${result.passed.join("; ")}.`, "");
  const saved = Object.entries(step.save ?? {}).map(([name, path]) => `\`$${name}\` = \`${path}\``);
  if (saved.length > 0) md.push(`Kept for later steps: ${saved.join(", ")}.`, "");
  return md;
}
