// The labelled retrieval dataset's shape, and a loader that checks it before a benchmark trusts it.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CATEGORIES, type Category } from "./kit.js";

export interface DatasetUser {
  id: string;
  /** Set for distractor users: they reuse this user's names and codes with different facts attached. */
  distractor_of: string | null;
}

export interface DatasetMemory {
  id: string;
  user: string;
  topic: string;
  text: string;
}

export interface DatasetQuestion {
  id: string;
  user: string;
  category: Category;
  query: string;
  /** Ids of the memories (of the same user) that answer the question; all of them count for recall. */
  answers: string[];
}

export interface Dataset {
  name: string;
  version: number;
  licence: string;
  origin: string;
  seed: number;
  users: DatasetUser[];
  memories: DatasetMemory[];
  questions: DatasetQuestion[];
}

export const DATASET_PATH = fileURLToPath(new URL("./dataset.json", import.meta.url));

/** Reads and checks the dataset: every answer exists and belongs to the question's user. */
export function readDataset(path = DATASET_PATH): Dataset {
  const d = JSON.parse(readFileSync(path, "utf8")) as Dataset;
  checkDataset(d);
  return d;
}

export function checkDataset(d: Dataset): void {
  const users = new Set(d.users.map((u) => u.id));
  const owner = new Map<string, string>();
  for (const m of d.memories) {
    if (!users.has(m.user)) throw new Error(`memory ${m.id}: unknown user ${m.user}`);
    if (owner.has(m.id)) throw new Error(`memory ${m.id}: duplicate id`);
    owner.set(m.id, m.user);
  }
  for (const q of d.questions) {
    if (!users.has(q.user)) throw new Error(`question ${q.id}: unknown user ${q.user}`);
    if (!(CATEGORIES as readonly string[]).includes(q.category))
      throw new Error(`question ${q.id}: bad category`);
    if (q.answers.length === 0) throw new Error(`question ${q.id}: no answers`);
    for (const a of q.answers) {
      if (owner.get(a) !== q.user)
        throw new Error(`question ${q.id}: answer ${a} is not a memory of ${q.user}`);
    }
  }
}

/** The dataset restricted to some users (for a quicker run in the test suite). */
export function subset(d: Dataset, userIds: readonly string[]): Dataset {
  const keep = new Set(userIds);
  return {
    ...d,
    users: d.users.filter((u) => keep.has(u.id)),
    memories: d.memories.filter((m) => keep.has(m.user)),
    questions: d.questions.filter((q) => keep.has(q.user)),
  };
}
