/** Cursor paging: forward with next_cursor, back by the stack, and the date cut of newest-first pages. */
import { describe, expect, it } from "vitest";
import {
  currentCursor,
  firstPage,
  hasPrevious,
  nextPage,
  pageNumber,
  previousPage,
  withinDates,
} from "./paging";

describe("paging", () => {
  it("starts on page 1 with no cursor and nothing before it", () => {
    const p = firstPage();
    expect(currentCursor(p)).toBeNull();
    expect(pageNumber(p)).toBe(1);
    expect(hasPrevious(p)).toBe(false);
  });

  it("goes forward with the API's next_cursor and back to the cursor that opened the page before", () => {
    let p = nextPage(firstPage(), "c1");
    p = nextPage(p, "c2");
    expect(currentCursor(p)).toBe("c2");
    expect(pageNumber(p)).toBe(3);
    p = previousPage(p);
    expect(currentCursor(p)).toBe("c1");
    p = previousPage(p);
    expect(currentCursor(p)).toBeNull();
    expect(previousPage(p)).toBe(p);
  });

  it("stays put on the last page (next_cursor null) and on a cursor already visited", () => {
    const p = nextPage(firstPage(), "c1");
    expect(nextPage(p, null)).toBe(p);
    expect(nextPage(p, "c1")).toBe(p);
  });

  it("does not change the state it is given", () => {
    const p = firstPage();
    nextPage(p, "c1");
    expect(p.stack).toEqual([null]);
  });
});

describe("withinDates (newest-first pages)", () => {
  const rows = [
    { id: "a", created_at: "2026-03-10T12:00:00Z" },
    { id: "b", created_at: "2026-03-05T12:00:00Z" },
    { id: "c", created_at: "2026-03-01T12:00:00Z" },
  ];

  it("keeps everything without dates", () => {
    expect(withinDates(rows, undefined, undefined)).toEqual({ rows, olderMayMatch: true });
  });

  it("keeps [after, before) and says older pages cannot match once a row is older than `after`", () => {
    const r = withinDates(rows, "2026-03-02T00:00:00Z", "2026-03-10T00:00:00Z");
    expect(r.rows.map((x) => x.id)).toEqual(["b"]);
    expect(r.olderMayMatch).toBe(false);
  });

  it("keeps paging while every row is newer than `after`", () => {
    const r = withinDates(rows, "2026-02-01T00:00:00Z", "2026-03-06T00:00:00Z");
    expect(r.rows.map((x) => x.id)).toEqual(["b", "c"]);
    expect(r.olderMayMatch).toBe(true);
  });
});
