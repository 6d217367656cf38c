/** Cursor paging: forward with next_cursor, back by the stack. */
import { describe, expect, it } from "vitest";
import { currentCursor, firstPage, hasPrevious, nextPage, pageNumber, previousPage } from "./paging";

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
