/** Memories as a table (cards on a phone): inline edit, pause/archive/restore, delete with confirmation, history. */
import { type FormEvent, useEffect, useRef, useState } from "react";
import { deleteMemory, updateMemory } from "../../api/endpoints";
import type { Memory, MemoryState, SearchResult } from "../../api/types";
import { useSession } from "../../auth/session";
import { ConfirmDialog } from "../../components/dialog";
import { ErrorMessage } from "../../components/error-message";
import { formatScore, formatTime } from "../../lib/format";
import { Link } from "../../lib/router";

type Row = Memory | SearchResult;
const hasScore = (r: Row): r is SearchResult => "score" in r && typeof r.score === "number";

export function MemoryTable({
  rows,
  onChanged,
  onHistory,
}: {
  rows: Row[];
  onChanged(): void;
  onHistory(m: Memory): void;
}) {
  const scored = rows.some(hasScore);
  return (
    <table className="data memory-table">
      <thead>
        <tr>
          <th scope="col">Memory</th>
          {scored ? <th scope="col">Score</th> : null}
          <th scope="col">App</th>
          <th scope="col">State</th>
          <th scope="col">Session</th>
          <th scope="col">Created</th>
          <th scope="col">Actions</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((m) => (
          <MemoryRow key={m.id} memory={m} scored={scored} onChanged={onChanged} onHistory={onHistory} />
        ))}
      </tbody>
    </table>
  );
}

function MemoryRow({
  memory: m,
  scored,
  onChanged,
  onHistory,
}: {
  memory: Row;
  scored: boolean;
  onChanged(): void;
  onHistory(m: Memory): void;
}) {
  const { api } = useSession();
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(m.text);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function run(action: () => Promise<unknown>) {
    setBusy(true);
    setError(undefined);
    try {
      await action();
      setEditing(false);
      setConfirming(false);
      onChanged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  const save = (e: FormEvent) => {
    e.preventDefault();
    void run(() => updateMemory(api, m.id, { text: draft }));
  };
  const setState = (state: MemoryState) => void run(() => updateMemory(api, m.id, { state }));
  const editId = `edit-${m.id}`;
  const editor = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (editing) editor.current?.focus();
  }, [editing]);

  return (
    <tr data-memory-id={m.id}>
      <td data-label="Memory" className="memory-text">
        {editing ? (
          <form onSubmit={save} className="stack">
            <label htmlFor={editId} className="visually-hidden">
              Edit memory text
            </label>
            <textarea
              id={editId}
              value={draft}
              rows={3}
              onChange={(e) => setDraft(e.target.value)}
              ref={editor}
            />
            <div className="actions">
              <button type="submit" className="primary" disabled={busy || !draft.trim()}>
                Save
              </button>
              <button
                type="button"
                onClick={() => {
                  setEditing(false);
                  setDraft(m.text);
                }}
              >
                Cancel
              </button>
            </div>
          </form>
        ) : (
          m.text
        )}
        {error ? <ErrorMessage error={error} /> : null}
      </td>
      {scored ? (
        <td data-label="Score" className="num">
          {hasScore(m) ? formatScore(m.score) : ""}
        </td>
      ) : null}
      <td data-label="App">{m.app}</td>
      <td data-label="State">
        <span className={`badge state-${m.state}`}>{m.state}</span>
      </td>
      <td data-label="Session" className="mono small">
        {m.session_id ? (
          m.session_id.startsWith("sess_") ? (
            <Link to={`/sessions/${encodeURIComponent(m.session_id)}`}>{m.session_id}</Link>
          ) : (
            m.session_id
          )
        ) : (
          "—"
        )}
      </td>
      <td data-label="Created" className="nowrap">
        {formatTime(m.created_at)}
      </td>
      <td data-label="Actions">
        <div className="row-actions">
          {!editing ? (
            <button
              type="button"
              onClick={() => setEditing(true)}
              disabled={busy}
              aria-label={`Edit: ${m.text}`}
            >
              Edit
            </button>
          ) : null}
          <button type="button" onClick={() => onHistory(m)} aria-label={`History: ${m.text}`}>
            History
          </button>
          {m.state === "active" ? (
            <>
              <button type="button" onClick={() => setState("paused")} disabled={busy}>
                Pause
              </button>
              <button type="button" onClick={() => setState("archived")} disabled={busy}>
                Archive
              </button>
            </>
          ) : m.state !== "deleted" ? (
            <button type="button" onClick={() => setState("active")} disabled={busy}>
              Restore
            </button>
          ) : null}
          {m.state !== "deleted" ? (
            <button
              type="button"
              className="danger"
              onClick={() => setConfirming(true)}
              disabled={busy}
              aria-label={`Delete: ${m.text}`}
            >
              Delete
            </button>
          ) : null}
        </div>
        {confirming ? (
          <ConfirmDialog
            title="Delete this memory?"
            confirmLabel="Delete memory"
            busy={busy}
            onConfirm={() => void run(() => deleteMemory(api, m.id))}
            onCancel={() => setConfirming(false)}
          >
            <blockquote>{m.text}</blockquote>
            <p>It stops appearing in lists and searches. Its history keeps the events, without the text.</p>
            {error ? <ErrorMessage error={error} /> : null}
          </ConfirmDialog>
        ) : null}
      </td>
    </tr>
  );
}
