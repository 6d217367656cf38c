/** API keys as a table (prefix, scopes, status, revoke) and the form that creates one, shared by users and admins. */
import { type FormEvent, useState } from "react";
import { type ApiKey, type CreatedKey, SCOPES } from "../api/types";
import { formatTime, relativeTime } from "../lib/format";
import { ConfirmDialog } from "./dialog";
import { ErrorMessage } from "./error-message";
import { SecretReveal } from "./secret-reveal";

export function keyStatus(k: ApiKey, now = Date.now()): "revoked" | "expired" | "active" {
  if (k.revoked_at) return "revoked";
  if (k.expires_at && Date.parse(k.expires_at) <= now) return "expired";
  return "active";
}

/** Admins list plain keys; a user's own list (OwnKey) also marks the key in use as `current`. */
export function KeyTable<K extends ApiKey & { current?: boolean }>({
  keys,
  onRevoke,
}: {
  keys: K[];
  onRevoke(k: K): Promise<unknown>;
}) {
  const [revoking, setRevoking] = useState<K>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();

  async function confirm() {
    if (!revoking) return;
    setBusy(true);
    setError(undefined);
    try {
      await onRevoke(revoking);
      setRevoking(undefined);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <table className="data keys">
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Status</th>
            <th scope="col">Last used</th>
            <th scope="col">Created</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const status = keyStatus(k);
            return (
              <tr key={k.id} data-key-id={k.id}>
                <td data-label="Key" className="mono small">
                  {k.prefix}…{k.current ? <span className="badge ok">this key</span> : null}
                </td>
                <td data-label="Name">{k.name ?? "—"}</td>
                <td data-label="Scopes" className="small">
                  {k.scopes.join(", ")}
                  {k.app ? <div className="muted">app {k.app}</div> : null}
                </td>
                <td data-label="Status">
                  <span className={`badge ${status === "active" ? "ok" : "expired"}`}>{status}</span>
                  {k.expires_at && status === "active" ? (
                    <div className="small muted">expires {relativeTime(k.expires_at)}</div>
                  ) : null}
                </td>
                <td data-label="Last used">{relativeTime(k.last_used_at)}</td>
                <td data-label="Created">{formatTime(k.created_at)}</td>
                <td data-label="Actions">
                  {status !== "revoked" ? (
                    <button type="button" className="danger" onClick={() => setRevoking(k)}>
                      Revoke
                    </button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {revoking ? (
        <ConfirmDialog
          title="Revoke this key?"
          confirmLabel="Revoke key"
          busy={busy}
          onConfirm={() => void confirm()}
          onCancel={() => {
            setRevoking(undefined);
            setError(undefined);
          }}
        >
          <p>
            <span className="mono">{revoking.prefix}…</span>
            {revoking.name ? ` (${revoking.name})` : ""} stops working at once.
            {revoking.current ? " It is the key you are signed in with: you will be signed out." : ""}
          </p>
          {error ? <ErrorMessage error={error} /> : null}
        </ConfirmDialog>
      ) : null}
    </>
  );
}

export interface NewKeyInput {
  name?: string;
  scopes?: string[];
  expires_at?: string;
}

/** Name, scopes and expiry of a new key; the created key is shown once below the form. */
export function CreateKeyForm({
  onCreate,
  title = "Create a key",
}: {
  onCreate(body: NewKeyInput): Promise<CreatedKey>;
  title?: string;
}) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<string[]>([...SCOPES]);
  const [expires, setExpires] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<CreatedKey>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const body: NewKeyInput = {
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(scopes.length < SCOPES.length ? { scopes } : {}),
        ...(expires ? { expires_at: new Date(`${expires}T23:59:59`).toISOString() } : {}),
      };
      setCreated(await onCreate(body));
      setName("");
      setExpires("");
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section className="card" aria-label={title}>
      <h2>{title}</h2>
      <form onSubmit={submit} className="stack">
        <div className="inline-fields">
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="laptop agent" />
          </label>
          <label>
            Expires (optional)
            <input type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </label>
        </div>
        <fieldset className="scopes">
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) =>
                  setScopes((old) => (e.target.checked ? [...old, s] : old.filter((x) => x !== s)))
                }
              />
              {s}
            </label>
          ))}
        </fieldset>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || scopes.length === 0}>
            {busy ? "Creating…" : "Create key"}
          </button>
        </div>
      </form>
      {error ? <ErrorMessage error={error} /> : null}
      {created ? (
        <SecretReveal
          secret={created.api_key}
          label={`New key ${created.key.name ?? created.key.prefix}`}
          onDone={() => setCreated(undefined)}
        />
      ) : null}
    </section>
  );
}
