// The generator's toolkit: a seeded PRNG, dates, and the per-user context fact modules write memories and questions into.
import { rng, shuffle } from "../lib/stats.js";

export const CATEGORIES = [
  "paraphrase",
  "name",
  "date",
  "number",
  "negation",
  "near_duplicate",
  "multi_hop",
] as const;
export type Category = (typeof CATEGORIES)[number];

/** The generator's random choices, all drawn from one seeded mulberry32 stream (lib/stats.ts): the same on every machine. */
export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = rng(seed);
  }
  /** Integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error("pick from an empty list");
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  shuffle<T>(xs: readonly T[]): T[] {
    return shuffle(xs, this.next);
  }
}

export const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
] as const;

export interface Day {
  month: string;
  day: number;
}

/** "March 14" or "14 March": both share the tokens a keyword search needs ("march", "14"). */
export function fmtDay(rng: Rng, d: Day): string {
  return rng.chance(0.5) ? `${d.month} ${d.day}` : `${d.day} ${d.month}`;
}

export function fmtTime(rng: Rng): string {
  const h = rng.int(7, 19);
  const m = rng.pick(["00", "15", "30", "45"]);
  if (rng.chance(0.5)) return `${h}:${m}`;
  const h12 = h > 12 ? h - 12 : h;
  return m === "00" ? `${h12}${h >= 12 ? "pm" : "am"}` : `${h12}:${m}${h >= 12 ? "pm" : "am"}`;
}

export interface DraftMemory {
  key: string;
  text: string;
  topic: string;
}

export interface DraftQuestion {
  category: Category;
  /** Candidate wordings; the generator keeps one that passes the category's wording rule. */
  queries: string[];
  answers: string[];
  /** name/date/number: tokens that must appear in the question and in an answer (what keyword search can use). */
  rare?: string[];
}

/** Values drawn by role; a distractor user starts from its source's map. */
export type Shared = Map<string, string>;

/**
 * Roles a distractor user copies from its source (80% of the time): who and what things are called (people, pets,
 * codenames, flight codes, plates), never the facts about them (cities, jobs, dates, amounts, extensions), so the
 * distractor holds memories that look like the source's answers but answer differently. A search that leaked across
 * users would surface them near the top.
 */
const SHARED_ROLES: ReadonlySet<string> = new Set(
  (
    "sister brother sisterHusband mother father partner son daughter friend1 friend2 weddingFriend manager dog cat " +
    "company codename landlord plumber plate policy doctor flightOut flightBack hotel birthdayFriend tripFriend teacher"
  ).split(" "),
);

/** One user's generation state: unique names/values per user, the memories written and the questions asked. */
export class Ctx {
  readonly memories: DraftMemory[] = [];
  readonly questions: DraftQuestion[] = [];
  private readonly used = new Set<string>();
  private readonly days = new Set<string>();

  constructor(
    readonly rng: Rng,
    /** Values drawn so far by role (a distractor user starts from its source's map). */
    readonly roles: Shared,
    private readonly source: Shared | undefined,
  ) {}

  /** A value for a role, unique within this user; a distractor user may reuse its source's (see SHARED_ROLES). */
  take(role: string, pool: readonly string[]): string {
    const reuse = this.reusable(role);
    if (reuse !== undefined) return this.claim(role, reuse);
    for (let i = 0; i < 200; i++) {
      const v = this.rng.pick(pool);
      if (!this.used.has(v.toLowerCase())) return this.claim(role, v);
    }
    throw new Error(`pool for ${role} exhausted`);
  }

  /** A made-up value (code, number) from a maker, unique within this user; reused by a distractor like take(). */
  make(role: string, maker: (rng: Rng) => string): string {
    const reuse = this.reusable(role);
    if (reuse !== undefined) return this.claim(role, reuse);
    for (let i = 0; i < 200; i++) {
      const v = maker(this.rng);
      if (!this.used.has(v.toLowerCase())) return this.claim(role, v);
    }
    throw new Error(`maker for ${role} keeps colliding`);
  }

  /** A calendar day no other fact of this user uses, so "what is on March 14?" has one answer. */
  day(): Day {
    for (;;) {
      const d = { month: this.rng.pick(MONTHS), day: this.rng.int(1, 28) };
      const k = `${d.month} ${d.day}`;
      if (!this.days.has(k)) {
        this.days.add(k);
        return d;
      }
    }
  }

  private reusable(role: string): string | undefined {
    if (!SHARED_ROLES.has(role)) return undefined;
    const v = this.source?.get(role);
    if (v === undefined || this.used.has(v.toLowerCase()) || !this.rng.chance(0.8)) return undefined;
    return v;
  }

  private claim(role: string, v: string): string {
    this.used.add(v.toLowerCase());
    this.roles.set(role, v);
    return v;
  }

  /** Adds a memory written with one of the templates; returns its key for questions to point at. */
  mem(topic: string, templates: readonly string[]): string {
    const key = `k${this.memories.length}`;
    this.memories.push({ key, text: tidy(this.rng.pick(templates)), topic });
    return key;
  }

  ask(category: Category, queries: readonly string[], answers: string[], rare?: string[]): void {
    this.questions.push({ category, queries: queries.map(tidy), answers, ...(rare ? { rare } : {}) });
  }

  /** The text of a memory written earlier (for questions that depend on the chosen wording). */
  text(key: string): string {
    const m = this.memories.find((x) => x.key === key);
    if (!m) throw new Error(`no memory ${key}`);
    return m.text;
  }
}

/** Templates slot words in blindly: capitalise the sentence and fix "a urban planner" to "an urban planner". */
function tidy(s: string): string {
  const t = s.replace(/\b([Aa]) ([aeiou])/g, "$1n $2");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** A fact module: writes a few related memories for one user and the questions they answer. */
export type FactModule = (c: Ctx) => void;
