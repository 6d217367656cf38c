/** Users from the database with counts and last activity: search, tenant and "inactive since" filters, paging. */
import { type FormEvent, useState } from "react";
import { listTenants, listUsers } from "../../api/endpoints";
import type { DeletedUser, User } from "../../api/types";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { Pager } from "../../components/pager";
import { Empty, Loading, PageTitle } from "../../components/status";
import { dayStart, formatCount, formatTime, relativeTime } from "../../lib/format";
import { useAsync } from "../../lib/use-async";
import { usePaged } from "../../lib/use-paged";
import { CreateUser } from "./create-user";
import { DeleteUser } from "./delete-user";

interface Filters {
  q: string;
  tenant: string;
  inactiveSince: string;
}

const NONE: Filters = { q: "", tenant: "", inactiveSince: "" };

export function Users() {
  const { api } = useSession();
  const [filters, setFilters] = useState<Filters>(NONE);
  const [draft, setDraft] = useState<Filters>(NONE);
  const [version, setVersion] = useState(0);
  const [deleting, setDeleting] = useState<User>();
  const [deleted, setDeleted] = useState<DeletedUser & { tenant: string }>();
  const tenants = useAsync(() => listTenants(api), [api]);
  const users = usePaged(
    (cursor) =>
      listUsers(api, {
        limit: 50,
        cursor,
        q: filters.q || undefined,
        tenant: filters.tenant || undefined,
        inactive_since: dayStart(filters.inactiveSince),
      }),
    [api, filters, version],
  );
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters({ ...draft, q: draft.q.trim() });
  };
  const rows = users.data?.items ?? [];

  return (
    <section>
      <PageTitle title="Users">Users</PageTitle>
      {deleted ? (
        <output className="notice">
          Deleted user <strong>{deleted.user_id}</strong> ({deleted.tenant}): {deleted.deleted_memories}{" "}
          memories, {deleted.deleted_sessions ?? "?"} sessions and {deleted.deleted_keys ?? "?"} keys removed.
        </output>
      ) : null}
      <CreateUser tenants={tenants.data ?? []} onCreated={() => setVersion((v) => v + 1)} />
      <form className="toolbar" aria-label="Find users" onSubmit={apply}>
        <label>
          Search
          <input
            type="search"
            value={draft.q}
            placeholder="id, name or email"
            onChange={(e) => setDraft({ ...draft, q: e.target.value })}
          />
        </label>
        <label>
          Tenant
          <select value={draft.tenant} onChange={(e) => setDraft({ ...draft, tenant: e.target.value })}>
            <option value="">All tenants</option>
            {(tenants.data ?? []).map((t) => (
              <option key={t.id} value={t.id}>
                {t.id}
              </option>
            ))}
          </select>
        </label>
        <label>
          Inactive since
          <input
            type="date"
            value={draft.inactiveSince}
            onChange={(e) => setDraft({ ...draft, inactiveSince: e.target.value })}
          />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
        <button
          type="button"
          onClick={() => {
            setDraft(NONE);
            setFilters(NONE);
          }}
        >
          Reset
        </button>
      </form>
      {filters.inactiveSince ? (
        <p className="muted small">Users with no activity since {filters.inactiveSince} (or never active).</p>
      ) : null}
      {users.error ? <ErrorMessage error={users.error} onRetry={users.reload} /> : null}
      {users.loading && !users.data ? <Loading what="Loading users" /> : null}
      {users.data && rows.length === 0 ? <Empty>No users match.</Empty> : null}
      {rows.length > 0 ? (
        <table className="data users" aria-busy={users.loading}>
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Tenant</th>
              <th scope="col">Name / email</th>
              <th scope="col">Memories</th>
              <th scope="col">Sessions</th>
              <th scope="col">Keys</th>
              <th scope="col">Last active</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((u) => (
              <tr key={`${u.tenant}/${u.user_id}`} data-user-id={u.user_id}>
                <td data-label="User" className="mono">
                  {u.user_id}
                </td>
                <td data-label="Tenant">{u.tenant}</td>
                <td data-label="Name / email">
                  {u.name ?? "—"}
                  {u.email ? <div className="muted small">{u.email}</div> : null}
                </td>
                <td data-label="Memories" className="num">
                  {formatCount(u.memory_count)}
                </td>
                <td data-label="Sessions" className="num">
                  {formatCount(u.session_count)}
                </td>
                <td data-label="Keys" className="num">
                  {formatCount(u.key_count)}
                </td>
                <td data-label="Last active" title={formatTime(u.last_active_at)}>
                  {relativeTime(u.last_active_at)}
                </td>
                <td data-label="Created">{formatTime(u.created_at)}</td>
                <td data-label="Actions">
                  <button
                    type="button"
                    className="danger"
                    onClick={() => setDeleting(u)}
                    aria-label={`Delete user ${u.user_id}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager
        label="Users"
        page={users.page}
        hasPrev={users.hasPrev}
        hasNext={users.hasNext}
        onPrev={users.prev}
        onNext={users.next}
      />
      {deleting ? (
        <DeleteUser
          user={deleting}
          onCancel={() => setDeleting(undefined)}
          onDeleted={(d) => {
            setDeleting(undefined);
            setDeleted({ ...d, tenant: deleting.tenant });
            setVersion((v) => v + 1);
          }}
        />
      ) : null}
    </section>
  );
}
