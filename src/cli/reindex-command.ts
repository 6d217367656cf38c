/** `engram reindex`: re-embed every memory with the configured model (src/memories/reindex.ts), resumable. */
import type { Command } from "commander";
import { pino } from "pino";
import { readLiveLock } from "../db/lockfile.js";
import { describeDatabase, openDb } from "../db/open.js";
import { createEmbedder } from "../embeddings/create-embedder.js";
import { type ReindexReport, reindex } from "../memories/reindex.js";
import { guarded } from "./admin-run.js";
import { CliError } from "./errors.js";
import { out, printJson } from "./output.js";
import { loadConfigOrExit } from "./serve.js";
import { Progress } from "./transfer-shared.js";

interface ReindexFlags {
  batchSize?: string;
  json?: boolean;
}

function batchSizeOf(raw: string | undefined): number {
  if (raw === undefined) return 64;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 2048)
    throw new CliError(`--batch-size: must be an integer from 1 to 2048, got '${raw}'`, 2);
  return n;
}

function printReport(r: ReindexReport): void {
  if (r.users === 0 && r.remaining === 0 && r.replacedTarget === undefined) {
    out(`nothing to do: every memory is on ${r.model} already`);
    return;
  }
  if (r.replacedTarget !== undefined)
    out(`an unfinished reindex to '${r.replacedTarget}' was replaced; its staged vectors were discarded`);
  out(`model:      ${r.model} (${r.dimensions} dimensions)`);
  out(`users:      ${r.users} switched`);
  out(
    `memories:   ${r.switched} moved to the new model (${r.embedded} embedded now, ${r.reused} from an earlier run)`,
  );
  if (r.remaining > 0) {
    out(`remaining:  ${r.remaining} memories still on another model (edited during the run): run it again`);
  } else {
    out("done: every memory is on the configured model; restart servers still configured with the old one");
  }
}

export function registerReindexCommand(program: Command): void {
  program
    .command("reindex")
    .description("re-embed every memory with the configured embedding model, user by user; resumable")
    .option("--batch-size <n>", "texts per embedding call (1-2048)", "64")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      `
Configure the new model first (ENGRAM_EMBEDDINGS_URL / _MODEL / _DIMENSIONS, or none for the built-in model),
then run this against the store. Each user's memories are embedded into a staging table and switched in one
transaction: until then, servers still running the old model keep searching that user by meaning, and users
already switched are found by keyword on them (by meaning on servers of the new model). Interrupted (Ctrl-C, a
kill, a crash), it resumes where it stopped when run again: what was embedded is kept.

PostgreSQL: servers keep serving while it runs. Embedded store (PGlite): one process at a time, so stop the
server first.

Examples:
  ENGRAM_EMBEDDINGS_URL=http://localhost:11434/v1 ENGRAM_EMBEDDINGS_MODEL=nomic-embed-text \\
    ENGRAM_EMBEDDINGS_DIMENSIONS=768 engram reindex
  engram reindex --json`,
    )
    .action(
      guarded(async (opts: ReindexFlags) => {
        const batchSize = batchSizeOf(opts.batchSize);
        const config = loadConfigOrExit(process.env);
        if (config.database.kind === "pglite") {
          const holder = readLiveLock(config.database.dataDir);
          if (holder) {
            throw new CliError(
              `the embedded store at ${config.database.dataDir} is in use by pid ${holder.pid}: ` +
                "it serves one process at a time, so stop that server, run engram reindex, then start it again",
            );
          }
        }
        process.stderr.write(`engram: reindexing ${describeDatabase(config.database)}\n`);
        const log = pino({ level: "warn" }, pino.destination(2));
        const embedder = await createEmbedder(config.embeddings);
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        const progress = new Progress("memories");
        // Off a terminal (a job's log), a line every 10 s instead of the updating one.
        let lastLine = Date.now();
        const logLine = (done: number, total: number, users: number, usersTotal: number) => {
          if (process.stderr.isTTY || Date.now() - lastLine < 10_000) return;
          lastLine = Date.now();
          process.stderr.write(
            `engram: reindex: ${done}/${total} memories, ${users}/${usersTotal} users switched\n`,
          );
        };
        let report: ReindexReport;
        try {
          const { db } = await openDb(config.database, { efSearch: config.search.efSearch, log });
          try {
            report = await reindex(db, embedder, {
              batchSize,
              signal: controller.signal,
              onProgress: (p) => {
                progress.update(p.done, p.total > 0 ? p.done / p.total : undefined);
                logLine(p.done, p.total, p.usersDone, p.usersTotal);
              },
            });
          } finally {
            await db.close();
          }
        } catch (err) {
          if (controller.signal.aborted) {
            throw new CliError(
              "stopped: what was embedded is kept; run engram reindex again to go on from there",
              130,
            );
          }
          throw err;
        } finally {
          progress.done();
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          await embedder.close();
        }
        if (opts.json) printJson(report);
        else printReport(report);
        if (report.remaining > 0) process.exitCode = 1;
      }),
    );
}
