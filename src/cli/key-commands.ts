/** `engram keys create|list|revoke|rotate`: API keys for users, tenants (client keys) and admins. */
import { type Command, Option } from "commander";
import { AppError } from "../errors.js";
import { CreateKeyBody, RotateKeyBody, TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import type { CreatedKey } from "./admin-api.js";
import {
  CONNECTION_HELP,
  type ConnectionFlags,
  guarded,
  parseDuration,
  parseExpiry,
  parseScopes,
  runAdmin,
  usageErrorsExit2,
  validate,
  withConnectionOptions,
} from "./admin-run.js";
import {
  keyOwner,
  keyStatus,
  out,
  prefixText,
  printJson,
  printSecret,
  scopesText,
  table,
  when,
} from "./output.js";

interface CreateFlags extends ConnectionFlags {
  user?: string;
  tenant?: string;
  client?: boolean;
  admin?: boolean;
  name?: string;
  scopes?: string;
  expires?: string;
}

const USAGE = { exitCode: 2, code: "engram.usage" };

function checkKeyId(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) {
    throw new AppError("validation_error", `key_id: expected a key id such as key_01jh8x…, got '${id}'`, {
      field: "key_id",
    });
  }
  return id;
}

function printCreated(created: CreatedKey, json: boolean | undefined): void {
  if (json) {
    printJson(created);
    return;
  }
  const { key } = created;
  out(`Created ${key.kind} key ${key.id}${keyOwner(key, "for")}.`);
  out(`  name     ${key.name ?? "-"}`);
  out(`  scopes   ${scopesText(key.scopes)}`);
  out(`  expires  ${when(key.expires_at, "never")}`);
  printSecret(created.api_key);
}

export function registerKeyCommands(program: Command): void {
  const keys = usageErrorsExit2(program.command("keys"))
    .description("create, list, revoke and rotate API keys (secrets are shown once, at creation)")
    .addHelpText(
      "after",
      `
Kinds of key:
  user    acts as one user (give it to that user's app or agent)
  client  a tenant's service key: acts for any user of the tenant named in X-User-Id
  admin   manages tenants, users and keys

Examples:
  engram keys create --user alice --name laptop
  engram keys list --user alice
  engram keys rotate key_01jh8x0000abcdefghjkmnpqrs --grace 1h
  engram keys revoke key_01jh8x0000abcdefghjkmnpqrs
${CONNECTION_HELP}`,
    );

  withConnectionOptions(
    keys
      .command("create")
      .description(
        "create an API key: for a user (--user), a tenant's client key (--client), or an admin key (--admin)",
      )
      .option("--user <user_id>", "a user key for this user")
      .option("--tenant <tenant>", "the user's tenant (default: default), or the tenant of a --client key")
      .addOption(
        new Option("--client", "a client key for --tenant: acts for any user of that tenant").conflicts([
          "user",
          "admin",
        ]),
      )
      .addOption(new Option("--admin", "an admin key").conflicts(["user", "tenant"]))
      .option("--name <name>", "a label, to tell keys apart in `keys list`")
      .option(
        "--scopes <scopes>",
        "comma-separated: memories:read,memories:write,sessions:read,sessions:write (default: all)",
      )
      .option(
        "--expires <when>",
        "expiry: an ISO date or date-time (2026-12-31), or a duration from now (90d, 12h)",
      ),
  )
    .addHelpText(
      "after",
      `
The key is printed once, on a line of its own; only its prefix and hash are stored.

Examples:
  engram keys create --user alice --name laptop
  engram keys create --user u1 --tenant acme --scopes memories:read --expires 90d
  engram keys create --client --tenant acme --name backend
  engram keys create --admin --name ci
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (opts: CreateFlags, cmd: Command) => {
        const kinds = [opts.user !== undefined, opts.client === true, opts.admin === true].filter(
          Boolean,
        ).length;
        if (kinds !== 1)
          cmd.error("error: say which key: --user <user_id>, --client --tenant <tenant>, or --admin", USAGE);
        if (opts.client && opts.tenant === undefined)
          cmd.error("error: --client needs --tenant <tenant>", USAGE);
        const body = validate(CreateKeyBody, {
          name: opts.name,
          scopes: opts.scopes === undefined ? undefined : parseScopes(opts.scopes),
          expires_at: opts.expires === undefined ? undefined : parseExpiry(opts.expires),
        });
        const tenant =
          opts.tenant === undefined ? undefined : validate(TenantIdSchema, opts.tenant, "--tenant");
        const user = opts.user === undefined ? undefined : validate(UserIdSchema, opts.user, "--user");
        await runAdmin(opts, async (api) => {
          let created: CreatedKey;
          if (user !== undefined) created = await api.createUserKey(tenant ?? "default", user, body);
          else if (opts.client && tenant !== undefined) created = await api.createClientKey(tenant, body);
          else created = await api.createAdminKey(body);
          printCreated(created, opts.json);
        });
      }),
    );

  withConnectionOptions(
    keys
      .command("list")
      .description("list API keys with their status and last use (never their secrets)")
      .option(
        "--tenant <tenant>",
        "only keys of this tenant (with --user: the user's tenant, default: default)",
      )
      .option("--user <user_id>", "only this user's keys"),
  )
    .addHelpText(
      "after",
      `
Times are UTC. STATUS is active, revoked or expired.

Examples:
  engram keys list
  engram keys list --tenant acme
  engram keys list --user alice --json
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (opts: ConnectionFlags & { tenant?: string; user?: string }) => {
        const tenant =
          opts.tenant === undefined ? undefined : validate(TenantIdSchema, opts.tenant, "--tenant");
        const user = opts.user === undefined ? undefined : validate(UserIdSchema, opts.user, "--user");
        await runAdmin(opts, async (api) => {
          const keys = await api.listKeys({ tenant, user });
          if (opts.json) return printJson({ keys });
          if (keys.length === 0) return out("no keys");
          out(
            table(
              ["ID", "KIND", "TENANT", "USER", "NAME", "PREFIX", "SCOPES", "STATUS", "EXPIRES", "LAST USED"],
              keys.map((k) => [
                k.id,
                k.kind,
                k.tenant ?? "-",
                k.user_id ?? "-",
                k.name ?? "-",
                prefixText(k),
                scopesText(k.scopes),
                keyStatus(k),
                when(k.expires_at, "never"),
                when(k.last_used_at, "never"),
              ]),
            ),
          );
        });
      }),
    );

  withConnectionOptions(keys.command("revoke <key_id>").description("revoke a key: it stops working at once"))
    .addHelpText(
      "after",
      `
Find the id with \`engram keys list\`. Revoking twice is harmless.

Example:
  engram keys revoke key_01jh8x0000abcdefghjkmnpqrs
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (keyId: string, opts: ConnectionFlags) => {
        const id = checkKeyId(keyId);
        await runAdmin(opts, async (api) => {
          const key = await api.revokeKey(id);
          if (opts.json) return printJson(key);
          out(
            `Revoked ${key.kind} key ${key.id} (${prefixText(key)})${keyOwner(key, "of")}; it no longer works.`,
          );
        });
      }),
    );

  withConnectionOptions(
    keys
      .command("rotate <key_id>")
      .description(
        "replace a key with a new one of the same kind, owner, scopes and expiry; the old one stops at once, or after --grace",
      )
      .option(
        "--grace <duration>",
        "keep the old key working this long (seconds, or 90s, 15m, 1h, 7d; at most 7d), never past its own expiry",
      ),
  )
    .addHelpText(
      "after",
      `
The new key is printed once, on a line of its own. Without --grace, put it in place before the old one's
users next call; with --grace, before the time printed, after which the old key is refused as expired.
A key already rotated cannot be rotated again; revoke it to end its grace period early.

Examples:
  engram keys rotate key_01jh8x0000abcdefghjkmnpqrs
  engram keys rotate key_01jh8x0000abcdefghjkmnpqrs --grace 15m
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (keyId: string, opts: ConnectionFlags & { grace?: string }) => {
        const id = checkKeyId(keyId);
        const { grace_seconds } = validate(RotateKeyBody, {
          grace_seconds: opts.grace === undefined ? undefined : parseDuration(opts.grace, "--grace"),
        });
        await runAdmin(opts, async (api) => {
          const created = await api.rotateKey(id, grace_seconds);
          if (opts.json) return printJson(created);
          const { key } = created;
          const old = created.old_key_expires_at
            ? `the old key keeps working until ${created.old_key_expires_at}, then is refused as expired`
            : "the old key no longer works";
          out(`Rotated ${key.kind} key ${created.rotated_from} -> ${key.id}${keyOwner(key, "of")}; ${old}.`);
          printSecret(created.api_key, "New API key");
        });
      }),
    );
}
