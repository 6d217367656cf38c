/** Prefixed, time-ordered ids (mem_, sess_, key_, app_, msg_, usr_): sortable by creation, so ids double as cursors. */
import { createHash, randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

function encodeTime(ms: number, length: number): string {
  let out = "";
  let t = ms;
  for (let i = 0; i < length; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}

function randomPart(length: number): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += ALPHABET[b % 32];
  return out;
}

export type IdPrefix = "mem" | "sess" | "key" | "app" | "msg" | "usr" | "evt" | "req" | "aud";

/** 10 chars of milliseconds then 16 random chars (80 bits): unique, and ordered by time to the millisecond. */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${encodeTime(Date.now(), 10)}${randomPart(16)}`;
}

/**
 * An id of the same shape whose random part is a hash of `seed`: the same seed and time always give the same id, so
 * an import from another system (OpenMemory's UUIDs) can be re-run without duplicating anything.
 */
export function derivedId(prefix: IdPrefix, ms: number, seed: string): string {
  const digest = createHash("sha256").update(seed).digest();
  let tail = "";
  for (const b of digest.subarray(0, 16)) tail += ALPHABET[b % 32];
  return `${prefix}_${encodeTime(Math.max(0, Math.floor(ms)), 10)}${tail}`;
}

export function hasPrefix(id: string, prefix: IdPrefix): boolean {
  return id.startsWith(`${prefix}_`) && /^[a-z]+_[0-9a-z]{26}$/.test(id);
}
