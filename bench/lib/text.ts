// Synthetic memory and query texts for the benches: word lists, sentence templates and seeded generators over them.
import { rng } from "./stats.js";

const words = (s: string): readonly string[] => s.split("|");

/** Word lists the templates draw from, by role. */
export const VOCAB = {
  name: words(
    "Alice|Bob|Carmen|Dmitri|Elif|Farid|Grace|Hiro|Ines|Jonas|Kemi|Luca|Maya|Nils|Oksana|Priya|Quentin|Rosa|Sven|Tariq",
  ),
  city: words(
    "Lisbon|Osaka|Nairobi|Montreal|Krakow|Lima|Tbilisi|Hanoi|Oslo|Austin|Porto|Seoul|Accra|Denver|Leeds",
  ),
  food: words(
    "ramen|dark roast coffee|green tea|sourdough bread|spicy tacos|mango sticky rice|falafel|oat milk lattes|sushi|lentil soup|blue cheese|dark chocolate",
  ),
  allergen: words("peanuts|shellfish|penicillin|cat dander|gluten|bee stings|latex|pollen"),
  job: words(
    "nurse|data engineer|chef|architect|high-school teacher|product manager|pilot|lawyer|physiotherapist|accountant",
  ),
  company: words("Acme Corp|Northwind|Globex|Initech|Umbrella Health|Stark Logistics|Hooli|Vandelay Imports"),
  topic: words(
    "the Q3 budget|the hiring plan|the kitchen renovation|a new pricing model|the wedding guest list|the data migration|the school trip|the tax return|the office move|the product launch",
  ),
  hobby: words(
    "bouldering|watercolour painting|chess|trail running|sourdough baking|birdwatching|salsa dancing|woodworking|sailing|pottery",
  ),
  item: words(
    "a road bike|concert tickets|a standing desk|noise-cancelling headphones|an espresso machine|a tent|a drone|winter boots|a sewing machine",
  ),
  month: words("January|February|March|April|May|June|July|August|September|October|November|December"),
  car: words("Toyota Corolla|Volkswagen Golf|Tesla Model 3|Subaru Outback|Honda Civic|Ford Transit"),
  pet: words(
    "a beagle called Biscuit|a grey cat named Smoke|two goldfish|a parrot called Kiwi|a rescue greyhound",
  ),
  lang: words("Spanish|Japanese|Portuguese|German|Swahili|Korean|Polish"),
  med: words("ibuprofen|metformin|vitamin D|an inhaler|antihistamines|blood-pressure pills"),
};
export type Vocab = keyof typeof VOCAB;
export type Words = Readonly<Record<Vocab, readonly string[]>>;

/** A sentence shape: `p(role)` picks a word of that role, `n(m)` an integer in [0, m). */
export type Template = (p: (k: Vocab) => string, n: (m: number) => number) => string;

/** A seeded stream of sentences: each call picks one of `templates` and fills it in (texts may repeat). */
export function sampler(seed: number, vocab: Words = VOCAB): (templates: readonly Template[]) => string {
  const r = rng(seed);
  const n = (m: number) => Math.floor(r() * m);
  const p = (k: Vocab) => vocab[k][n(vocab[k].length)] ?? "";
  return (templates) => templates[n(templates.length)]?.(p, n) ?? "";
}

/**
 * `count` distinct sentences from the templates, seeded: the same texts on every run. Distinct matters for queries:
 * a repeated text would hit the server's query-embedding cache and flatter the numbers.
 */
export function sentences(
  seed: number,
  count: number,
  templates: readonly Template[],
  opts: { vocab?: Words; exclude?: ReadonlySet<string> } = {},
): string[] {
  const next = sampler(seed, opts.vocab);
  const out = new Set<string>();
  for (let guard = 0; out.size < count && guard < count * 100; guard++) {
    const s = next(templates);
    if (!opts.exclude?.has(s)) out.add(s);
  }
  if (out.size < count) throw new Error(`only ${out.size} distinct sentences`);
  return [...out];
}

/** Memory-like statements (hnsw-recall.ts, search-concurrency.ts). */
export const MEMORY_TEMPLATES: readonly Template[] = [
  (p) => `${p("name")} prefers ${p("food")} in the morning and avoids it after 4pm.`,
  (p) => `The user is allergic to ${p("allergen")}; mention it when booking restaurants in ${p("city")}.`,
  (p, n) => `${p("name")} works as a ${p("job")} at ${p("company")} in ${p("city")} since ${2005 + n(19)}.`,
  (p, n) =>
    `On ${p("month")} ${1 + n(28)}, ${p("name")} met ${p("name")} in ${p("city")} to discuss ${p("topic")}.`,
  (p, n) =>
    `${p("name")} has a dentist appointment on ${p("month")} ${1 + n(28)} at ${8 + n(9)}:${n(2) ? "30" : "00"}.`,
  (p, n) =>
    `Flight ${["TP", "LH", "AF", "KL", "BA"][n(5)]}${100 + n(900)} to ${p("city")} departs ${p("month")} ${1 + n(28)}.`,
  (p, n) => `${p("name")} paid $${20 + n(1980)} for ${p("item")} in ${p("month")}.`,
  (p, n) => `The user ran ${3 + n(20)} km along the river in ${p("city")} in ${20 + n(100)} minutes.`,
  (p) => `${p("name")}'s favourite hobby is ${p("hobby")}; they go every weekend with ${p("name")}.`,
  (p, n) => `${p("name")}'s daughter turns ${2 + n(15)} in ${p("month")}; she wants ${p("item")}.`,
  (p, n) => `The user drives a ${2005 + n(19)} ${p("car")} and needs an oil change every ${5 + n(6)},000 km.`,
  (p) => `Remind ${p("name")} to send the notes about ${p("topic")} before Friday.`,
  (p) => `${p("name")} dislikes ${p("food")} and never orders it, even in ${p("city")}.`,
  (p, n) =>
    `The team's standup moved to ${8 + n(3)}:${n(2) ? "15" : "45"} because ${p("name")} is in ${p("city")}.`,
  (p) => `${p("name")} has ${p("pet")} and needs a sitter when travelling to ${p("city")}.`,
  (p, n) => `The user has been learning ${p("lang")} for ${1 + n(9)} years and practises with ${p("name")}.`,
  (p, n) =>
    `${p("name")} takes ${p("med")} every ${["morning", "evening", "night"][n(3)]}; refill due in ${p("month")}.`,
  (p) => `Gift idea for ${p("name")}: ${p("item")}, or a ${p("hobby")} class.`,
  (p) => `The ${p("topic")} review with ${p("company")} was postponed to ${p("month")}.`,
  (p, n) => `${p("name")} moved from ${p("city")} to ${p("city")} in ${2010 + n(14)} for a ${p("job")} job.`,
];

/** Questions about those statements (hnsw-recall.ts, search-concurrency.ts). */
export const QUERY_TEMPLATES: readonly Template[] = [
  (p) => `What does ${p("name")} like to eat for breakfast?`,
  (p) => `When is ${p("name")}'s next dentist appointment?`,
  (p) => `Where does ${p("name")} work now?`,
  (p) => `Is anyone allergic to ${p("allergen")}?`,
  (p) => `upcoming trip to ${p("city")}`,
  (p) => `How much did I spend on ${p("item")}?`,
  (p) => `Who did ${p("name")} meet about ${p("topic")}?`,
  (p) => `how far did I run in ${p("city")}`,
  (p) => `what car do I drive and when is the service due in ${p("month")}`,
  (p) => `birthday present ideas for ${p("name")}`,
  (p) => `notes from the meeting about ${p("topic")}`,
  (p) => `what are ${p("name")}'s hobbies`,
  (p) => `who looks after the pets when ${p("name")} travels`,
  (p) => `which medication does ${p("name")} take`,
  (p) => `how long have I studied ${p("lang")}`,
  (p) => `when did ${p("name")} move to ${p("city")}`,
];

/**
 * A stream of short notes (~60-110 chars) for the embedder bench, cycling through fixed word lists; a counter in each
 * text keeps every one unique, so the query cache never hits. Each call returns the next `count` texts.
 */
export function uniqueNotes(): (count: number) => string[] {
  const subjects = ["The user", "My sister", "Our team lead", "The customer", "Alex"];
  const verbs = ["prefers", "is allergic to", "asked about", "wants to learn", "booked a trip involving"];
  const objects = [
    "dark roast coffee",
    "peanuts",
    "the quarterly report",
    "Rust and WebAssembly",
    "hiking in the Alps",
  ];
  const tails = [
    "on weekdays",
    "since last spring",
    "according to the call notes",
    "but only in the morning",
    "",
  ];
  const pick = (list: readonly string[], n: number): string => list[n % list.length] ?? "";
  let counter = 0;
  const note = (): string => {
    const i = counter++;
    return `${pick(subjects, i)} ${pick(verbs, i >> 1)} ${pick(objects, i >> 2)} ${pick(tails, i >> 3)} (note ${i})`.replace(
      /\s+/g,
      " ",
    );
  };
  return (count) => Array.from({ length: count }, note);
}
