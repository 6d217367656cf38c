/** Colour for people, never for pipes: ANSI styles only when stdout is a terminal and NO_COLOR is unset (no-color.org). */
import { table } from "./output.js";

type Paint = (s: string) => string;

// NO_COLOR is a convention of terminals, not an Engram setting: it is read where output is written, not in config.
const enabled = process.stdout.isTTY === true && !process.env.NO_COLOR;

const sgr =
  (open: number, close: number): Paint =>
  (s) =>
    enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s;

export const bold = sgr(1, 22);
export const dim = sgr(2, 22);
export const green = sgr(32, 39);
export const red = sgr(31, 39);
export const yellow = sgr(33, 39);

/** output.ts's table with its header row in bold (styled after padding, so the columns stay aligned). */
export function styledTable(headers: string[], rows: string[][]): string {
  const lines = table(headers, rows).split("\n");
  return [bold(lines[0] ?? ""), ...lines.slice(1)].join("\n");
}

/** One line of at most `max` characters: whitespace runs folded, an ellipsis where it was cut. */
export function oneLine(text: string, max = 72): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
