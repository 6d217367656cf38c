/** `engram users …`, `engram tenants …` and (from key-commands.ts) `engram keys …`: administration from the shell. */
import type { Command } from "commander";
import { CreateTenantBody, CreateUserBody, TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import {
  CONNECTION_HELP,
  type ConnectionFlags,
  confirm,
  guarded,
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
      .option("--tenant <tenant>", "only this tenant's users (default: every tenant)"),
  )
    .addHelpText(
      "after",
      `
Times are UTC.

Examples:
  engram users list
  engram users list --tenant acme --json
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (opts: ConnectionFlags & { tenant?: string }) => {
        const tenant =
          opts.tenant === undefined ? undefined : validate(TenantIdSchema, opts.tenant, "--tenant");
        await runAdmin(opts, async (api) => {
          const users = await api.listUsers({ tenant });
          if (opts.json) return printJson({ users });
          if (users.length === 0) return out(tenant ? `no users in tenant ${tenant}` : "no users");
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
      }),
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
This cannot be undone. Without --yes it asks first, and refuses when there is no terminal to ask on.

Examples:
  engram users delete alice              asks: Delete user 'alice' …? [y/N]
  engram users delete alice --yes        for scripts
  engram users delete u1 --tenant acme --yes
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (userId: string, opts: ConnectionFlags & { tenant: string; yes?: boolean }) => {
        const id = validate(UserIdSchema, userId, "user_id");
        const tenant = validate(TenantIdSchema, opts.tenant, "--tenant");
        await confirm(
          `Delete user '${id}' of tenant '${tenant}' with all its memories, sessions and keys?`,
          opts.yes,
        );
        await runAdmin(opts, async (api) => {
          const result = await api.deleteUser(tenant, id);
          if (opts.json) return printJson({ deleted: true, user_id: id, tenant, ...result });
          out(
            `Deleted user ${id} of tenant ${tenant}, with its ${result.deleted_memories} memories and all its keys.`,
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
