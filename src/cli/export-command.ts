/** `engram export`: an NDJSON export (docs/api.md, Export and import) from a server or the store, to a file or stdout. */
import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import type { Command } from "commander";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import { type ExportScope, exportLines } from "../transfer/export.js";
import { EndRecord } from "../transfer/format.js";
import { guarded, validate } from "./admin-run.js";
import { CliError } from "./errors.js";
import { loadConfigOrExit, overriddenBy } from "./serve.js";
import { chooseTarget, Progress, remoteError, type TransferFlags } from "./transfer-shared.js";

interface ExportFlags extends TransferFlags {
  user?: string;
  tenant?: string;
  all?: boolean;
  output?: string;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, "drain");
}

/** The lines of an export answered by a server, split as they stream in. */
async function* httpLines(url: string, key: string, query: URLSearchParams): AsyncGenerator<string> {
  const res = await fetch(`${url.replace(/\/$/, "")}/v1/export?${query}`, {
    headers: { authorization: `Bearer ${key}` },
  });
  if (!res.ok || !res.body) throw await remoteError(res);
  const decoder = new TextDecoder();
  let pending = "";
  for await (const chunk of res.body) {
    pending += decoder.decode(chunk, { stream: true });
    const parts = pending.split("\n");
    pending = parts.pop() ?? "";
    for (const p of parts) if (p !== "") yield p;
  }
  pending += decoder.decode();
  if (pending !== "") yield pending;
}

export function registerExportCommand(program: Command): void {
  program
    .command("export")
    .description("export users' data as NDJSON (never keys): one user, one tenant, or everything")
    .option("--user <user_id>", "export this user (of --tenant, default 'default')")
    .option("--tenant <tenant>", "the user's tenant; alone: export the whole tenant")
    .option("--all", "export every tenant")
    .option("-o, --output <file>", "write here instead of stdout")
    .option("--url <url>", "export through the Engram server at this URL (env: ENGRAM_URL)")
    .option(
      "--key <key>",
      "API key for a server: admin, or a user key for its own data (env: ENGRAM_API_KEY)",
    )
    .addHelpText(
      "after",
      `
Where it runs: through --url / ENGRAM_URL, or the server holding the embedded store; otherwise on the
configured store directly. A line on stderr says which. Through a server, a user key exports its own data
without --user/--tenant/--all. The file ends with an "end" record; a file without one is incomplete.

Examples:
  engram export --all -o engram.ndjson
  engram export --user alice --tenant acme -o alice.ndjson
  engram export --url https://engram.example.com --key ek_user_… > mine.ndjson`,
    )
    .action(
      guarded(async (opts: ExportFlags) => {
        const config = loadConfigOrExit(overriddenBy(process.env, { ENGRAM_URL: opts.url }));
        const named = [
          opts.all,
          opts.user !== undefined,
          opts.tenant !== undefined && opts.user === undefined,
        ];
        if (named.filter(Boolean).length > 1)
          throw new CliError("choose one of --user, --tenant or --all", 2);
        if (opts.user !== undefined) validate(UserIdSchema, opts.user, "--user");
        if (opts.tenant !== undefined) validate(TenantIdSchema, opts.tenant, "--tenant");
        const say = (line: string) => process.stderr.write(`engram: ${line}\n`);
        const target = chooseTarget(config, opts, say);
        const out: Writable = opts.output ? createWriteStream(opts.output, { mode: 0o600 }) : process.stdout;
        const progress = new Progress("records");
        let n = 0;
        let last = "";
        const pump = async (lines: AsyncIterable<string>) => {
          for await (const line of lines) {
            await write(out, `${line}\n`);
            last = line;
            progress.update(++n);
          }
        };
        try {
          if (target.kind === "http") {
            const q = new URLSearchParams();
            if (opts.user !== undefined) q.set("user_id", opts.user);
            if (opts.tenant !== undefined) q.set("tenant", opts.tenant);
            if (opts.all) q.set("all", "true");
            await pump(httpLines(target.url, target.key, q));
          } else {
            const scope: ExportScope = opts.all
              ? { kind: "all" }
              : opts.user !== undefined
                ? { kind: "user", tenant: opts.tenant ?? "default", userId: opts.user }
                : opts.tenant !== undefined
                  ? { kind: "tenant", tenant: opts.tenant }
                  : (() => {
                      throw new CliError("name what to export: --user <id>, --tenant <id> or --all", 2);
                    })();
            const opened = await target.open();
            try {
              await pump(exportLines(opened.services, scope));
            } finally {
              await opened.close();
            }
          }
        } finally {
          progress.done();
          if (out !== process.stdout) {
            out.end();
            await once(out, "finish");
          }
        }
        let end: unknown;
        try {
          end = JSON.parse(last);
        } catch (err) {
          // A last line that is not JSON is a cut file, reported below; anything else is a bug.
          if (!(err instanceof SyntaxError)) throw err;
          end = undefined;
        }
        const parsed = EndRecord.safeParse(end);
        if (!parsed.success)
          throw new CliError("the export ended without its end record: the file is incomplete");
        say(`exported ${n} records: ${JSON.stringify(parsed.data.counts)}`);
      }),
    );
}
