/** One compatibility step: a curl command line run through bash and the real curl, and the checks of its answer. */
import { execFile } from "node:child_process";
import { type Answer, type Check, pick, type Vars } from "./checks.js";

export interface Step {
  /** S1, O1, M1, L3...: stable, so that notes and readers can refer to a step. */
  id: string;
  title: string;
  /** "document": a document's command (or its header example); "added": shows more; "setup": makes keys. */
  from: "document" | "added" | "setup";
  /** The document's text this step runs; for an added step, one line saying what it shows. */
  original?: string;
  /** The language of the original's code block (default sh); unused for added steps. */
  originalLang?: "sh" | "http" | "text";
  /** A paragraph of markdown printed before the command. */
  note?: string;
  /** The command line as run, e.g. `curl $ENGRAM/v1/me -H "Authorization: Bearer $BOB_KEY"`. */
  command: string;
  checks: Check[];
  /** Values kept for later steps: variable name -> path in the answer's JSON ("api_key", "results.0.id"). */
  save?: Record<string, string>;
}

/** Markdown between steps (a heading, a paragraph), for docs/compat.md only. */
export interface Prose {
  prose: string[];
}

export type Part = Step | Prose;

export const isStep = (p: Part): p is Step => "command" in p;

export interface StepResult {
  answer: Answer;
  /** What each passing check checked, in order. */
  passed: string[];
  /** One line per failing check: what it expected, what it found. Empty when the step passed. */
  failures: string[];
}

// The documents' command lines run unchanged; this wrapper only adds -v (to see what curl sent) and the status.
export const CURL_WRAPPER = `curl() { command curl -sS -v -w '\\n@@status=%{http_code}\\n' "$@"; }\n`;
const STATUS_MARK = "\n@@status=";

/** The caller's environment without ENGRAM_* (nor POSTGRES_URI), so that only what a run sets counts. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("ENGRAM_") && k !== "POSTGRES_URI") env[k] = v;
  }
  return { ...env, ...extra };
}

/** Runs a curl command line through bash, with `vars` in its environment. */
export function curl(command: string, vars: Vars): Promise<Answer> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      ["-c", CURL_WRAPPER + command],
      { env: cleanEnv(vars), timeout: 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`the command failed: ${err.message}\n${command}\n${stderr}`));
        const at = stdout.lastIndexOf(STATUS_MARK);
        if (at < 0) return reject(new Error(`no status from curl:\n${command}\n${stdout}\n${stderr}`));
        const body = stdout.slice(0, at);
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined; // not JSON: checks read `body`
        }
        const sent = stderr
          .split("\n")
          .filter((l) => l.startsWith("> "))
          .map((l) => l.slice(2).replace(/\r$/, ""))
          .filter((l) => l !== "");
        resolve({ status: Number(stdout.slice(at + STATUS_MARK.length).trim()), body, json, sent });
      },
    );
  });
}

/** Runs a step and checks its answer; when every check passes, saves the step's values into `vars`. */
export async function runStep(step: Step, vars: Vars): Promise<StepResult> {
  const answer = await curl(step.command, vars);
  const passed: string[] = [];
  const failures: string[] = [];
  for (const check of step.checks) {
    const got = check.test(answer, vars);
    if (got === undefined) passed.push(check.what);
    else failures.push(`expected ${check.what}, got ${got}`);
  }
  if (failures.length > 0) return { answer, passed, failures };
  for (const [name, path] of Object.entries(step.save ?? {})) {
    const v = pick(answer.json, path);
    if (typeof v !== "string") failures.push(`expected a string at \`${path}\` to save as $${name}`);
    else vars[name] = v;
  }
  return { answer, passed, failures };
}

/** A failed step, for a person: the step, what failed, the command and the answer. */
export function describeFailure(step: Step, result: StepResult): string {
  const indent = (text: string) => text.replace(/^/gm, "    ");
  return [
    `${step.id} ${step.title}:`,
    ...result.failures.map((f) => `  ${f}`),
    "  command:",
    indent(step.command),
    `  answer (HTTP ${result.answer.status}):`,
    indent(result.answer.body),
  ].join("\n");
}

/**
 * A document's command with its placeholders replaced: a `literal` as is, a `variable` by a shell reference,
 * closing and reopening a single-quoted string around it, so that curl sends the document's bytes with only
 * the value changed.
 */
export function adapt(
  original: string,
  subs: Record<string, { literal: string } | { variable: string }>,
): string {
  let out = "";
  let quote: string | null = null;
  let i = 0;
  outer: while (i < original.length) {
    for (const [placeholder, to] of Object.entries(subs)) {
      if (original.startsWith(placeholder, i)) {
        if ("literal" in to) out += to.literal;
        else out += quote === "'" ? `'"$${to.variable}"'` : `$${to.variable}`;
        i += placeholder.length;
        continue outer;
      }
    }
    const ch = original.charAt(i);
    if (quote === null && (ch === "'" || ch === '"')) quote = ch;
    else if (ch === quote) quote = null;
    out += ch;
    i++;
  }
  return out;
}
