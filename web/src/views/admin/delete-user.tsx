/** Deleting a user: what will go (memories, sessions, keys), and the user's id typed to confirm. */
import { useState } from "react";
import { deleteUser, getUser } from "../../api/endpoints";
import type { DeletedUser, User } from "../../api/types";
import { useSession } from "../../auth/session";
import { Dialog } from "../../components/dialog";
import { ErrorMessage } from "../../components/error-message";
import { Loading } from "../../components/status";
import { formatCount } from "../../lib/format";
import { useAsync } from "../../lib/use-async";

export function DeleteUser({
  user,
  onCancel,
  onDeleted,
}: {
  user: User;
  onCancel(): void;
  onDeleted(d: DeletedUser): void;
}) {
  const { api } = useSession();
  // Fresh counts: the row may be minutes old.
  const fresh = useAsync(() => getUser(api, user.user_id, user.tenant), [api, user]);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const u = fresh.data ?? user;

  async function confirm() {
    setBusy(true);
    setError(undefined);
    try {
      onDeleted(await deleteUser(api, user.user_id, user.tenant));
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Delete user ${user.user_id}?`} onClose={onCancel}>
      {fresh.loading ? <Loading what="Counting what will be removed" /> : null}
      {fresh.error ? <ErrorMessage error={fresh.error} /> : null}
      <p>
        This removes, in one transaction and for good, everything user{" "}
        <strong className="mono">{user.user_id}</strong> of tenant <strong>{user.tenant}</strong> owns:
      </p>
      <ul className="delete-counts">
        <li data-count="memories">{formatCount(u.memory_count)} memories (and their history)</li>
        <li data-count="sessions">{formatCount(u.session_count)} sessions (and their messages)</li>
        <li data-count="keys">{formatCount(u.key_count)} API keys</li>
      </ul>
      <p className="muted small">Export first with `engram export` if the data may be needed again.</p>
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          if (typed === user.user_id) void confirm();
        }}
      >
        <label htmlFor="confirm-user-id">Type the user id to confirm</label>
        <input
          id="confirm-user-id"
          className="mono"
          autoComplete="off"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoFocus
        />
        <div className="actions">
          <button type="submit" className="danger" disabled={typed !== user.user_id || busy}>
            {busy ? "Deleting…" : "Delete user"}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
      {error ? <ErrorMessage error={error} /> : null}
    </Dialog>
  );
}
