/** `engram import --from openmemory <sqlite file | postgres url>`: a dry run with counts, or --apply, with one key per user. */
import { writeFileSync } from "node:fs";
import type { Config } from "../config/config.js";
import { DataDirLockedError } from "../db/lockfile.js";
import { createLogger } from "../log.js";
import type { Services } from "../services.js";
import { createServices } from "../services.js";
import type { NumberedValue } from "../transfer/format.js";
import { type ImportSummary, importRecords } from "../transfer/import.js";
import { emptyReport, type ReadReport, readOpenMemory } from "../transfer/openmemory.js";
import { type OpenMemorySource, openOpenMemorySource } from "../transfer/openmemory-sql.js";
import { VERSION } from "../version.js";
import { CliError } from "./errors.js";
import { loadConfigOrExit } from "./serve.js";

export interface OpenMemoryImportFlags {
  /** Write into the configured store; without it, nothing is written. */
  apply?: boolean;
  /** Write the new keys here (created with mode 0600, never overwritten) instead of printing them. */
  keysFile?: string;
  /** The Engram tenant the users go to (default: default). */
  tenant?: string;
  json?: boolean;
}

/** The name every key this command creates carries: a second --apply finds it and creates none. */
export const IMPORT_KEY_NAME = "openmemory-import";

export interface ApplyResult {
  report: ReadReport;
  summary: ImportSummary;
  /** Keys created by this run (user_id → plaintext, shown once). */
  keys: Array<{ user_id: string; api_key: string }>;
  /** Imported users that already had an import key: none created for them. */
  keptKeys: string[];
}

/** Reads every row without writing anything: the dry run. */
export async function surveyOpenMemory(
  src: OpenMemorySource,
  opts: { tenant?: string; maxTextChars?: number } = {},
): Promise<ReadReport> {
  const report = emptyReport();
  for await (const _ of readOpenMemory(src, opts, report)) {
    // Counting only: the report is filled as records are read.
  }
  return report;
}

/** Imports through the export-file importer (atomic per user, idempotent), then gives each imported user a key. */
export async function applyOpenMemory(
  services: Services,
  src: OpenMemorySource,
  opts: { tenant?: string } = {},
): Promise<ApplyResult> {
  const tenant = opts.tenant ?? "default";
  const report = emptyReport();
  const records = readOpenMemory(
    src,
    {
      tenant,
      maxTextChars: services.config.limits.textChars,
      serverVersion: `openmemory → engram ${VERSION}`,
      embeddingModel: services.embedder.model,
      dimensions: Math.trunc(services.embedder.dimensions),
    },
    report,
  );
  const userIds: string[] = [];
  async function* numbered(): AsyncGenerator<NumberedValue> {
    let n = 0;
    for await (const value of records) {
      if (value.type === "user") userIds.push(value.user_id);
      yield { line: ++n, value };
    }
  }
  const summary = await importRecords(services, numbered(), { batchSize: 100 });

  const present = await services.db.query<{ external_id: string; keyed: boolean }>(
    `SELECT u.external_id, EXISTS (
         SELECT 1 FROM api_keys k WHERE k.user_id = u.id AND k.name = $3 AND k.revoked_at IS NULL
       ) AS keyed
     FROM users u WHERE u.tenant_id = $1 AND u.external_id = ANY($2::text[]) ORDER BY u.external_id`,
    [tenant, userIds, IMPORT_KEY_NAME],
  );
  const keys: ApplyResult["keys"] = [];
  const keptKeys: string[] = [];
  for (const u of present) {
    if (u.keyed) {
      keptKeys.push(u.external_id);
      continue;
    }
    const created = await services.identity.createUserKey(tenant, u.external_id, { name: IMPORT_KEY_NAME });
    keys.push({ user_id: u.external_id, api_key: created.api_key });
  }
  return { report, summary, keys, keptKeys };
}

/** The report as people read it. */
export function formatReport(r: ReadReport, kind: string, location: string): string {
  const m = r.memories;
  const memories = m.active + m.paused + m.archived + m.deleted;
  const lines = [
    `OpenMemory database (${kind}): ${redact(location)}`,
    `  users     ${r.users} of ${r.source.users}`,
    `  apps      ${r.apps} of ${r.source.apps}`,
    `  memories  ${memories} of ${r.source.memories}: active ${m.active}, paused ${m.paused}, archived ${m.archived}, deleted ${m.deleted}`,
    `  history   ${r.events} of ${r.source.memory_status_history} (as memory events)`,
    `  categories ${r.categoryLinks} links (into metadata.categories)`,
  ];
  if (r.skipped.length > 0) {
    lines.push(`  skipped   ${r.skipped.length}:`);
    const groups = new Map<string, string[]>();
    const order = ["users", "apps", "memories", "memory_status_history"];
    const sorted = [...r.skipped].sort((a, b) => order.indexOf(a.table) - order.indexOf(b.table));
    for (const s of sorted) {
      const k = `${s.table}: ${s.reason}`;
      groups.set(k, [...(groups.get(k) ?? []), s.id]);
    }
    for (const [k, ids] of groups) {
      const shown = ids.slice(0, 3).join(", ") + (ids.length > 3 ? `, … (${ids.length - 3} more)` : "");
      lines.push(`    ${k} (${ids.length}): ${shown}`);
    }
  }
  for (const n of r.notes.slice(0, 20)) lines.push(`  note: ${n}`);
  if (r.notes.length > 20) lines.push(`  note: … ${r.notes.length - 20} more`);
  return lines.join("\n");
}

/** A URL's password never reaches the terminal. */
function redact(location: string): string {
  if (!/^postgres(ql)?:\/\//.test(location)) return location;
  const u = new URL(location);
  if (u.password) u.password = "***";
  return u.toString();
}

async function openSource(location: string): Promise<OpenMemorySource> {
  try {
    return await openOpenMemorySource(location);
  } catch (err) {
    throw new CliError(
      `cannot read ${redact(location)}: ${err instanceof Error ? err.message : String(err)}`,
      2,
    );
  }
}

async function openStore(config: Config): Promise<Awaited<ReturnType<typeof createServices>>> {
  try {
    return await createServices(config, createLogger(config.logLevel).child({ component: "import" }));
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      throw new CliError(
        `the embedded store at ${err.dataDir} is in use by process ${err.holder.pid}: stop the server, then import`,
      );
    }
    throw err;
  }
}

/** The command: called by `engram import --from openmemory` (src/cli/import-command.ts). Returns the exit code. */
export async function runOpenMemoryImport(
  location: string,
  flags: OpenMemoryImportFlags = {},
): Promise<number> {
  const config = loadConfigOrExit(process.env);
  const tenant = flags.tenant ?? "default";
  const src = await openSource(location);
  try {
    if (!flags.apply) {
      const report = await surveyOpenMemory(src, { tenant, maxTextChars: config.limits.textChars });
      if (flags.json) process.stdout.write(`${JSON.stringify({ dry_run: true, ...report })}\n`);
      else {
        process.stdout.write(`${formatReport(report, src.kind, location)}\n`);
        process.stdout.write(
          "Dry run: nothing was written. Add --apply to import into the configured store.\n",
        );
      }
      return 0;
    }
    const store = await openStore(config);
    let result: ApplyResult;
    try {
      result = await applyOpenMemory(store.services, src, { tenant });
    } finally {
      await store.close();
    }
    const { report, summary, keys, keptKeys } = result;
    if (flags.keysFile && keys.length > 0) {
      const body = `${JSON.stringify({ tenant, keys }, null, 2)}\n`;
      try {
        writeFileSync(flags.keysFile, body, { mode: 0o600, flag: "wx" });
      } catch (err) {
        // The keys exist now and are shown nowhere else: print them rather than lose them.
        process.stderr.write(
          `engram: cannot write ${flags.keysFile} (${(err as Error).message}); the keys follow\n`,
        );
        flags = { ...flags, keysFile: undefined };
      }
    }
    if (flags.json) {
      const shown = flags.keysFile ? { keys_file: flags.keysFile } : { keys };
      process.stdout.write(
        `${JSON.stringify({ dry_run: false, ...report, import: summary, ...shown, kept_keys: keptKeys })}\n`,
      );
    } else {
      const out = [formatReport(report, src.kind, location)];
      out.push(
        `Imported: ${summary.users_imported} users (${summary.imported.user} new), ${summary.imported.memory} new memories ` +
          `(${summary.reembedded} embedded), ${summary.imported.memory_event} events; ${summary.users_failed} users failed.`,
      );
      for (const e of summary.errors.slice(0, 20)) out.push(`  error: record ${e.line}: ${e.message}`);
      if (keys.length > 0 && flags.keysFile)
        out.push(`${keys.length} user keys written to ${flags.keysFile} (mode 0600).`);
      else if (keys.length > 0) {
        out.push("User keys (shown once; give each user theirs):");
        for (const k of keys) out.push(`  ${k.user_id}  ${k.api_key}`);
      }
      if (keptKeys.length > 0)
        out.push(`${keptKeys.length} users already had an ${IMPORT_KEY_NAME} key: none created.`);
      process.stdout.write(`${out.join("\n")}\n`);
    }
    return summary.ok ? 0 : 1;
  } finally {
    await src.close();
  }
}
