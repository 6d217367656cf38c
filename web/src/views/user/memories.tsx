/** The user's memories: add, hybrid search with scores, filters, cursor paging, and each memory's history. */
import { type FormEvent, useState } from "react";
import { listApps, listMemories, searchMemories } from "../../api/endpoints";
import { MEMORY_STATES, type Memory, type MemoryState } from "../../api/types";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { Pager } from "../../components/pager";
import { Empty, Loading, PageTitle } from "../../components/status";
import { dayEnd, dayStart } from "../../lib/format";
import { useAsync } from "../../lib/use-async";
import { usePaged } from "../../lib/use-paged";
import { AddMemory } from "./add-memory";
import { MemoryHistory } from "./memory-history";
import { MemoryTable } from "./memory-table";

export interface MemoryFilters {
  query: string;
  app: string;
  state: MemoryState;
  session: string;
  from: string;
  to: string;
}

const NO_FILTERS: MemoryFilters = { query: "", app: "", state: "active", session: "", from: "", to: "" };

export function Memories() {
  const { api } = useSession();
  const [applied, setApplied] = useState<MemoryFilters>(NO_FILTERS);
  const [historyOf, setHistoryOf] = useState<Memory | null>(null);
  const [version, setVersion] = useState(0);
  const refresh = () => setVersion((v) => v + 1);
  const apps = useAsync(() => listApps(api), [api, version]);

  return (
    <section className="memories">
      <PageTitle title="Memories">Memories</PageTitle>
      <AddMemory apps={apps.data?.map((a) => a.name) ?? []} onAdded={refresh} />
      <SearchForm initial={applied} apps={apps.data?.map((a) => a.name) ?? []} onApply={setApplied} />
      <div className="with-panel">
        <div className="panel-main">
          {applied.query ? (
            <SearchResults filters={applied} version={version} onChanged={refresh} onHistory={setHistoryOf} />
          ) : (
            <MemoryList filters={applied} version={version} onChanged={refresh} onHistory={setHistoryOf} />
          )}
        </div>
        {historyOf ? (
          <MemoryHistory
            key={historyOf.id}
            memory={historyOf}
            version={version}
            onClose={() => setHistoryOf(null)}
          />
        ) : null}
      </div>
    </section>
  );
}

function SearchForm({
  initial,
  apps,
  onApply,
}: {
  initial: MemoryFilters;
  apps: string[];
  onApply(f: MemoryFilters): void;
}) {
  const [f, setF] = useState(initial);
  const set = (patch: Partial<MemoryFilters>) => setF((old) => ({ ...old, ...patch }));
  const active = [f.app, f.state !== "active", f.session, f.from, f.to].filter(Boolean).length;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onApply({ ...f, query: f.query.trim(), session: f.session.trim() });
  };
  return (
    <form className="search" onSubmit={submit} aria-label="Search and filter memories">
      <div className="search-row">
        <label htmlFor="q" className="visually-hidden">
          Search memories
        </label>
        <input
          id="q"
          type="search"
          placeholder="Search by meaning and words…"
          value={f.query}
          onChange={(e) => set({ query: e.target.value })}
        />
        <button type="submit" className="primary">
          Search
        </button>
        <button
          type="button"
          onClick={() => {
            setF(NO_FILTERS);
            onApply(NO_FILTERS);
          }}
        >
          Clear
        </button>
      </div>
      <details className="filters-box">
        <summary>Filters{active ? ` (${active} set)` : ""}</summary>
        <fieldset className="filters">
          <legend className="visually-hidden">Filters</legend>
          <label>
            App
            <select value={f.app} onChange={(e) => set({ app: e.target.value })}>
              <option value="">All apps</option>
              {apps.map((a) => (
                <option key={a} value={a}>
                  {a}
                </option>
              ))}
            </select>
          </label>
          <label>
            State
            <select value={f.state} onChange={(e) => set({ state: e.target.value as MemoryState })}>
              {MEMORY_STATES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
          <label>
            Session
            <input
              value={f.session}
              placeholder="sess_…"
              onChange={(e) => set({ session: e.target.value })}
            />
          </label>
          <label>
            From
            <input type="date" value={f.from} onChange={(e) => set({ from: e.target.value })} />
          </label>
          <label>
            To
            <input type="date" value={f.to} onChange={(e) => set({ to: e.target.value })} />
          </label>
          <button type="submit">Apply</button>
        </fieldset>
      </details>
    </form>
  );
}

interface ResultProps {
  filters: MemoryFilters;
  version: number;
  onChanged(): void;
  onHistory(m: Memory): void;
}

function MemoryList({ filters, version, onChanged, onHistory }: ResultProps) {
  const { api } = useSession();
  const after = dayStart(filters.from);
  const before = dayEnd(filters.to);
  const list = usePaged(
    (cursor) =>
      listMemories(api, {
        limit: 20,
        cursor,
        ...(filters.app ? { app: filters.app } : {}),
        ...(filters.session ? { session_id: filters.session } : {}),
        state: filters.state,
        ...(after ? { created_after: after } : {}),
        ...(before ? { created_before: before } : {}),
      }),
    [api, filters, version],
  );
  if (list.error) return <ErrorMessage error={list.error} onRetry={list.reload} />;
  if (list.loading && !list.data) return <Loading what="Loading memories" />;
  const rows = list.data?.items ?? [];
  return (
    <>
      {rows.length === 0 ? (
        <Empty>No memories match. Add one above, or change the filters.</Empty>
      ) : (
        <MemoryTable rows={rows} onChanged={onChanged} onHistory={onHistory} />
      )}
      <Pager
        label="Memories"
        page={list.page}
        hasPrev={list.hasPrev}
        hasNext={list.hasNext}
        onPrev={list.prev}
        onNext={list.next}
      />
    </>
  );
}

function SearchResults({ filters, version, onChanged, onHistory }: ResultProps) {
  const { api } = useSession();
  const found = useAsync(
    () =>
      searchMemories(api, filters.query, {
        ...(filters.app ? { app: filters.app } : {}),
        ...(filters.session ? { session_id: filters.session } : {}),
        state: filters.state,
        ...(dayStart(filters.from) ? { created_after: dayStart(filters.from) } : {}),
        ...(dayEnd(filters.to) ? { created_before: dayEnd(filters.to) } : {}),
      }),
    [api, filters, version],
  );
  if (found.error) return <ErrorMessage error={found.error} onRetry={found.reload} />;
  if (found.loading && !found.data) return <Loading what="Searching" />;
  const rows = found.data ?? [];
  return (
    <>
      <output className="muted small result-count">
        {rows.length} result{rows.length === 1 ? "" : "s"} for “{filters.query}”, best first (hybrid: meaning
        and words).
      </output>
      {rows.length === 0 ? (
        <Empty>Nothing found. Try other words, or clear the filters.</Empty>
      ) : (
        <MemoryTable rows={rows} onChanged={onChanged} onHistory={onHistory} />
      )}
    </>
  );
}
