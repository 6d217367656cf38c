/** A bar chart of one daily count, drawn as SVG by this code (no chart library), with its numbers as a table too. */
import { bars, labelIndexes, niceMax, ticks } from "../../lib/chart";

const W = 320;
const H = 150;
const PLOT = { left: 34, top: 8, width: W - 42, height: H - 34 };

export function DailyChart({
  title,
  days,
  values,
  tone,
}: {
  title: string;
  days: string[];
  values: number[];
  tone: number;
}) {
  const max = niceMax(Math.max(0, ...values));
  const boxes = bars(values, max, PLOT);
  const total = values.reduce((a, b) => a + b, 0);
  const y = (v: number) => PLOT.top + PLOT.height - (v / max) * PLOT.height;
  return (
    <figure className="chart">
      <figcaption>
        <strong>{title}</strong>{" "}
        <span className="muted small">
          {total.toLocaleString("en")} in {days.length} days
        </span>
      </figcaption>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        role="img"
        aria-label={`${title} per day: ${total} in ${days.length} days`}
      >
        {ticks(max).map((t) => (
          <g key={t} className="grid">
            <line x1={PLOT.left} x2={PLOT.left + PLOT.width} y1={y(t)} y2={y(t)} />
            <text x={PLOT.left - 4} y={y(t) + 3} textAnchor="end">
              {t}
            </text>
          </g>
        ))}
        {boxes.map((b, i) => (
          <rect
            key={days[i]}
            className={`bar tone-${tone}`}
            x={b.x}
            y={b.y}
            width={b.width}
            height={b.height}
          >
            <title>{`${days[i]}: ${values[i]}`}</title>
          </rect>
        ))}
        {labelIndexes(days.length).map((i) => (
          <text
            key={i}
            className="axis"
            x={PLOT.left + (i + 0.5) * (PLOT.width / days.length)}
            y={H - 8}
            textAnchor="middle"
          >
            {(days[i] ?? "").slice(5)}
          </text>
        ))}
      </svg>
    </figure>
  );
}
