/** The "add a memory" form: text, and optionally the app and session it belongs to. */
import { type FormEvent, useState } from "react";
import { addMemory } from "../../api/endpoints";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";

export function AddMemory({ apps, onAdded }: { apps: string[]; onAdded(): void }) {
  const { api } = useSession();
  const [text, setText] = useState("");
  const [app, setApp] = useState("");
  const [session, setSession] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState("");

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setDone("");
    try {
      await addMemory(api, {
        text: text.trim(),
        ...(app.trim() ? { app: app.trim() } : {}),
        ...(session.trim() ? { session_id: session.trim() } : {}),
      });
      setText("");
      setDone("Memory added.");
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details className="add-memory">
      <summary>Add a memory</summary>
      <form onSubmit={submit} className="stack">
        <label htmlFor="new-memory">Text</label>
        <textarea id="new-memory" rows={3} value={text} onChange={(e) => setText(e.target.value)} required />
        <div className="inline-fields">
          <label>
            App
            <input
              value={app}
              onChange={(e) => setApp(e.target.value)}
              placeholder="default"
              list="app-names"
            />
          </label>
          <datalist id="app-names">
            {apps.map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
          <label>
            Session
            <input value={session} onChange={(e) => setSession(e.target.value)} placeholder="optional" />
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !text.trim()}>
            {busy ? "Adding…" : "Add memory"}
          </button>
          <output aria-live="polite" className="small">
            {done}
          </output>
        </div>
        {error ? <ErrorMessage error={error} /> : null}
      </form>
    </details>
  );
}
