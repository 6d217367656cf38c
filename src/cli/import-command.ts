/** `engram import FILE`: an NDJSON export (docs/api.md, Export and import) into a server or the store. */
import { createReadStream, statSync } from "node:fs";
import type { Command } from "commander";
import { CLI_BY } from "../audit/store.js";
import { NDJSON_TYPE, ndjsonValues } from "../transfer/format.js";
import { type ImportSummary, importRecords } from "../transfer/import.js";
import { guarded } from "./admin-run.js";
import { CliError } from "./errors.js";
import { runOpenMemoryImport } from "./openmemory-import.js";
import { out, printJson } from "./output.js";
import { loadConfigOrExit, overriddenBy } from "./serve.js";
import { chooseTarget, Progress, remoteError, type TransferFlags } from "./transfer-shared.js";

interface ImportFlags extends TransferFlags {
  json?: boolean;
  from?: string;
  apply?: boolean;
  keysFile?: string;
  tenant?: string;
}

function report(s: ImportSummary, json: boolean | undefined): void {
  if (json) {
    printJson(s);
    return;
  }
  const pairs = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
  out(`imported:         ${pairs(s.imported)}`);
  out(`already present:  ${pairs(s.skipped_existing)}`);
  out(`re-embedded:      ${s.reembedded} memories`);
  out(`users:            ${s.users_imported} imported, ${s.users_failed} not imported`);
  out(`complete file:    ${s.complete ? "yes" : "no (no end record, or its counts differ)"}`);
  for (const e of s.errors) out(`line ${e.line}: ${e.message}`);
  if (s.error_count > s.errors.length) out(`… and ${s.error_count - s.errors.length} more errors`);
}

export function registerImportCommand(program: Command): void {
  program
    .command("import")
    .description("import an NDJSON export: atomic per user, idempotent, re-embedding when the model differs")
    .argument(
      "<file>",
      "the export file; with --from openmemory, an OpenMemory SQLite file or PostgreSQL URL",
    )
    .option("--from <system>", "read another system's database instead of an export: openmemory")
    .option("--apply", "with --from: import (without it, a dry run that only counts)")
    .option(
      "--keys-file <file>",
      "with --from --apply: write each new user's key here (mode 0600), not stdout",
    )
    .option("--tenant <tenant>", "with --from: the Engram tenant the users go to", "default")
    .option("--url <url>", "import through the Engram server at this URL (env: ENGRAM_URL)")
    .option(
      "--key <admin-key>",
      "admin API key for a server (default: ENGRAM_API_KEY, then ENGRAM_ADMIN_KEY)",
    )
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      `
Where it runs: through --url / ENGRAM_URL, or the server holding the embedded store; otherwise on the
configured store directly. A line on stderr says which. Exit code 0 only when every line was imported
or already present and the file was complete.

Examples:
  engram import engram.ndjson
  engram import --from openmemory ./openmemory.db                # dry run: what would come over
  engram import --from openmemory ./openmemory.db --apply --keys-file keys.json`,
    )
    .action(
      guarded(async (file: string, opts: ImportFlags) => {
        if (opts.from !== undefined) {
          if (opts.from !== "openmemory")
            throw new CliError(`--from: unknown system '${opts.from}' (known: openmemory)`, 2);
          process.exitCode = await runOpenMemoryImport(file, {
            apply: opts.apply,
            keysFile: opts.keysFile,
            tenant: opts.tenant,
            json: opts.json,
          });
          return;
        }
        const config = loadConfigOrExit(overriddenBy(process.env, { ENGRAM_URL: opts.url }));
        let size: number;
        try {
          size = statSync(file).size;
        } catch (err) {
          throw new CliError(`${file}: ${err instanceof Error ? err.message : String(err)}`, 2);
        }
        const say = (line: string) => process.stderr.write(`engram: ${line}\n`);
        const target = chooseTarget(config, opts, say);
        const progress = new Progress("bytes");
        let bytes = 0;
        async function* counted(): AsyncGenerator<Uint8Array> {
          for await (const chunk of createReadStream(file)) {
            bytes += (chunk as Buffer).length;
            progress.update(bytes, size > 0 ? bytes / size : undefined);
            yield chunk as Buffer;
          }
        }
        let summary: ImportSummary;
        try {
          if (target.kind === "http") {
            const res = await fetch(`${target.url.replace(/\/$/, "")}/v1/import`, {
              method: "POST",
              headers: { authorization: `Bearer ${target.key}`, "content-type": NDJSON_TYPE },
              body: ReadableStream.from(counted()),
              // Node's fetch needs this to send a streamed body.
              duplex: "half",
            } as RequestInit);
            if (!res.ok) throw await remoteError(res);
            summary = (await res.json()) as ImportSummary;
          } else {
            const opened = await target.open();
            try {
              summary = await importRecords(opened.services, ndjsonValues(counted()), { by: CLI_BY });
            } finally {
              await opened.close();
            }
          }
        } finally {
          progress.done();
        }
        report(summary, opts.json);
        if (!summary.ok) process.exitCode = 1;
      }),
    );
}
