/** The `local_open` auth mode: MUXI's keyless command as written, on a server bound to loopback. */
import { count, each, eq, match, notMatch, sent, status } from "./checks.js";
import { MUXI, muxi } from "./muxi.js";
import type { Part } from "./step.js";

const SESS = /^sess_[0-9a-z]{26}$/;

/** How `engram serve` must start (or refuse to) in local_open mode: run by the document's script on the built CLI. */
export const localOpenStartup = {
  refusal: {
    id: "L1",
    title: "local_open on 0.0.0.0 refuses to start",
    command: 'ENGRAM_AUTH_MODE=local_open ENGRAM_HOST=0.0.0.0 node "$ENGRAM_CLI" serve',
    exitCode: 2,
    /** What its message must name. */
    stderr: [/ENGRAM_AUTH_MODE/, /ENGRAM_HOST/],
  },
  warning: {
    id: "L2",
    title: "local_open on 127.0.0.1 starts with a warning",
    command: 'ENGRAM_AUTH_MODE=local_open ENGRAM_HOST=127.0.0.1 node "$ENGRAM_CLI" serve',
    /** pino's `warn` or above, among its start-up lines. */
    minLevel: 40,
    msg: /local_open/,
  },
};

export const localOpenIntro: string[] = [
  "## `local_open`: MUXI's keyless command, on one machine",
  "",
  'MUXI\'s first command sends no key. Engram accepts keyless requests only in the `local_open` auth mode: set explicitly (`ENGRAM_AUTH_MODE=local_open` or `auth.mode`), allowed only on a loopback bind, and announced with a warning at start-up. A keyless request then acts as the user in `X-Muxi-User-Id` (or `X-User-Id`), user `"0"` without one. Admin routes still need the admin key.',
];

/** Runs on a fresh local_open server; needs only ENGRAM. */
export const localOpen: Part[] = [
  {
    id: "L3",
    title: "User Identification, exactly as written",
    from: "document",
    original: MUXI.chat,
    command: muxi(MUXI.chat),
    checks: [
      sent("Content-Type", "application/x-www-form-urlencoded"),
      sent("Authorization", null),
      status(200),
      match("session_id", SESS),
      match("reply", /./),
    ],
    save: { OPEN_SESSION: "session_id" },
  },
  {
    id: "L4",
    title: "The chat acted as user_123",
    from: "added",
    original: "the session of the keyless chat belongs to user_123",
    command: `curl $ENGRAM/v1/sessions/$OPEN_SESSION -H "X-Muxi-User-Id: user_123"`,
    checks: [status(200), eq("user_id", "user_123"), eq("messages.0.content", "Hello")],
  },
  {
    id: "L5",
    title: 'No user header: the default user "0"',
    from: "added",
    original: 'Default user ID: "0" (single-user mode)',
    command: "curl -X POST $ENGRAM/v1/sessions",
    checks: [status(201), eq("user_id", "0")],
  },
  {
    id: "L6",
    title: 'Keyless user A: "Remember I like Python"',
    from: "document",
    original: MUXI.userA,
    originalLang: "text",
    command: `curl -X POST $ENGRAM/v1/chat -H "X-Muxi-User-Id: user_a" -d '{"message": "Remember I like Python"}'`,
    checks: [status(200), each("memories_created", "text", ["I like Python"])],
  },
  {
    id: "L7",
    title: 'Keyless user B: "What language do I like?"',
    from: "document",
    original: MUXI.userB,
    originalLang: "text",
    command: `curl -X POST $ENGRAM/v1/chat -H "X-Muxi-User-Id: user_b" -d '{"message": "What language do I like?"}'`,
    checks: [status(200), notMatch("reply", /python/i, " (no Python)"), count("memories_used", 0)],
  },
  {
    id: "L8",
    title: "Keyless is not admin",
    from: "added",
    original: "admin routes still need the admin key",
    command: "curl $ENGRAM/v1/users",
    checks: [status(403), eq("error.code", "forbidden")],
  },
  {
    id: "L9",
    title: "A wrong key is still refused",
    from: "added",
    original: "local_open opens keyless requests only; a key that is sent must be valid",
    command: `curl -X POST $ENGRAM/v1/chat -H "X-Muxi-Client-Key: fmc_not_a_key" -H "X-Muxi-User-Id: user_123" -d '{"message": "Hello"}'`,
    checks: [status(401), eq("error.code", "invalid_api_key")],
  },
];
