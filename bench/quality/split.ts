// The quality dataset's users split into a `tune` half and a `held-out` half: methods are tuned on one, judged on the other.
import type { Dataset } from "./dataset.js";

export const HALVES = ["tune", "held-out"] as const;
export type Half = (typeof HALVES)[number];
/** What a run can be restricted to: one half, or the whole set. */
export const SPLITS = ["tune", "held-out", "all"] as const;
export type Split = (typeof SPLITS)[number];

export const SPLIT_RULE =
  "users grouped in units (a source user with its distractors; every other user alone); units taken by memory " +
  "count, most first (ties in dataset order), each to the half with fewer questions so far (tune on a tie)";

/**
 * Which half each user of the dataset belongs to, by SPLIT_RULE. A distractor stays with its source user, so each
 * half is self-contained (its isolation traps come with it); taking the big units first spreads the heavy users
 * over both halves, and dealing to the lighter half keeps the question counts even. Computed from the data, not
 * stored in it: on version 1 it gives 13 users and 198 questions a half, two heavy users in each.
 * Pass the whole dataset: splitting a subset would deal its users differently.
 */
export function splitUsers(d: Dataset): Map<string, Half> {
  const root = new Map(d.users.map((u) => [u.id, u.distractor_of ?? u.id]));
  const units = new Map<string, { users: string[]; memories: number; questions: number; order: number }>();
  for (const [i, u] of d.users.entries()) {
    const key = root.get(u.id) ?? u.id;
    const unit = units.get(key) ?? { users: [], memories: 0, questions: 0, order: i };
    unit.users.push(u.id);
    units.set(key, unit);
  }
  for (const m of d.memories) {
    const unit = units.get(root.get(m.user) ?? m.user);
    if (unit) unit.memories++;
  }
  for (const q of d.questions) {
    const unit = units.get(root.get(q.user) ?? q.user);
    if (unit) unit.questions++;
  }
  const load: Record<Half, number> = { tune: 0, "held-out": 0 };
  const half = new Map<string, Half>();
  for (const unit of [...units.values()].sort((a, b) => b.memories - a.memories || a.order - b.order)) {
    const to: Half = load["held-out"] < load.tune ? "held-out" : "tune";
    load[to] += unit.questions;
    for (const u of unit.users) half.set(u, to);
  }
  return half;
}

/** The users of one split, in dataset order. */
export function usersOf(d: Dataset, halves: ReadonlyMap<string, Half>, split: Split): string[] {
  return d.users.filter((u) => split === "all" || halves.get(u.id) === split).map((u) => u.id);
}
