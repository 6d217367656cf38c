/** Key storage: the key lives in the store it is given (the tab's sessionStorage), is checked, and is removable. */
import { describe, expect, it } from "vitest";
import {
  clearKey,
  type KeyStore,
  loadKey,
  maskKey,
  normalizeKey,
  STORAGE_NAME,
  saveKey,
} from "./key-storage";

function memoryStore(): KeyStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

const KEY = "ek_user_abcdefghijklmnopqrstuvwxyz012345";

describe("key storage", () => {
  it("saves, loads and clears the key under one name, and writes nothing else", () => {
    const s = memoryStore();
    expect(loadKey(s)).toBeNull();
    expect(saveKey(s, KEY)).toBe(true);
    expect([...s.data.keys()]).toEqual([STORAGE_NAME]);
    expect(loadKey(s)).toBe(KEY);
    clearKey(s);
    expect(loadKey(s)).toBeNull();
    expect(s.data.size).toBe(0);
  });

  it("never touches localStorage", () => {
    const touched: string[] = [];
    const spy = new Proxy({}, { get: (_t, p) => touched.push(String(p)) });
    const g = globalThis as Record<string, unknown>;
    const before = g.localStorage;
    g.localStorage = spy;
    try {
      const s = memoryStore();
      saveKey(s, KEY);
      loadKey(s);
      clearKey(s);
    } finally {
      g.localStorage = before;
    }
    expect(touched).toEqual([]);
  });

  it("works without storage (a browser that refuses it): nothing kept, nothing thrown", () => {
    expect(saveKey(null, KEY)).toBe(false);
    expect(loadKey(null)).toBeNull();
    expect(() => clearKey(null)).not.toThrow();
  });

  it("reports a store that throws on write (quota, privacy mode) as not saved", () => {
    const s = memoryStore();
    s.setItem = () => {
      throw new Error("QuotaExceededError");
    };
    expect(saveKey(s, KEY)).toBe(false);
  });

  it("ignores a stored value that is not a key", () => {
    const s = memoryStore();
    s.setItem(STORAGE_NAME, "not a key");
    expect(loadKey(s)).toBeNull();
  });

  it("normalizes what was pasted: whitespace, a Bearer prefix and quotes go; junk is refused", () => {
    expect(normalizeKey(`  ${KEY}\n`)).toBe(KEY);
    expect(normalizeKey(`Bearer ${KEY}`)).toBe(KEY);
    expect(normalizeKey(`"${KEY}"`)).toBe(KEY);
    expect(normalizeKey("")).toBeNull();
    expect(normalizeKey("   ")).toBeNull();
    expect(normalizeKey("ek_user_abc def ghi jkl")).toBeNull();
    expect(normalizeKey("short")).toBeNull();
  });

  it("masks a key down to its kind and a few characters", () => {
    expect(maskKey(KEY)).toBe("ek_user_abcd…");
    expect(maskKey(KEY)).not.toContain("efgh");
  });
});
