// Generates bench/quality/dataset.json: synthetic personal-assistant memories and labelled questions, from a fixed seed.
// Run: npx tsx bench/quality/generate.ts   (deterministic: no network, no LLM; the same file every time)
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { checkDataset, DATASET_PATH, type Dataset, type DatasetQuestion } from "./dataset.js";
import { allergy, appointments, condition, medication, negations, passport } from "./facts-health.js";
import { drinks, flights, friendBirthday, hobbies, home, seats, tastes, trip } from "./facts-leisure.js";
import { friends, kids, manager, parents, partner, pets, siblings, wedding } from "./facts-people.js";
import {
  budgets,
  car,
  codes,
  extensions,
  gym,
  insurance,
  job,
  plumber,
  project,
  rent,
} from "./facts-work.js";
import { addFillers } from "./fillers.js";
import {
  CATEGORIES,
  type Category,
  Ctx,
  type DraftQuestion,
  type FactModule,
  Rng,
  type Shared,
} from "./kit.js";
import { sharedContent, words } from "./text.js";

export const SEED = 20_250_611;
const USERS = 26;
/**
 * Most users hold 40-50 memories; these hold 150-190 (every topic plus a long tail of everyday notes). With 45
 * memories a top 10 is a fifth of the store and recall@10 saturates; the heavy users keep it informative.
 */
const HEAVY = new Set([2, 8, 14, 20]);
/** Questions kept per user and category; about 14 a user. */
const QUOTA: Record<Category, number> = {
  paraphrase: 3,
  name: 2,
  date: 2,
  number: 2,
  negation: 2,
  near_duplicate: 2,
  multi_hop: 1,
};

/** Run order matters only where a module reads another's roles (negations checks for a cafe order). */
const MODULES: readonly [string, FactModule][] = [
  ["siblings", siblings],
  ["parents", parents],
  ["partner", partner],
  ["kids", kids],
  ["friends", friends],
  ["wedding", wedding],
  ["manager", manager],
  ["pets", pets],
  ["job", job],
  ["project", project],
  ["extensions", extensions],
  ["codes", codes],
  ["budgets", budgets],
  ["rent", rent],
  ["car", car],
  ["insurance", insurance],
  ["plumber", plumber],
  ["gym", gym],
  ["appointments", appointments],
  ["passport", passport],
  ["allergy", allergy],
  ["medication", medication],
  ["condition", condition],
  ["drinks", drinks],
  ["negations", negations],
  ["hobbies", hobbies],
  ["tastes", tastes],
  ["seats", seats],
  ["home", home],
  ["trip", trip],
  ["flights", flights],
  ["friendBirthday", friendBirthday],
];

/** Picks a wording that keeps the category's promise, or undefined when none does. */
function wording(rng: Rng, q: DraftQuestion, answerTexts: string[]): string | undefined {
  const ok = q.queries.filter((query) => {
    if (q.category === "paraphrase") return answerTexts.every((t) => sharedContent(query, t).length === 0);
    if (q.rare) {
      const qw = new Set(words(query));
      return q.rare.every((r) => {
        const rw = words(r);
        return rw.every((w) => qw.has(w)) && answerTexts.some((t) => rw.every((w) => words(t).includes(w)));
      });
    }
    return true;
  });
  return ok.length > 0 ? rng.pick(ok) : undefined;
}

interface UserDraft {
  ctx: Ctx;
  modules: string[];
  questions: { category: Category; query: string; answers: string[] }[];
}

function draftUser(
  rng: Rng,
  heavy: boolean,
  source: UserDraft | undefined,
  sourceRoles: Shared | undefined,
): UserDraft {
  const ctx = new Ctx(rng, new Map(), sourceRoles);
  // A distractor user gets its source's topics, so its memories look like the source's answers.
  const all = MODULES.map(([n]) => n);
  const chosen = new Set(heavy ? all : source ? source.modules : rng.shuffle(all).slice(0, rng.int(20, 24)));
  for (const [n, run] of MODULES) if (chosen.has(n)) run(ctx);
  const total = heavy ? rng.int(150, 190) : rng.int(42, 50);
  addFillers(ctx, Math.max(3, total - ctx.memories.length));
  const scale = heavy ? 1.5 : 1;
  const perUser = Object.values(QUOTA).reduce((a, b) => a + Math.ceil(b * scale), 0);

  const byCategory = new Map<Category, { category: Category; query: string; answers: string[] }[]>();
  for (const q of ctx.questions) {
    const query = wording(
      rng,
      q,
      q.answers.map((a) => ctx.text(a)),
    );
    if (query === undefined) continue;
    const list = byCategory.get(q.category) ?? [];
    list.push({ category: q.category, query, answers: q.answers });
    byCategory.set(q.category, list);
  }
  const kept: UserDraft["questions"] = [];
  const spare: UserDraft["questions"] = [];
  const answered = new Set<string>();
  for (const cat of CATEGORIES) {
    let n = Math.ceil(QUOTA[cat] * scale);
    for (const q of rng.shuffle(byCategory.get(cat) ?? [])) {
      const key = q.answers.join(",");
      if (n > 0 && !answered.has(key)) {
        kept.push(q);
        answered.add(key);
        n--;
      } else spare.push(q);
    }
  }
  // Short of a category (a user without pets has no pet questions): top up from the rest, one question per answer.
  for (const q of rng.shuffle(spare)) {
    if (kept.length >= perUser) break;
    const key = q.answers.join(",");
    if (answered.has(key)) continue;
    kept.push(q);
    answered.add(key);
  }
  return { ctx, modules: [...chosen], questions: kept };
}

export function generate(): Dataset {
  const dataset: Dataset = {
    name: "engram-retrieval-quality",
    version: 1,
    licence: "CC0-1.0",
    origin:
      "Synthetic: written by bench/quality/generate.ts from a fixed seed (no network, no LLM, no real person).",
    seed: SEED,
    users: [],
    memories: [],
    questions: [],
  };
  const drafts: UserDraft[] = [];
  const roles: Shared[] = [];
  for (let u = 0; u < USERS; u++) {
    // One PRNG stream per user: editing one user's templates does not reshuffle every other user.
    const rng = new Rng(SEED + u * 7919);
    const src = u % 3 === 1 ? u - 1 : undefined;
    const draft = draftUser(
      rng,
      HEAVY.has(u),
      src === undefined ? undefined : drafts[src],
      src === undefined ? undefined : roles[src],
    );
    drafts.push(draft);
    roles.push(draft.ctx.roles);
    const userId = `quality_u${String(u + 1).padStart(2, "0")}`;
    dataset.users.push({
      id: userId,
      distractor_of: src === undefined ? null : `quality_u${String(src + 1).padStart(2, "0")}`,
    });
    const ids = new Map<string, string>();
    const texts = new Set<string>();
    for (const m of draft.ctx.memories) {
      if (texts.has(m.text)) throw new Error(`${userId}: duplicate memory text "${m.text}"`);
      texts.add(m.text);
      const id = `m${String(dataset.memories.length + 1).padStart(4, "0")}`;
      ids.set(m.key, id);
      dataset.memories.push({ id, user: userId, topic: m.topic, text: m.text });
    }
    for (const q of draft.questions) {
      const question: DatasetQuestion = {
        id: `q${String(dataset.questions.length + 1).padStart(3, "0")}`,
        user: userId,
        category: q.category,
        query: q.query,
        answers: q.answers.map((k) => ids.get(k) ?? k),
      };
      dataset.questions.push(question);
    }
  }
  checkDataset(dataset);
  const perCategory = Object.fromEntries(
    CATEGORIES.map((c) => [c, dataset.questions.filter((q) => q.category === c).length]),
  );
  if (dataset.users.length < 24 || dataset.memories.length < 1000 || dataset.questions.length < 300) {
    throw new Error(
      `dataset too small: ${dataset.users.length} users, ${dataset.memories.length} memories, ${dataset.questions.length} questions`,
    );
  }
  for (const [c, n] of Object.entries(perCategory)) if (n < 20) throw new Error(`only ${n} ${c} questions`);
  return dataset;
}

const WIDTH = 110;

/** A record on one line when it fits the formatter's width, else one key per line: exactly what Biome would write. */
function record(x: object): string {
  const entries = Object.entries(x).map(
    ([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v).replaceAll('","', '", "')}`,
  );
  const flat = `    { ${entries.join(", ")} },`;
  return flat.length <= WIDTH
    ? flat.slice(0, -1)
    : `    {\n${entries.map((e) => `      ${e}`).join(",\n")}\n    }`;
}

/** The dataset as JSON in the repository's formatting, so `biome check` passes on the generated file. */
export function serialise(d: Dataset): string {
  const rows = (xs: readonly object[]) => xs.map(record).join(",\n");
  const head = Object.entries(d)
    .filter(([k]) => !["users", "memories", "questions"].includes(k))
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(",\n");
  return `{\n${head},\n  "users": [\n${rows(d.users)}\n  ],\n  "memories": [\n${rows(d.memories)}\n  ],\n  "questions": [\n${rows(d.questions)}\n  ]\n}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const d = generate();
  writeFileSync(DATASET_PATH, serialise(d));
  const counts = CATEGORIES.map((c) => `${c} ${d.questions.filter((q) => q.category === c).length}`).join(
    ", ",
  );
  process.stdout.write(
    `wrote ${DATASET_PATH}: ${d.users.length} users, ${d.memories.length} memories, ${d.questions.length} questions (${counts})\n`,
  );
}
