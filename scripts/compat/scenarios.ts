/**
 * The compatibility scenarios, once: the OpenMemory and MUXI documents' curl commands (and added checks) for a
 * keys-mode server, and MUXI's keyless command for a local_open one. test/compat-curl.test.ts runs them on both
 * backends; scripts/compat/run.ts runs them on the built CLI and writes docs/compat.md.
 */
import { eq, match, status } from "./checks.js";
import { localOpen, localOpenIntro, localOpenStartup } from "./local-open.js";
import { MUXI, muxiSteps } from "./muxi.js";
import { openMemory } from "./openmemory.js";
import { isStep, type Part, type Step } from "./step.js";

const KEY = /^ek_(admin|client|user)_[0-9A-Za-z]{32}$/;

/** Keys made with the admin key ($ADMIN_KEY): MUXI's client key and OpenMemory's two users. */
const setup: Part[] = [
  {
    id: "S1",
    title: "A client key for the default tenant (MUXI's `fmc_...`)",
    from: "setup",
    command: `curl -X POST $ENGRAM/v1/tenants/default/keys -H "Authorization: Bearer $ADMIN_KEY" -d '{"name": "muxi-client"}'`,
    checks: [status(201), eq("key.kind", "client"), eq("key.tenant", "default"), match("api_key", KEY)],
    save: { CLIENT_KEY: "api_key", CLIENT_KEY_ID: "key.id" },
  },
  {
    id: "S2",
    title: "OpenMemory's example user `newuser` and its API key",
    from: "setup",
    command: `curl -X POST $ENGRAM/v1/users -H "Authorization: Bearer $ADMIN_KEY" -d '{"user_id": "newuser", "name": "New User", "email": "newuser@example.com"}'`,
    checks: [status(201), eq("user.user_id", "newuser"), eq("key.kind", "user"), match("api_key", KEY)],
    save: { NEW_API_KEY: "api_key", NEW_API_KEY_ID: "key.id" },
  },
  {
    id: "S3",
    title: "A second user, `bob`, for the isolation checks",
    from: "setup",
    command: `curl -X POST $ENGRAM/v1/users -H "Authorization: Bearer $ADMIN_KEY" -d '{"user_id": "bob", "name": "Bob Wilson", "email": "bob@example.com"}'`,
    checks: [status(201), eq("user.user_id", "bob"), match("api_key", KEY)],
    save: { BOB_KEY: "api_key", BOB_KEY_ID: "key.id" },
  },
];

/** For a server in the default `keys` auth mode, given ENGRAM and ADMIN_KEY; in this order. */
export const keysMode: Part[] = [...setup, ...openMemory, ...muxiSteps];

/** For a fresh server in `local_open` mode, given ENGRAM; in this order. */
export { localOpen, localOpenIntro, localOpenStartup };

/** MUXI's `memory:` block, which configures the keys-mode server of the document's run. */
export const muxiConfig = {
  /** As MUXI writes it, for PostgreSQL (`POSTGRES_URI` in the environment), plus its session timeout. */
  postgres: `${MUXI.config}\n  session_timeout: 3600  # 1 hour\n`,
  /** The same with `provider: pglite` and a data dir in place of the connection string. */
  pglite: `${MUXI.config
    .replace("provider: postgresql", "provider: pglite")
    .replace(/\n\s+connection_string:.*/, "\n    data_dir: ./data")}\n  session_timeout: 3600  # 1 hour\n`,
  /** Engram cannot turn isolation off, and says so rather than ignore it: start-up fails naming this key. */
  isolationOff: {
    from: "user_isolation: true",
    to: "user_isolation: false",
    exitCode: 2,
    stderr: /memory\.persistent\.user_isolation/,
  },
  document: MUXI.config,
  timeout: MUXI.timeout,
};

export const stepsOf = (parts: Part[]): Step[] => parts.filter(isStep);
