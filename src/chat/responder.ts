/**
 * The built-in responder used when no LLM is configured: a documented fallback, not intelligence. It stores
 * statements about the user ("Remember I like Python", "my X is Y", "I like/prefer/am/have ..."), answers
 * questions from the best-matching memory, and otherwise acknowledges. English only.
 */

export type Intent = { kind: "remember"; fact: string } | { kind: "question" } | { kind: "other" };

const QUESTION_START =
  /^(what|what's|whats|who|who's|whom|whose|where|where's|when|which|why|how|do|does|did|is|are|am|was|were|can|could|should|would|will|have|has|tell me|remind me|any idea|know)\b/i;

// "remember (that)? ...", "please remember: ...", "don't forget (that)? ...", "note that ...", "keep in mind (that)? ..."
const REMEMBER =
  /^(?:please\s+|pls\s+|hey[,!]?\s+)?(?:remember|don'?t\s+forget|do\s+not\s+forget|note|keep\s+in\s+mind|make\s+a\s+note)\b(?:\s+that\b)?\s*[:,-]?\s*(.+)$/is;

// Statements about the user that are worth keeping even without "remember": "I like ...", "I'm ...", and
// "my X is Y" (isSelfStatement). Every regex here runs in linear time: the responder reads untrusted text of up to
// the text length limit, and a backtracking pattern (a `.*` before a `\s+`) is quadratic on a long run of spaces.
const I_STATEMENT =
  /^(?:i\s+(?:like|love|enjoy|prefer|hate|dislike|am|have|live|work|study|speak|use|own|was\s+born|grew\s+up|need|want|usually|always|never|don't|do\s+not)\b|i'm\b|i've\b)/i;
// "my", white space, then the subject's first character.
const MY_SUBJECT = /^my\s+\S/i;
// A verb after a run of white space, then the predicate. The lookbehind starts a match only where a run of white
// space starts, so no run is scanned more than twice.
const MY_VERB = /(?<!\s)\s+(?:is|are|was|were)\s+\S/i;
const LINE_END = /[\n\r\u2028\u2029]/;
const TRAILING = /[.!\s]/u;

/**
 * "my <subject> is|are|was|were <predicate>": the verb follows a run of white space that starts on the subject's
 * line (white space after the verb may span lines). Same answers as `/^my\s+\S.*\s+(?:is|are|was|were)\s+\S/i`.
 */
function isMyStatement(m: string): boolean {
  const subject = MY_SUBJECT.exec(m);
  if (!subject) return false;
  const rest = m.slice(subject[0].length);
  const verb = MY_VERB.exec(rest);
  if (!verb) return false;
  const lineEnd = rest.search(LINE_END);
  return lineEnd === -1 || verb.index <= lineEnd;
}

function isSelfStatement(m: string): boolean {
  return I_STATEMENT.test(m) || isMyStatement(m);
}

/** Trims, drops trailing end punctuation and capitalises the first letter: "i like python." -> "I like python". */
export function normaliseFact(text: string): string {
  const spaced = text.trim().replace(/\s+/g, " ");
  // Trailing `.`, `!` and spaces, dropped by a scan from the end (the regex `/[.!\s]+$/` is quadratic on a long
  // run of them that is not at the end).
  let end = spaced.length;
  while (end > 0 && TRAILING.test(spaced.charAt(end - 1))) end--;
  const t = spaced.slice(0, end);
  return t.charAt(0).toUpperCase() + t.slice(1);
}

/** Classifies one user message. A question is never stored, unless it is phrased as an explicit "remember ...". */
export function interpret(message: string): Intent {
  // Phones type curly apostrophes: "I’m" must read as "I'm".
  const m = message.trim().replace(/[\u2018\u2019]/g, "'");
  const remember = REMEMBER.exec(m);
  // "Remember what my name is?" asks; it does not state.
  if (remember?.[1] && !remember[1].trim().endsWith("?")) {
    let fact = remember[1].trim();
    // "remember to buy milk" is a task, not a statement about the user: keep it readable as one.
    if (/^to\s+\S/i.test(fact)) fact = `Reminder: ${fact.slice(3).trim()}`;
    const normalised = normaliseFact(fact);
    if (normalised.length > 0) return { kind: "remember", fact: normalised };
  }
  if (m.endsWith("?") || QUESTION_START.test(m)) return { kind: "question" };
  if (isSelfStatement(m)) return { kind: "remember", fact: normaliseFact(m) };
  return { kind: "other" };
}

export function confirmReply(fact: string): string {
  return `Got it. I'll remember: ${fact}.`;
}

export function alreadyKnownReply(fact: string): string {
  return `I already know that: ${fact}.`;
}

export function answerReply(memoryText: string | undefined): string {
  if (memoryText === undefined) return "I don't know that yet.";
  return `From what you've told me: ${normaliseFact(memoryText)}.`;
}

export const ACKNOWLEDGE_REPLY =
  'Okay. (No language model is configured, so I only remember facts you state, such as "Remember I like Python", and answer questions from them.)';
