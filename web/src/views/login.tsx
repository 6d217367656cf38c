/** The login form: an API key typed or pasted, checked with /v1/me before it is kept for this tab. */
import { type FormEvent, useState } from "react";
import { createApi } from "../api/client";
import { me } from "../api/endpoints";
import type { Me } from "../api/types";
import { normalizeKey } from "../auth/key-storage";
import { ErrorMessage } from "../components/error-message";
import { PageTitle } from "../components/status";

export function Login({ onSignedIn, notice }: { onSignedIn(key: string, me: Me): void; notice: unknown }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<unknown>(notice);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const key = normalizeKey(value);
    if (!key) {
      setError(new Error("That does not look like an API key: keys start with ek_ and contain no spaces."));
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const who = await me(createApi({ key }));
      setValue("");
      onSignedIn(key, who);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" className="login">
      <PageTitle title="Sign in">Engram</PageTitle>
      <p>
        Sign in with an API key: an admin key for users, tenants and the audit log, or a user key for your
        memories.
      </p>
      {/* No action, no GET: the key must never reach a URL. */}
      <form onSubmit={submit} className="stack card" aria-describedby="key-note">
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          className="mono"
          autoComplete="off"
          spellCheck={false}
          placeholder="ek_user_…"
          value={value}
          onChange={(e) => setValue(e.target.value)}
          required
        />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? "Checking…" : "Sign in"}
        </button>
        <p id="key-note" className="muted small">
          The key is kept in this browser tab only (session storage) and is forgotten when the tab closes or
          you sign out.
        </p>
      </form>
      {error ? <ErrorMessage error={error} /> : null}
    </main>
  );
}
