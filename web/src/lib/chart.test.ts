/** The overview chart's arithmetic: round axis maxima, ticks, and bars inside the plot. */
import { describe, expect, it } from "vitest";
import { bars, labelIndexes, niceMax, ticks } from "./chart";

describe("chart", () => {
  it("rounds the axis up to 1, 2 or 5 times a power of ten", () => {
    expect([0, 1, 3, 7, 10, 11, 40, 51, 999].map(niceMax)).toEqual([1, 1, 5, 10, 10, 20, 50, 100, 1000]);
  });

  it("makes whole-number ticks from 0 to the maximum", () => {
    expect(ticks(20)).toEqual([0, 5, 10, 15, 20]);
    expect(ticks(5)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ticks(10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(ticks(200)).toEqual([0, 50, 100, 150, 200]);
    expect(ticks(1)).toEqual([0, 1]);
  });

  it("keeps every bar inside the plot, a zero flat on the baseline and the maximum full height", () => {
    const plot = { left: 10, top: 5, width: 100, height: 50 };
    const b = bars([0, 5, 10], 10, plot);
    expect(b).toHaveLength(3);
    for (const box of b) {
      expect(box.x).toBeGreaterThanOrEqual(10);
      expect(box.x + box.width).toBeLessThanOrEqual(110);
      expect(box.y + box.height).toBeCloseTo(55);
    }
    expect(b[0]?.height).toBe(0);
    expect(b[2]?.height).toBe(50);
  });

  it("labels the first and last day and about one a week between", () => {
    expect(labelIndexes(30)).toEqual([0, 7, 14, 21, 29]);
    expect(labelIndexes(1)).toEqual([0]);
    expect(labelIndexes(0)).toEqual([]);
  });
});
