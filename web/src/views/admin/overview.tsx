/** The admin's start page: totals, and users, memories and searches per day over the last 30 days. */
import { stats } from "../../api/endpoints";
import type { StatsDay } from "../../api/types";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { Empty, Loading, PageTitle } from "../../components/status";
import { isMissingRoute } from "../../lib/errors";
import { formatCount } from "../../lib/format";
import { useAsync } from "../../lib/use-async";
import { DailyChart } from "./chart";

const SERIES: Array<{ key: keyof Omit<StatsDay, "day">; title: string }> = [
  { key: "active_users", title: "Active users" },
  { key: "new_users", title: "New users" },
  { key: "memories_added", title: "Memories added" },
  { key: "searches", title: "Searches" },
];

export function Overview() {
  const { api } = useSession();
  const s = useAsync(() => stats(api, 30), [api]);
  return (
    <section>
      <PageTitle title="Overview">Overview</PageTitle>
      {s.error ? (
        isMissingRoute(s.error) ? (
          <Empty>This server has no statistics route (/v1/stats).</Empty>
        ) : (
          <ErrorMessage error={s.error} onRetry={s.reload} />
        )
      ) : null}
      {s.loading && !s.data ? <Loading what="Loading statistics" /> : null}
      {s.data ? (
        <>
          <dl className="totals">
            {Object.entries(s.data.totals).map(([k, v]) => (
              <div key={k} className="total">
                <dt>{k}</dt>
                <dd>{formatCount(v)}</dd>
              </div>
            ))}
          </dl>
          <h2>Last {s.data.days.length} days</h2>
          <div className="charts">
            {SERIES.map((ser, i) => (
              <DailyChart
                key={ser.key}
                title={ser.title}
                tone={i}
                days={s.data?.days.map((d) => d.day) ?? []}
                values={s.data?.days.map((d) => d[ser.key]) ?? []}
              />
            ))}
          </div>
          <details>
            <summary>The numbers as a table</summary>
            <table className="data compact">
              <thead>
                <tr>
                  <th scope="col">Day</th>
                  {SERIES.map((ser) => (
                    <th key={ser.key} scope="col">
                      {ser.title}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {s.data.days.map((d) => (
                  <tr key={d.day}>
                    <td data-label="Day">{d.day}</td>
                    {SERIES.map((ser) => (
                      <td key={ser.key} data-label={ser.title} className="num">
                        {d[ser.key]}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
        </>
      ) : null}
    </section>
  );
}
