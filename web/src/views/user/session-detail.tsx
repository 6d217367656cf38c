/** One session's transcript, oldest message first; an expired session is marked and stays readable. */
import { getSession } from "../../api/endpoints";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { Empty, Loading, PageTitle } from "../../components/status";
import { formatTime } from "../../lib/format";
import { Link } from "../../lib/router";
import { useAsync } from "../../lib/use-async";

export function SessionView({ id }: { id: string }) {
  const { api } = useSession();
  const s = useAsync(() => getSession(api, id), [api, id]);
  return (
    <section>
      <p>
        <Link to="/sessions">← All sessions</Link>
      </p>
      <PageTitle title="Session">Session</PageTitle>
      <p className="mono small">{id}</p>
      {s.error ? <ErrorMessage error={s.error} onRetry={s.reload} /> : null}
      {s.loading && !s.data ? <Loading what="Loading the transcript" /> : null}
      {s.data ? (
        <>
          <p>
            {s.data.expired ? (
              <span className="badge expired">expired {formatTime(s.data.expires_at)}</span>
            ) : (
              <span className="badge ok">open until {formatTime(s.data.expires_at)}</span>
            )}{" "}
            <span className="muted small">started {formatTime(s.data.created_at)}</span>
          </p>
          {s.data.messages.length === 0 ? (
            <Empty>No messages in this session.</Empty>
          ) : (
            <ol className="transcript">
              {s.data.messages.map((m) => (
                <li key={m.id} className={`msg role-${m.role}`}>
                  <p className="msg-head">
                    <strong>{m.role}</strong> <span className="muted small">{formatTime(m.created_at)}</span>
                  </p>
                  <p className="msg-body">{m.content}</p>
                </li>
              ))}
            </ol>
          )}
        </>
      ) : null}
    </section>
  );
}
