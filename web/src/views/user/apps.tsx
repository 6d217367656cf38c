/** The user's apps with their memory counts; pausing one hides its memories and refuses its writes. */
import { useState } from "react";
import { listApps, setAppActive } from "../../api/endpoints";
import type { App } from "../../api/types";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { Empty, Loading, PageTitle } from "../../components/status";
import { formatCount, formatTime } from "../../lib/format";
import { useAsync } from "../../lib/use-async";

export function Apps() {
  const { api } = useSession();
  const apps = useAsync(() => listApps(api), [api]);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<unknown>();

  async function toggle(app: App) {
    setBusy(app.id);
    setError(undefined);
    try {
      await setAppActive(api, app.id, !app.is_active);
      apps.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <section>
      <PageTitle title="Apps">Apps</PageTitle>
      <p className="muted">
        Every memory records the app that wrote it. A paused app's memories drop out of lists and searches,
        and writes to it are refused until it is resumed.
      </p>
      {error ? <ErrorMessage error={error} /> : null}
      {apps.error ? <ErrorMessage error={apps.error} onRetry={apps.reload} /> : null}
      {apps.loading && !apps.data ? <Loading what="Loading apps" /> : null}
      {apps.data && apps.data.length === 0 ? <Empty>No apps yet.</Empty> : null}
      {apps.data && apps.data.length > 0 ? (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">App</th>
              <th scope="col">Memories</th>
              <th scope="col">Status</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {apps.data.map((a) => (
              <tr key={a.id}>
                <td data-label="App">
                  {a.name}
                  {a.description ? <div className="muted small">{a.description}</div> : null}
                </td>
                <td data-label="Memories" className="num">
                  {formatCount(a.memory_count)}
                </td>
                <td data-label="Status">
                  {a.is_active ? (
                    <span className="badge ok">active</span>
                  ) : (
                    <span className="badge paused">paused</span>
                  )}
                </td>
                <td data-label="Created">{formatTime(a.created_at)}</td>
                <td data-label="Actions">
                  <button type="button" onClick={() => void toggle(a)} disabled={busy === a.id}>
                    {a.is_active ? `Pause ${a.name}` : `Resume ${a.name}`}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
