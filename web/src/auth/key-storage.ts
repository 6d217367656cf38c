/**
 * Where the signed-in key lives: the tab's sessionStorage only. Never localStorage (it outlives the tab and is
 * shared by every tab), never the URL (history, logs, Referer) and never the console.
 */

/** The part of the Web Storage interface used here, so tests can pass a plain object. */
export interface KeyStore {
  getItem(name: string): string | null;
  setItem(name: string, value: string): void;
  removeItem(name: string): void;
}

export const STORAGE_NAME = "engram.dashboard.key";

/** The tab's sessionStorage, or null where the browser refuses it (some privacy modes throw on access). */
export function sessionKeyStore(): KeyStore | null {
  try {
    const s = window.sessionStorage;
    s.getItem(STORAGE_NAME);
    return s;
  } catch {
    return null;
  }
}

const KEY_SHAPE = /^[A-Za-z0-9_.~+/=-]{8,512}$/;

/**
 * What the user typed or pasted, as a key: surrounding whitespace and a pasted `Bearer ` prefix removed.
 * Null when it cannot be a key at all (empty, inner spaces, quotes), so a mistake is caught before a request.
 */
export function normalizeKey(input: string): string | null {
  let key = input.trim();
  if (/^(bearer|token)\s+/i.test(key)) key = key.replace(/^(bearer|token)\s+/i, "");
  key = key.replace(/^["']|["']$/g, "");
  return KEY_SHAPE.test(key) ? key : null;
}

export function loadKey(store: KeyStore | null): string | null {
  if (!store) return null;
  const key = store.getItem(STORAGE_NAME);
  return key && normalizeKey(key) === key ? key : null;
}

/** Keeps `key` for this tab; false when the browser allows no storage (the key then lives in memory only). */
export function saveKey(store: KeyStore | null, key: string): boolean {
  if (!store) return false;
  try {
    store.setItem(STORAGE_NAME, key);
    return true;
  } catch {
    return false;
  }
}

export function clearKey(store: KeyStore | null): void {
  store?.removeItem(STORAGE_NAME);
}

/** `ek_user_ab12…`: enough to tell keys apart on screen, never the secret part. */
export function maskKey(key: string): string {
  const m = /^(ek_[a-z]+_)(.{0,4})/.exec(key);
  return m ? `${m[1]}${m[2]}…` : `${key.slice(0, 4)}…`;
}
