/** The history panel of one memory: every add, edit, state change and delete, which key made it, and when. */
import { useEffect, useRef } from "react";
import { memoryHistory } from "../../api/endpoints";
import type { Memory, MemoryEvent } from "../../api/types";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { Empty, Loading } from "../../components/status";
import { formatTime } from "../../lib/format";
import { useAsync } from "../../lib/use-async";

const LABEL: Record<MemoryEvent["event"], string> = {
  add: "Added",
  update: "Edited",
  state: "State changed",
  delete: "Deleted",
};

export function MemoryHistory({
  memory,
  version,
  onClose,
}: {
  memory: Memory;
  version: number;
  onClose(): void;
}) {
  const { api } = useSession();
  const events = useAsync(() => memoryHistory(api, memory.id), [api, memory.id, version]);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <aside className="panel" aria-labelledby="history-title">
      <div className="panel-head">
        <h2 id="history-title" ref={heading} tabIndex={-1}>
          History
        </h2>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
      <p className="mono small">{memory.id}</p>
      {events.error ? <ErrorMessage error={events.error} onRetry={events.reload} /> : null}
      {events.loading && !events.data ? <Loading what="Loading history" /> : null}
      {events.data && events.data.length === 0 ? <Empty>No events recorded.</Empty> : null}
      {events.data && events.data.length > 0 ? (
        <ol className="timeline">
          {events.data.map((e) => (
            <li key={e.id} data-event={e.event}>
              <p>
                <strong>{LABEL[e.event]}</strong> <span className="muted">{formatTime(e.created_at)}</span>
              </p>
              {e.event === "update" && e.old_text !== e.new_text ? (
                <p className="diff">
                  <del>{e.old_text ?? "—"}</del>
                  <span aria-hidden="true"> → </span>
                  <span className="visually-hidden"> changed to </span>
                  <ins>{e.new_text ?? "—"}</ins>
                </p>
              ) : e.new_text || e.old_text ? (
                <p className="diff">{e.new_text ?? e.old_text}</p>
              ) : null}
              {e.old_state !== e.new_state && (e.old_state || e.new_state) ? (
                <p className="small">
                  State: {e.old_state ? `${e.old_state} → ${e.new_state ?? "—"}` : e.new_state}
                </p>
              ) : null}
              <p className="small muted">
                by {e.key_id ? <span className="mono key-id">{e.key_id}</span> : "the CLI or the system"}
              </p>
            </li>
          ))}
        </ol>
      ) : null}
    </aside>
  );
}
