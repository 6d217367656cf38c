// LoCoMo conversations read at run time: turns as memory texts with their session's date, questions with gold turns.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The dataset is never copied into the repository (its licence is not ours): it sits beside the checkout. */
export const DEFAULT_LOCOMO_DIR = resolve(
  fileURLToPath(new URL("../../", import.meta.url)),
  "../shared/data/locomo-dev",
);

/** ENGRAM_LOCOMO_DIR overrides the default folder (e.g. to run the held-out half). */
export function locomoDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.ENGRAM_LOCOMO_DIR ? resolve(env.ENGRAM_LOCOMO_DIR) : DEFAULT_LOCOMO_DIR;
}

/** LoCoMo's categories; 5 (adversarial, unanswerable by design) is left out. */
export const LOCOMO_CATEGORIES = [1, 2, 3, 4] as const;
export type LocomoCategory = (typeof LOCOMO_CATEGORIES)[number];
export const CATEGORY_NAMES: Record<LocomoCategory, string> = {
  1: "multi-hop",
  2: "temporal",
  3: "open-domain",
  4: "single-hop",
};

export interface Turn {
  /** e.g. "D3:12" */
  dia_id: string;
  /** What is stored: `"<speaker>: <text>"`, plus ` [image: <caption>]` when the turn shared a picture. */
  text: string;
  /** The session's date, ISO 8601 (UTC: the data gives no zone). */
  occurred_at: string;
}

export interface Question {
  /** `<conversation>#<index in qa>` */
  id: string;
  question: string;
  category: LocomoCategory;
  /** dia_ids of the turns that hold the answer, deduplicated, all present in the conversation. */
  gold: string[];
}

/** What evidence parsing had to do; every count is per evidence entry (string) unless named otherwise. */
export interface EvidenceStats {
  /** Strings holding several ids ("D8:6; D9:17"), split into them. */
  split: number;
  /** Ids written oddly but unambiguously ("D:11:26", "D3:05"), normalised. */
  repaired: number;
  /** Well-formed ids naming no turn of the conversation: dropped. */
  unknown: number;
  /** Strings with no id in them at all ("D"): dropped. */
  unparsable: number;
  /** Questions of categories 1-4 left with no gold turn: excluded. */
  questions_without_evidence: number;
}

export interface Conversation {
  /** The file's name without .json ("26"). */
  id: string;
  speakers: [string, string];
  turns: Turn[];
  questions: Question[];
  evidence: EvidenceStats;
  /** Questions of category 5 (or unknown categories) skipped. */
  skipped_questions: number;
}

const MONTHS = [
  "january",
  "february",
  "march",
  "april",
  "may",
  "june",
  "july",
  "august",
  "september",
  "october",
  "november",
  "december",
];

/**
 * "1:56 pm on 8 May, 2023" -> "2023-05-08T13:56:00.000Z". Tolerates a missing time, a missing comma and
 * abbreviated months ("8 Sept 2023"); anything else throws, naming the string, rather than guessing a date.
 */
export function parseSessionDate(s: string): string {
  const m =
    /^\s*(?:(\d{1,2}):(\d{2})\s*([ap])\.?m\.?\s+on\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?,?\s+(\d{4})\s*$/i.exec(
      s,
    );
  const month = m
    ? MONTHS.findIndex((name) => (m[5] ?? "").length >= 3 && name.startsWith((m[5] ?? "").toLowerCase()))
    : -1;
  if (!m || month < 0) throw new Error(`unrecognised LoCoMo session date: ${JSON.stringify(s)}`);
  let hour = m[1] === undefined ? 0 : Number(m[1]);
  const minute = m[2] === undefined ? 0 : Number(m[2]);
  // A 12-hour clock: 1..12 only.
  if (m[1] !== undefined && (hour < 1 || hour > 12))
    throw new Error(`unrecognised LoCoMo session date: ${JSON.stringify(s)}`);
  if (m[3] !== undefined) hour = (hour % 12) + (m[3].toLowerCase() === "p" ? 12 : 0);
  const day = Number(m[4]);
  const date = new Date(Date.UTC(Number(m[6]), month, day, hour, minute));
  // Date.UTC rolls 31 April over to 1 May: reject instead.
  if (date.getUTCDate() !== day || hour > 23 || minute > 59)
    throw new Error(`unrecognised LoCoMo session date: ${JSON.stringify(s)}`);
  return date.toISOString();
}

/** The memory text of one turn. The caption is BLIP's description of the shared picture, not the annotators'. */
export function turnText(
  t: { speaker: string; text: string; blip_caption?: string },
  captions = true,
): string {
  const base = `${t.speaker}: ${t.text}`.trim();
  const caption = t.blip_caption?.trim();
  return captions && caption ? `${base} [image: ${caption}]` : base;
}

export type EvidenceFate = "split" | "repaired" | "unknown" | "unparsable";

/**
 * One evidence string -> the dia_ids it names that exist. "D8:6; D9:17" names two; "D:11:26" is D11:26; "D"
 * names none. `note` is told what was done, once per entry and kind, for the counts.
 */
export function parseEvidence(
  entry: string,
  known: ReadonlySet<string>,
  note: (fate: EvidenceFate) => void = () => {},
): string[] {
  const matches = [...entry.matchAll(/D\s*:?\s*(\d+)\s*:\s*(\d+)/gi)];
  if (matches.length === 0) {
    note("unparsable");
    return [];
  }
  if (matches.length > 1) note("split");
  const out: string[] = [];
  let repaired = false;
  let unknown = false;
  for (const m of matches) {
    const id = `D${Number(m[1])}:${Number(m[2])}`;
    if (m[0] !== id) repaired = true;
    if (known.has(id)) out.push(id);
    else unknown = true;
  }
  if (repaired) note("repaired");
  if (unknown) note("unknown");
  return out;
}

interface RawTurn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}
interface RawQa {
  question: string;
  evidence?: unknown;
  category: number;
}

export interface ParseOptions {
  /** Append image captions to turn texts (default true). */
  captions?: boolean;
}

/** Parses one conversation file's JSON. Only speakers, turns and session dates are read, never the summaries. */
export function parseConversation(
  id: string,
  raw: Record<string, unknown>,
  opts: ParseOptions = {},
): Conversation {
  const sessions = Object.keys(raw)
    .map((k) => /^session_(\d+)$/.exec(k))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  const turns: Turn[] = [];
  for (const n of sessions) {
    const list = raw[`session_${n}`] as RawTurn[];
    const when = raw[`session_${n}_date_time`];
    if (typeof when !== "string") throw new Error(`${id}: session_${n} has no date`);
    const occurred_at = parseSessionDate(when);
    for (const t of list)
      turns.push({ dia_id: t.dia_id, text: turnText(t, opts.captions ?? true), occurred_at });
  }
  const known = new Set(turns.map((t) => t.dia_id));
  const evidence: EvidenceStats = {
    split: 0,
    repaired: 0,
    unknown: 0,
    unparsable: 0,
    questions_without_evidence: 0,
  };
  const questions: Question[] = [];
  let skipped = 0;
  (raw.qa as RawQa[]).forEach((q, i) => {
    if (!(LOCOMO_CATEGORIES as readonly number[]).includes(q.category)) {
      skipped++;
      return;
    }
    const entries = Array.isArray(q.evidence)
      ? q.evidence.filter((e): e is string => typeof e === "string")
      : [];
    const gold = [
      ...new Set(entries.flatMap((e) => parseEvidence(e, known, (fate) => void evidence[fate]++))),
    ];
    if (gold.length === 0) {
      evidence.questions_without_evidence++;
      return;
    }
    questions.push({ id: `${id}#${i}`, question: q.question, category: q.category as LocomoCategory, gold });
  });
  return {
    id,
    speakers: [String(raw.speaker_a), String(raw.speaker_b)],
    turns,
    questions,
    evidence,
    skipped_questions: skipped,
  };
}

/** The conversation ids in `dir` (file names without .json), numerically sorted. */
export function listConversations(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -5))
    .sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
}

export function readConversation(dir: string, id: string, opts: ParseOptions = {}): Conversation {
  const raw = JSON.parse(readFileSync(join(dir, `${id}.json`), "utf8")) as Record<string, unknown>;
  return parseConversation(id, raw, opts);
}
