/** Create a user and its first key; the key is shown once, with a copy button. */
import { type FormEvent, useState } from "react";
import { createUser } from "../../api/endpoints";
import type { CreatedUser, Tenant } from "../../api/types";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { SecretReveal } from "../../components/secret-reveal";

export function CreateUser({ tenants, onCreated }: { tenants: Tenant[]; onCreated(): void }) {
  const { api } = useSession();
  const [userId, setUserId] = useState("");
  const [tenant, setTenant] = useState("default");
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [created, setCreated] = useState<CreatedUser>();

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setCreated(undefined);
    try {
      const c = await createUser(api, {
        user_id: userId.trim(),
        tenant,
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(email.trim() ? { email: email.trim() } : {}),
      });
      setCreated(c);
      setUserId("");
      setName("");
      setEmail("");
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <details className="card create-user">
      <summary>Create a user</summary>
      <form onSubmit={submit} className="stack">
        <div className="inline-fields">
          <label>
            User id
            <input
              value={userId}
              onChange={(e) => setUserId(e.target.value)}
              required
              pattern="[A-Za-z0-9_.:@+\-]{1,128}"
              title="1-128 letters, digits and _ . : @ + -"
            />
          </label>
          <label>
            Tenant
            <select value={tenant} onChange={(e) => setTenant(e.target.value)}>
              {(tenants.length ? tenants.map((t) => t.id) : ["default"]).map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </label>
          <label>
            Name
            <input value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Email
            <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || !userId.trim()}>
            {busy ? "Creating…" : "Create user"}
          </button>
        </div>
      </form>
      {error ? <ErrorMessage error={error} /> : null}
      {created ? (
        <SecretReveal
          secret={created.api_key}
          label={`Key for ${created.user.user_id}`}
          onDone={() => setCreated(undefined)}
        />
      ) : null}
    </details>
  );
}
