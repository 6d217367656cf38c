/** API key material: generation, hashing, and the constant-time check. Secrets exist only in the response that creates them. */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { KeyKind } from "./scopes.js";

// Defined in scopes.ts (free of node:crypto, for the schemas); re-exported for the many importers of keys.ts.
export { KEY_KINDS, type KeyKind, SCOPES, type Scope } from "./scopes.js";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** 32 base62 characters: about 190 bits of randomness. */
function secret(): string {
  let out = "";
  // Rejection sampling keeps every character uniformly distributed.
  while (out.length < 32) {
    for (const b of randomBytes(48)) {
      if (b < 248 && out.length < 32) out += BASE62[b % 62];
    }
  }
  return out;
}

export interface NewKey {
  /** The full key, shown once. */
  plaintext: string;
  /** Visible part kept in the database, enough to tell keys apart in a list. */
  prefix: string;
  hash: string;
}

/** Keys read `ek_<kind>_<secret>`: the kind is visible, so a leaked key's power is obvious at a glance. */
export function generateKey(kind: KeyKind): NewKey {
  const plaintext = `ek_${kind}_${secret()}`;
  return { plaintext, prefix: plaintext.slice(0, `ek_${kind}_`.length + 6), hash: hashKey(plaintext) };
}

export function hashKey(plaintext: string): string {
  return createHash("sha256").update(plaintext, "utf8").digest("hex");
}

/** Compares a presented key's hash with a stored one without leaking where they differ. */
export function hashesMatch(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

export function kindOfKey(plaintext: string): KeyKind | undefined {
  const m = /^ek_(admin|client|user)_[0-9A-Za-z]{32}$/.exec(plaintext);
  return m ? (m[1] as KeyKind) : undefined;
}

/** How much of an ENGRAM_ADMIN_KEY is stored in clear, to tell it apart in a list of keys. */
export const ENV_KEY_PREFIX_CHARS = 8;

/**
 * Why an ENGRAM_ADMIN_KEY looks guessable, or undefined. A key of the form `engram keys` generates passes; any other
 * is accepted (operators bring their own secrets) but warned about when it repeats itself (few distinct characters,
 * or the same three-character runs again and again) or when its length and alphabet (hex, letters, digits, symbols)
 * allow fewer than 128 bits even if every character were random.
 */
export function adminKeyWeakness(plaintext: string): string | undefined {
  if (kindOfKey(plaintext) === "admin") return undefined;
  const advice = "generate one with: openssl rand -base64 32";
  const trigrams = new Set<string>();
  for (let i = 0; i + 3 <= plaintext.length; i++) trigrams.add(plaintext.slice(i, i + 3));
  if (new Set(plaintext).size < 8 || trigrams.size < 0.6 * (plaintext.length - 2)) {
    return `ENGRAM_ADMIN_KEY looks guessable (it repeats itself); ${advice}`;
  }
  let alphabet = 0;
  if (/^[0-9a-f]+$/i.test(plaintext)) alphabet = 16;
  else {
    if (/[a-z]/.test(plaintext)) alphabet += 26;
    if (/[A-Z]/.test(plaintext)) alphabet += 26;
    if (/[0-9]/.test(plaintext)) alphabet += 10;
    if (/[^0-9A-Za-z]/.test(plaintext)) alphabet += 33;
  }
  const bits = plaintext.length * Math.log2(alphabet);
  if (bits < 128) {
    return `ENGRAM_ADMIN_KEY looks guessable (at most ${Math.floor(bits)} bits for its length and characters); ${advice}`;
  }
  return undefined;
}

export function prefixOf(plaintext: string): string {
  const kind = kindOfKey(plaintext) ?? "user";
  return plaintext.slice(0, `ek_${kind}_`.length + 6);
}
