/** `engram doctor`: is this installation healthy? Each check printed ok/FAIL with a fix hint; exit 0 only when none fails. */
import type { Command } from "commander";
import { guarded } from "./admin-run.js";
import { type Check, runChecks } from "./doctor-checks.js";
import { out, printJson } from "./output.js";
import { loadConfigOrExit } from "./serve.js";
import { bold, dim, green, red, yellow } from "./style.js";

export function registerDoctorCommand(program: Command): void {
  program
    .command("doctor")
    .description("check the database, pgvector, migrations, data dir, embedder, endpoints and dashboard")
    .option("--json", "print JSON instead of text")
    .addHelpText(
      "after",
      `
Checks the configuration this shell would start the server with (ENGRAM_* and engram.yaml). Exits 0 only
when no check fails; a check that does not apply (an endpoint not configured) is skipped.
While a server holds the embedded store, the database is checked through that server's /readyz instead of
opening the store under it; pgvector and migrations are then the server's (it migrates at start-up).

Examples:
  engram doctor
  engram doctor --json | jq '.checks[] | select(.status == "fail")'`,
    )
    .action(
      guarded(async (opts: { json?: boolean }) => {
        const config = loadConfigOrExit(process.env);
        const checks = await runChecks(config);
        const healthy = checks.every((c) => c.status !== "fail");
        if (opts.json) printJson({ healthy, checks });
        else printChecks(checks, healthy);
        process.exitCode = healthy ? 0 : 1;
      }),
    );
}

function printChecks(checks: Check[], healthy: boolean): void {
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    const mark = c.status === "ok" ? green("ok  ") : c.status === "fail" ? red("FAIL") : yellow("skip");
    const ms = c.ms !== undefined ? dim(` (${c.ms} ms)`) : "";
    out(`${mark}  ${c.name.padEnd(width)}  ${c.detail}${ms}`);
    if (c.hint) out(`      ${" ".repeat(width)}  ${bold("fix:")} ${c.hint}`);
  }
  const failed = checks.filter((c) => c.status === "fail").length;
  out();
  out(healthy ? green("healthy") : red(`${failed} check(s) failed`));
}
