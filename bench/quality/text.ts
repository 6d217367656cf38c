// Tokenisation shared by the dataset generator's wording checks and the harness's BM25 baseline.

/** A small English stop-word list: function words only, so names, dates and numbers always survive. */
export const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    "a an the and or but if of at by for with about to from in into on onto off up down out over under " +
    "again then once here there when where why how all any both each few more most other some such no nor not " +
    "only own same so than too very can will just should now i me my myself mine we us our ours you your yours " +
    "he him his she her hers it its they them their theirs what which who whom whose this that these those " +
    "am is are was were be been being have has had do does did doing would could shall may might must " +
    "s t m re ve ll d don doesn didn isn aren wasn weren haven hasn hadn won wouldn shouldn couldn can't " +
    "as until while during before after above below between through also yet still ever"
  ).split(/\s+/),
);

/** Lower-cased letter/digit runs; "I'm" gives "i", "m"; "TP1947" gives "tp1947"; "2,400" gives "2", "400". */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Words minus stop words: what the BM25 baseline indexes. */
export function tokens(text: string): string[] {
  return words(text).filter((w) => !STOP_WORDS.has(w));
}

/** A crude stem, deliberately aggressive: the paraphrase check would rather reject a question than let one leak. */
export function stem(w: string): string {
  let s = w;
  if (s.length > 4 && s.endsWith("ies")) s = `${s.slice(0, -3)}y`;
  else if (s.length > 4 && /(ss|x|z|ch|sh)es$/.test(s)) s = s.slice(0, -2);
  else if (s.length > 3 && s.endsWith("s") && !s.endsWith("ss")) s = s.slice(0, -1);
  if (s.length > 5 && s.endsWith("ing")) s = s.slice(0, -3);
  else if (s.length > 4 && s.endsWith("ed")) s = s.slice(0, -2);
  return s;
}

/**
 * Content words two texts share, for the paraphrase rule ("the question shares no key word with its answer").
 * Two words match when their stems are equal or when both are 5+ letters and agree on the first five
 * ("married"/"marriage", "vegetarian"/"vegetables"): strict on purpose.
 */
export function sharedContent(a: string, b: string): string[] {
  const bs = tokens(b).map(stem);
  const shared = new Set<string>();
  for (const w of tokens(a)) {
    const s = stem(w);
    if (bs.some((t) => t === s || (t.length >= 5 && s.length >= 5 && t.slice(0, 5) === s.slice(0, 5))))
      shared.add(w);
  }
  return [...shared];
}
