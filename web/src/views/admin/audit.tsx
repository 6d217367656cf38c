/** The audit log, newest first: changes and admin reads, filtered by user, tenant, action and time. */
import { type FormEvent, useState } from "react";
import { listAudit } from "../../api/endpoints";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { Pager } from "../../components/pager";
import { Empty, Loading, PageTitle } from "../../components/status";
import { isMissingRoute } from "../../lib/errors";
import { dayStart, formatTime } from "../../lib/format";
import { usePaged } from "../../lib/use-paged";

interface Filters {
  user: string;
  tenant: string;
  action: string;
  since: string;
}
const NONE: Filters = { user: "", tenant: "", action: "", since: "" };

export function Audit() {
  const { api } = useSession();
  const [draft, setDraft] = useState<Filters>(NONE);
  const [f, setF] = useState<Filters>(NONE);
  const events = usePaged(
    (cursor) =>
      listAudit(api, {
        limit: 50,
        cursor,
        user_id: f.user || undefined,
        tenant: f.tenant || undefined,
        action: f.action || undefined,
        since: dayStart(f.since),
      }),
    [api, f],
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setF({
      user: draft.user.trim(),
      tenant: draft.tenant.trim(),
      action: draft.action.trim(),
      since: draft.since,
    });
  };
  const rows = events.data?.items ?? [];
  return (
    <section>
      <PageTitle title="Audit log">Audit log</PageTitle>
      <form className="toolbar" onSubmit={submit} aria-label="Filter the audit log">
        <label>
          User
          <input value={draft.user} onChange={(e) => setDraft({ ...draft, user: e.target.value })} />
        </label>
        <label>
          Tenant
          <input value={draft.tenant} onChange={(e) => setDraft({ ...draft, tenant: e.target.value })} />
        </label>
        <label>
          Action
          <input
            value={draft.action}
            placeholder="memory.* or user.delete"
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
          />
        </label>
        <label>
          Since
          <input
            type="date"
            value={draft.since}
            onChange={(e) => setDraft({ ...draft, since: e.target.value })}
          />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
      </form>
      {events.error ? (
        isMissingRoute(events.error) ? (
          <Empty>This server keeps no audit log.</Empty>
        ) : (
          <ErrorMessage error={events.error} onRetry={events.reload} />
        )
      ) : null}
      {events.loading && !events.data ? <Loading what="Loading the audit log" /> : null}
      {events.data && rows.length === 0 ? <Empty>No events match.</Empty> : null}
      {rows.length > 0 ? (
        <table className="data compact">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">User</th>
              <th scope="col">Tenant</th>
              <th scope="col">Resource</th>
              <th scope="col">By</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((e) => (
              <tr key={e.id}>
                <td data-label="When" className="nowrap">
                  {formatTime(e.at)}
                </td>
                <td data-label="Action" className="mono">
                  {e.action}
                </td>
                <td data-label="User">{e.user_id ?? "—"}</td>
                <td data-label="Tenant">{e.tenant ?? "—"}</td>
                <td data-label="Resource" className="mono small">
                  {e.resource_id ?? "—"}
                </td>
                <td data-label="By" className="small">
                  {e.key_kind}
                  {e.key_id ? <div className="mono muted">{e.key_id}</div> : null}
                </td>
                <td data-label="From" className="small">
                  {e.client_addr ?? "—"}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager
        label="Audit"
        page={events.page}
        hasPrev={events.hasPrev}
        hasNext={events.hasNext}
        onPrev={events.prev}
        onNext={events.next}
      />
    </section>
  );
}
