/** The user's sessions, newest first, with expired ones marked; each opens its transcript. */
import { listSessions } from "../../api/endpoints";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { Pager } from "../../components/pager";
import { Empty, Loading, PageTitle } from "../../components/status";
import { formatTime, relativeTime } from "../../lib/format";
import { Link } from "../../lib/router";
import { usePaged } from "../../lib/use-paged";

export function Sessions() {
  const { api } = useSession();
  const list = usePaged((cursor) => listSessions(api, cursor), [api]);
  const rows = list.data?.items ?? [];
  return (
    <section>
      <PageTitle title="Sessions">Sessions</PageTitle>
      {list.error ? <ErrorMessage error={list.error} onRetry={list.reload} /> : null}
      {list.loading && !list.data ? <Loading what="Loading sessions" /> : null}
      {list.data && rows.length === 0 ? (
        <Empty>No sessions yet. Agents open them with POST /v1/sessions or over MCP.</Empty>
      ) : null}
      {rows.length > 0 ? (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Session</th>
              <th scope="col">Status</th>
              <th scope="col">Started</th>
              <th scope="col">Last activity</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((s) => (
              <tr key={s.id}>
                <td data-label="Session" className="mono small">
                  <Link to={`/sessions/${encodeURIComponent(s.id)}`}>{s.id}</Link>
                </td>
                <td data-label="Status">
                  {s.expired ? (
                    <span className="badge expired">expired</span>
                  ) : (
                    <span className="badge ok">open</span>
                  )}
                </td>
                <td data-label="Started">{formatTime(s.created_at)}</td>
                <td data-label="Last activity">{relativeTime(s.last_activity_at)}</td>
                <td data-label="Expires">
                  {s.expired ? formatTime(s.expires_at) : relativeTime(s.expires_at)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager
        label="Sessions"
        page={list.page}
        hasPrev={list.hasPrev}
        hasNext={list.hasNext}
        onPrev={list.prev}
        onNext={list.next}
      />
    </section>
  );
}
