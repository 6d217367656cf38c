/** The arithmetic of the overview's bar charts: a round axis maximum, its ticks, and each bar's box. */

/** The smallest 1, 2 or 5 × 10^k at or above `n` (1 for an empty series), so axis labels are round numbers. */
export function niceMax(n: number): number {
  if (!(n > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  for (const m of [1, 2, 5, 10]) if (m * p >= n) return m * p;
  return 10 * p;
}

/**
 * Ticks from 0 to `max` inclusive at a round step (1, 2 or 5 times a power of ten) that divides `max`, with at most
 * `count` intervals; `max` comes from niceMax, so the top of the axis is always labelled.
 */
export function ticks(max: number, count = 5): number[] {
  let step = max;
  for (let p = 1; p <= max; p *= 10) {
    const found = [1, 2, 5].map((m) => m * p).find((s) => max % s === 0 && max / s <= count);
    if (found !== undefined) {
      step = found;
      break;
    }
  }
  const out: number[] = [];
  for (let v = 0; v <= max; v += Math.max(1, step)) out.push(v);
  return out;
}

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Plot {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** One bar per value across `plot`, scaled to `max`; a zero gets no height (and so draws nothing). */
export function bars(values: readonly number[], max: number, plot: Plot, gap = 0.2): Box[] {
  if (values.length === 0) return [];
  const slot = plot.width / values.length;
  const width = Math.max(1, slot * (1 - gap));
  return values.map((v, i) => {
    const h = max > 0 ? (Math.max(0, v) / max) * plot.height : 0;
    return { x: plot.left + i * slot + (slot - width) / 2, y: plot.top + plot.height - h, width, height: h };
  });
}

/** Which of `n` days get an x-axis label: the first, the last, and about every `every`-th between. */
export function labelIndexes(n: number, every = 7): number[] {
  if (n <= 0) return [];
  const out = new Set<number>([0, n - 1]);
  for (let i = every; i < n - every / 2; i += every) out.add(i);
  return [...out].sort((a, b) => a - b);
}
