/** How times, numbers and scores are written on screen. */

const pad = (n: number) => String(n).padStart(2, "0");

/** `2026-01-08 10:00` in the browser's time zone; an em dash for a missing time. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** `3 h ago`, `in 20 min`: for last activity and expiry, next to the exact time. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  const [n, unit] =
    abs < 60
      ? [abs, "s"]
      : abs < 3600
        ? [Math.round(abs / 60), "min"]
        : abs < 86_400
          ? [Math.round(abs / 3600), "h"]
          : [Math.round(abs / 86_400), "d"];
  return s < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
}

export const formatScore = (score: number): string => score.toFixed(3);

export const formatCount = (n: number | undefined): string =>
  n === undefined ? "—" : n.toLocaleString("en");

/** A date input's `YYYY-MM-DD` as the start of that day in the browser's zone, as an ISO time the API takes. */
export function dayStart(day: string): string | undefined {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00`);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** The start of the day after `day`: the exclusive end of a "to" date. */
export function dayEnd(day: string): string | undefined {
  const start = dayStart(day);
  if (!start) return undefined;
  const d = new Date(start);
  d.setDate(d.getDate() + 1);
  return d.toISOString();
}
