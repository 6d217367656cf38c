#!/usr/bin/env node
/** The `engram` command: serve, migrate, and user/key administration. */
import { Command } from "commander";
import { VERSION } from "../version.js";
import { registerAdminCommands } from "./admin-commands.js";
import { registerDoctorCommand } from "./doctor-command.js";
import { registerExportCommand } from "./export-command.js";
import { registerImportCommand } from "./import-command.js";
import { registerMcpCommand } from "./mcp-command.js";
import { registerMemoryCommands } from "./memory-commands.js";
import { registerReindexCommand } from "./reindex-command.js";
import { runMigrate, runServe } from "./serve.js";

const program = new Command();
program
  .name("engram")
  .description("Engram: a self-hosted, multi-user memory server for AI agents.")
  .version(VERSION)
  .addHelpText(
    "after",
    `
Configuration comes from ENGRAM_* environment variables and an optional engram.yaml (or ENGRAM_CONFIG).
Common ones: ENGRAM_PORT (8765), ENGRAM_HOST (127.0.0.1), ENGRAM_DATA_DIR (./data, embedded store),
ENGRAM_DATABASE_URL (postgres://… to use PostgreSQL), ENGRAM_ADMIN_KEY. See docs/configuration.md.

Examples:
  engram serve                               start the server on http://127.0.0.1:8765
  engram users create alice --name Alice     create a user and print its API key once
  engram keys list                           list keys (never their secrets)
  engram mcp --url URL --key KEY             MCP on stdin/stdout for Claude Desktop (see docs/mcp.md)`,
  );

program
  .command("serve")
  .description("start the HTTP server (REST, OpenAPI at /openapi.json, docs at /docs)")
  .option("-p, --port <port>", "port to listen on (overrides ENGRAM_PORT)")
  .option("-H, --host <host>", "address to bind (overrides ENGRAM_HOST)")
  .action(async (opts: { port?: string; host?: string }) => {
    await runServe(opts);
  });

program
  .command("migrate")
  .description("apply pending database migrations and exit (the server also does this at start-up)")
  .action(async () => {
    await runMigrate();
  });

registerAdminCommands(program);
registerMcpCommand(program);
registerExportCommand(program);
registerImportCommand(program);
registerMemoryCommands(program);
registerDoctorCommand(program);
registerReindexCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  process.stderr.write(`engram: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
