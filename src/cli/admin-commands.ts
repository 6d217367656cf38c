/** `engram users …`, `engram tenants …` and (from key-commands.ts) `engram keys …`: administration from the shell. */
import type { Command } from "commander";
import { AppError } from "../errors.js";
import { CreateTenantBody, CreateUserBody, TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import {
  CONNECTION_HELP,
  type ConnectionFlags,
  confirmTyped,
  guarded,
  parseSince,
  runAdmin,
  usageErrorsExit2,
  validate,
  withConnectionOptions,
} from "./admin-run.js";
import { registerAuditCommand } from "./audit-command.js";
import { registerKeyCommands } from "./key-commands.js";
import { out, prefixText, printJson, printSecret, scopesText, table, when } from "./output.js";

export function registerAdminCommands(program: Command): void {
  registerUserCommands(program);
  registerKeyCommands(program);
  registerTenantCommands(program);
  registerAuditCommand(program);
}

function registerUserCommands(program: Command): void {
  const users = usageErrorsExit2(program.command("users"))
    .description("create, list and delete users (each user's memories are isolated from every other user's)")
    .addHelpText(
      "after",
      `
Examples:
  engram users create alice --name "Alice" --email alice@example.com
  engram users list --tenant acme
  engram users list --inactive-since 30d
  engram users delete alice --yes
${CONNECTION_HELP}`,
    );

  withConnectionOptions(
    users
      .command("create <user_id>")
      .description("create a user and its first API key; the key is printed once, on a line of its own")
      .option("--name <name>", "display name")
      .option("--email <email>", "email address")
      .option("--tenant <tenant>", "tenant the user belongs to", "default"),
  )
    .addHelpText(
      "after",
      `
user_id is your own id for the user (letters, digits and _ . : @ + -), e.g. the id your app already uses.

Examples:
  engram users create alice --name "Alice"
  engram users create tenant_a:user_1 --tenant acme
  KEY=$(engram users create bob --json | jq -r .api_key)
${CONNECTION_HELP}`,
    )
    .action(
      guarded(
        async (userId: string, opts: ConnectionFlags & { name?: string; email?: string; tenant: string }) => {
          const input = validate(CreateUserBody, {
            user_id: userId,
            name: opts.name,
            email: opts.email,
            tenant: opts.tenant,
          });
          await runAdmin(opts, async (api) => {
            const created = await api.createUser(input);
            if (opts.json) return printJson(created);
            const { user, key } = created;
            out(`Created user ${user.user_id} in tenant ${user.tenant}.`);
            if (user.name) out(`  name   ${user.name}`);
            if (user.email) out(`  email  ${user.email}`);
            out(`  key    ${key.id} (${prefixText(key)}, scopes: ${scopesText(key.scopes)})`);
            printSecret(created.api_key);
          });
        },
      ),
    );

  withConnectionOptions(
    users
      .command("list")
      .description("list users with their memory counts and last activity")
      .option("--tenant <tenant>", "only this tenant's users (default: every tenant)")
      .option("--search <text>", "only users whose id, name or email contains this (case-insensitive)")
      .option(
        "--inactive-since <when>",
        "only users never active, or last active before this: a duration back from now (30d, 12h) or an ISO date",
      ),
  )
    .addHelpText(
      "after",
      `
Times are UTC.

Examples:
  engram users list
  engram users list --tenant acme --json
  engram users list --inactive-since 30d        not active for 30 days (or never)
  engram users list --inactive-since 2026-01-01 --search @example.com
${CONNECTION_HELP}`,
    )
    .action(
      guarded(
        async (opts: ConnectionFlags & { tenant?: string; search?: string; inactiveSince?: string }) => {
          const tenant =
            opts.tenant === undefined ? undefined : validate(TenantIdSchema, opts.tenant, "--tenant");
          const inactiveSince =
            opts.inactiveSince === undefined ? undefined : parseSince(opts.inactiveSince, "--inactive-since");
          if (opts.search !== undefined && (opts.search.length === 0 || opts.search.length > 200)) {
            throw new AppError("validation_error", "--search: 1 to 200 characters", { field: "--search" });
          }
          await runAdmin(opts, async (api) => {
            const users = await api.listUsers({ tenant, q: opts.search, inactive_since: inactiveSince });
            if (opts.json) return printJson({ users });
            const filtered = opts.search !== undefined || inactiveSince !== undefined;
            if (users.length === 0)
              return out(
                filtered ? "no matching users" : tenant ? `no users in tenant ${tenant}` : "no users",
              );
            out(
              table(
                ["USER_ID", "TENANT", "MEMORIES", "LAST ACTIVE", "CREATED"],
                users.map((u) => [
                  u.user_id,
                  u.tenant,
                  String(u.memory_count ?? 0),
                  when(u.last_active_at, "never"),
                  when(u.created_at),
                ]),
              ),
            );
          });
        },
      ),
    );

  withConnectionOptions(
    users
      .command("delete <user_id>")
      .description(
        "delete a user and everything it owns (memories, history, sessions, keys), in one transaction",
      )
      .option("--tenant <tenant>", "tenant the user belongs to", "default")
      .option("-y, --yes", "do not ask for confirmation (required when stdin is not a terminal)"),
  )
    .addHelpText(
      "after",
      `
This cannot be undone. Without --yes it asks you to type the user id first, and refuses when there is no
terminal to ask on. It prints how many memories, sessions and keys went with the user.

Examples:
  engram users delete alice              asks you to type 'alice' to confirm
  engram users delete alice --yes        for scripts
  engram users delete u1 --tenant acme --yes
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (userId: string, opts: ConnectionFlags & { tenant: string; yes?: boolean }) => {
        const id = validate(UserIdSchema, userId, "user_id");
        const tenant = validate(TenantIdSchema, opts.tenant, "--tenant");
        await confirmTyped(
          `Delete user '${id}' of tenant '${tenant}' with all its memories, sessions and keys?`,
          id,
          opts.yes,
        );
        await runAdmin(opts, async (api) => {
          const result = await api.deleteUser(tenant, id);
          if (opts.json) return printJson({ deleted: true, user_id: id, tenant, ...result });
          out(
            `Deleted user ${id} of tenant ${tenant}: ${result.deleted_memories} memories, ` +
              `${result.deleted_sessions} sessions and ${result.deleted_keys} keys removed.`,
          );
        });
      }),
    );
}

function registerTenantCommands(program: Command): void {
  const tenants = usageErrorsExit2(program.command("tenants"))
    .description("create and list tenants (groups of users; a client key acts for any user of its tenant)")
    .addHelpText(
      "after",
      `
Examples:
  engram tenants create acme --name "Acme Inc"
  engram tenants list
${CONNECTION_HELP}`,
    );

  withConnectionOptions(
    tenants
      .command("create <tenant_id>")
      .description("create a tenant")
      .option("--name <name>", "display name (default: the id)"),
  )
    .addHelpText(
      "after",
      `
tenant_id: lower-case letters, digits, _ or -, starting with a letter or digit.

Examples:
  engram tenants create acme --name "Acme Inc"
  engram keys create --client --tenant acme      then give that tenant a client key
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (tenantId: string, opts: ConnectionFlags & { name?: string }) => {
        const input = validate(CreateTenantBody, { id: tenantId, name: opts.name });
        await runAdmin(opts, async (api) => {
          const tenant = await api.createTenant(input.id, input.name);
          if (opts.json) return printJson(tenant);
          out(`Created tenant ${tenant.id} (${tenant.name}).`);
          out(
            `Next: engram users create <user_id> --tenant ${tenant.id}, or engram keys create --client --tenant ${tenant.id}`,
          );
        });
      }),
    );

  withConnectionOptions(tenants.command("list").description("list tenants"))
    .addHelpText(
      "after",
      `
Examples:
  engram tenants list
  engram tenants list --json
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (opts: ConnectionFlags) => {
        await runAdmin(opts, async (api) => {
          const tenants = await api.listTenants();
          if (opts.json) return printJson({ tenants });
          out(
            table(
              ["ID", "NAME", "CREATED"],
              tenants.map((t) => [t.id, t.name, when(t.created_at)]),
            ),
          );
        });
      }),
    );
}
