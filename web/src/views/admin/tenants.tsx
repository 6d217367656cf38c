/** Tenants, and the client (service) keys of each: create one (shown once), revoke. */
import { type FormEvent, useState } from "react";
import { createClientKey, createTenant, listKeys, listTenants, revokeKey } from "../../api/endpoints";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { CreateKeyForm, KeyTable } from "../../components/keys";
import { Empty, Loading, PageTitle } from "../../components/status";
import { formatTime } from "../../lib/format";
import { useAsync } from "../../lib/use-async";

export function Tenants() {
  const { api } = useSession();
  const tenants = useAsync(() => listTenants(api), [api]);
  const [selected, setSelected] = useState("default");
  return (
    <section>
      <PageTitle title="Tenants and keys">Tenants and client keys</PageTitle>
      <NewTenant onCreated={tenants.reload} />
      {tenants.error ? <ErrorMessage error={tenants.error} onRetry={tenants.reload} /> : null}
      {tenants.loading && !tenants.data ? <Loading what="Loading tenants" /> : null}
      {tenants.data ? (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Tenant</th>
              <th scope="col">Name</th>
              <th scope="col">Created</th>
              <th scope="col">Client keys</th>
            </tr>
          </thead>
          <tbody>
            {tenants.data.map((t) => (
              <tr key={t.id} aria-selected={t.id === selected}>
                <td data-label="Tenant" className="mono">
                  {t.id}
                </td>
                <td data-label="Name">{t.name}</td>
                <td data-label="Created">{formatTime(t.created_at)}</td>
                <td data-label="Client keys">
                  <button type="button" onClick={() => setSelected(t.id)} aria-pressed={t.id === selected}>
                    Show keys of {t.id}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <ClientKeys key={selected} tenant={selected} />
    </section>
  );
}

function ClientKeys({ tenant }: { tenant: string }) {
  const { api } = useSession();
  const keys = useAsync(
    async () => (await listKeys(api, tenant)).filter((k) => k.kind === "client"),
    [api, tenant],
  );
  return (
    <section aria-labelledby="client-keys-title">
      <h2 id="client-keys-title">Client keys of {tenant}</h2>
      <p className="muted small">
        A client key acts for any user of its tenant named in X-User-Id (MUXI's client key).
      </p>
      {keys.error ? <ErrorMessage error={keys.error} onRetry={keys.reload} /> : null}
      {keys.loading && !keys.data ? <Loading what="Loading keys" /> : null}
      {keys.data && keys.data.length === 0 ? <Empty>No client keys for this tenant.</Empty> : null}
      {keys.data && keys.data.length > 0 ? (
        <KeyTable
          keys={keys.data}
          onRevoke={async (k) => {
            await revokeKey(api, k.id);
            keys.reload();
          }}
        />
      ) : null}
      <CreateKeyForm
        title={`New client key for ${tenant}`}
        onCreate={async (body) => {
          const created = await createClientKey(api, tenant, body);
          keys.reload();
          return created;
        }}
      />
    </section>
  );
}

function NewTenant({ onCreated }: { onCreated(): void }) {
  const { api } = useSession();
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await createTenant(api, { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
      setId("");
      setName("");
      onCreated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <details className="card">
      <summary>Create a tenant</summary>
      <form className="inline-fields" onSubmit={submit}>
        <label>
          Tenant id
          <input
            value={id}
            onChange={(e) => setId(e.target.value)}
            required
            pattern="[a-z0-9][a-z0-9_\-]{0,63}"
          />
        </label>
        <label>
          Name
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={busy || !id.trim()}>
          Create tenant
        </button>
      </form>
      {error ? <ErrorMessage error={error} /> : null}
    </details>
  );
}
