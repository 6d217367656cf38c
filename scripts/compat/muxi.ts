/** MUXI's multi-user deep dive: its commands and examples, verbatim, and the steps that run them against Engram. */
import { count, each, eq, eqVar, match, notMatch, nowhere, secondsAfter, sent, status } from "./checks.js";
import { adapt, type Part } from "./step.js";

export const MUXI_USER_URL = "https://muxi.org/docs/deep-dives/multi-user";
export const MUXI_TENANCY_URL = "https://muxi.org/docs/deep-dives/multi-tenancy";

/** The deep dive's commands, examples and configuration, as written. */
export const MUXI = {
  chat: `curl -X POST http://localhost:8001/v1/chat \\
  -H "X-Muxi-User-Id: user_123" \\
  -d '{"message": "Hello"}'`,
  createSession: `curl -X POST http://localhost:8001/v1/sessions \\
  -H "X-Muxi-Client-Key: fmc_..."`,
  useSession: `curl -X POST http://localhost:8001/v1/chat \\
  -H "X-Muxi-Client-Key: fmc_..." \\
  -d '{"message": "Hello", "session_id": "sess_abc123"}'`,
  history: `curl http://localhost:8001/v1/sessions/sess_abc123 \\
  -H "X-Muxi-Client-Key: fmc_..."`,
  headers: "POST /v1/chat HTTP/1.1\nX-Muxi-Client-Key: fmc_...\nX-Muxi-User-Id: user_123",
  compound: "X-Muxi-User-Id: tenant_acme:user_123",
  separate: "X-Muxi-Tenant-Id: acme\nX-Muxi-User-Id: user_123\n\nInternally normalized to: acme:user_123",
  userA: 'User A: "Remember I like Python"\n         ↓\n    Stored: user_a.preferences.python = true',
  userB:
    'User B: "What language do I like?"\n         ↓\n    Search: user_b.preferences (empty)\n    Response: "I don\'t know your preference yet"',
  config: `memory:
  persistent:
    enabled: true
    provider: postgresql
    connection_string: \${{ secrets.POSTGRES_URI }}
    user_isolation: true`,
  timeout: "memory:\n  session_timeout: 3600  # 1 hour",
};

const SESS = /^sess_[0-9a-z]{26}$/;

/** A command of the deep dive with its host as $ENGRAM, `fmc_...` as $CLIENT_KEY and `sess_abc123` as $SESSION_ID. */
export const muxi = (original: string) =>
  adapt(original, {
    "http://localhost:8001": { variable: "ENGRAM" },
    "fmc_...": { variable: "CLIENT_KEY" },
    sess_abc123: { variable: "SESSION_ID" },
  });

/** A chat message from a user of the client key (the headers of the multi-tenancy page). */
const chatAs = (headers: string[], message: string) =>
  [
    "curl -X POST $ENGRAM/v1/chat",
    '  -H "X-Muxi-Client-Key: $CLIENT_KEY"',
    ...headers.map((h) => `  -H "${h}"`),
    `  -d '{"message": "${message}"}'`,
  ].join(" \\\n");

/** Runs on a keys-mode server after the setup steps (CLIENT_KEY, a client key of the default tenant). */
export const muxiSteps: Part[] = [
  {
    prose: [
      "## MUXI: the multi-user deep dive",
      "",
      `Source: [MUXI, Multi-User Support](${MUXI_USER_URL}) and, for the tenant headers, [MUXI, Multi-Tenancy](${MUXI_TENANCY_URL}). The host \`localhost:8001\` becomes \`$ENGRAM\`, \`fmc_...\` the client key, and \`sess_abc123\` the id of the session the previous command created; headers and bodies are the document's, so \`-d\` goes out with curl's default \`Content-Type: application/x-www-form-urlencoded\`.`,
    ],
  },
  {
    id: "M1",
    title: "User Identification, as written, on the keys-mode server",
    from: "document",
    original: MUXI.chat,
    command: muxi(MUXI.chat),
    note: "The command carries no key. A keys-mode server refuses it; it runs as written against a `local_open` server (L3 below).",
    checks: [
      sent("Content-Type", "application/x-www-form-urlencoded"),
      status(401),
      eq("error.code", "unauthorized"),
    ],
  },
  {
    id: "M2",
    title: "User Identification with the client key",
    from: "document",
    original: MUXI.headers,
    originalLang: "http",
    note: "The multi-tenancy page's request headers, with the first command's body.",
    command: chatAs(["X-Muxi-User-Id: user_123"], "Hello"),
    checks: [
      sent("Content-Type", "application/x-www-form-urlencoded"),
      status(200),
      match("session_id", SESS),
      match("reply", /./),
    ],
    save: { USER_123_SESSION: "session_id" },
  },
  {
    id: "M3",
    title: "That session belongs to user_123",
    from: "added",
    original: "sessions are bound to the user that made them",
    command: `curl $ENGRAM/v1/sessions/$USER_123_SESSION -H "X-Muxi-Client-Key: $CLIENT_KEY" -H "X-Muxi-User-Id: user_123"`,
    checks: [status(200), eq("user_id", "user_123"), count("messages", 2)],
  },
  {
    id: "M4",
    title: "…and the default user cannot read it",
    from: "added",
    original: "sessions are bound to the user that made them",
    command: `curl $ENGRAM/v1/sessions/$USER_123_SESSION -H "X-Muxi-Client-Key: $CLIENT_KEY"`,
    checks: [status(404), eq("error.code", "session_not_found")],
  },
  {
    id: "M5",
    title: "Create Session",
    from: "document",
    original: MUXI.createSession,
    command: muxi(MUXI.createSession),
    note: 'No `X-Muxi-User-Id`: the session belongs to user `"0"`, MUXI\'s default (single-user mode). `memory.session_timeout` (3600 s unless set, as in MUXI) sets its expiry.',
    checks: [
      status(201),
      match("id", SESS),
      eq("user_id", "0", " (the default user)"),
      secondsAfter("expires_at", "last_activity_at", 3600, " (memory.session_timeout)"),
    ],
    save: { SESSION_ID: "id" },
  },
  {
    id: "M6",
    title: "Use Session",
    from: "document",
    original: MUXI.useSession,
    command: muxi(MUXI.useSession),
    checks: [
      sent("Content-Type", "application/x-www-form-urlencoded"),
      status(200),
      eqVar("session_id", "SESSION_ID"),
      match("reply", /./),
    ],
  },
  {
    id: "M7",
    title: "Use Session, with no Content-Type",
    from: "added",
    original: "the same command with an empty Content-Type",
    command: `curl -X POST $ENGRAM/v1/chat \\
  -H "Content-Type:" \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -d '{"message": "Hello again", "session_id": "'"$SESSION_ID"'"}'`,
    checks: [sent("Content-Type", null), status(200), eqVar("session_id", "SESSION_ID")],
  },
  {
    id: "M8",
    title: "Get Session History",
    from: "document",
    original: MUXI.history,
    command: muxi(MUXI.history),
    checks: [
      status(200),
      eqVar("id", "SESSION_ID"),
      eq("user_id", "0"),
      each("messages", "role", ["user", "assistant", "user", "assistant"]),
      eq("messages.0.content", "Hello"),
      eq("messages.2.content", "Hello again"),
    ],
  },
  {
    prose: [
      "#### Memory Isolation: How It Works",
      "",
      "No LLM is configured, so Engram's built-in responder answers: it stores stated facts and answers questions from the user's best-matching memory (see docs/api.md). User A and user B are two users of the same client key.",
    ],
  },
  {
    id: "M9",
    title: 'User A: "Remember I like Python"',
    from: "document",
    original: MUXI.userA,
    originalLang: "text",
    command: chatAs(["X-Muxi-User-Id: user_a"], "Remember I like Python"),
    checks: [status(200), each("memories_created", "text", ["I like Python"])],
  },
  {
    id: "M10",
    title: 'User B: "What language do I like?"',
    from: "document",
    original: MUXI.userB,
    originalLang: "text",
    command: chatAs(["X-Muxi-User-Id: user_b"], "What language do I like?"),
    checks: [
      status(200),
      notMatch("reply", /python/i, " (no Python)"),
      count("memories_used", 0, " (nothing of user A's)"),
      nowhere(/python/i),
    ],
  },
  {
    id: "M11",
    title: 'User A asks the same: "What language do I like?"',
    from: "added",
    original: "the fact was stored, for user A only",
    command: chatAs(["X-Muxi-User-Id: user_a"], "What language do I like?"),
    checks: [status(200), match("reply", /Python/), eq("memories_used.0.text", "I like Python")],
  },
  {
    prose: [
      "#### Compound Identifiers",
      "",
      "A client key acts for any user of its tenant; MUXI's compound ids are user ids like any other, so `tenant_a:user_1` and `tenant_b:user_1` are two users. `X-Muxi-Tenant-Id` is folded into the user id as MUXI describes.",
    ],
  },
  {
    id: "M12",
    title: "tenant_a:user_1 states a fact",
    from: "document",
    original: MUXI.compound,
    originalLang: "http",
    command: chatAs(["X-Muxi-User-Id: tenant_a:user_1"], "Remember my project is called Falcon"),
    checks: [status(200), each("memories_created", "text", ["My project is called Falcon"])],
  },
  {
    id: "M13",
    title: "tenant_b:user_1 does not see it",
    from: "document",
    original: MUXI.compound,
    originalLang: "http",
    command: chatAs(["X-Muxi-User-Id: tenant_b:user_1"], "What is my project called?"),
    checks: [status(200), notMatch("reply", /Falcon/), count("memories_used", 0), nowhere(/Falcon/)],
  },
  {
    id: "M14",
    title: "Nor does user_1 without a tenant",
    from: "added",
    original: "user_1 and tenant_a:user_1 are two users",
    command: chatAs(["X-Muxi-User-Id: user_1"], "What is my project called?"),
    checks: [status(200), nowhere(/Falcon/)],
  },
  {
    id: "M15",
    title: "X-Muxi-Tenant-Id: tenant_a with X-Muxi-User-Id: user_1 is tenant_a:user_1",
    from: "document",
    original: MUXI.separate,
    originalLang: "http",
    command: chatAs(["X-Muxi-Tenant-Id: tenant_a", "X-Muxi-User-Id: user_1"], "What is my project called?"),
    checks: [
      status(200),
      match("reply", /Falcon/),
      eq("memories_used.0.text", "My project is called Falcon"),
    ],
  },
  {
    id: "M16",
    title: "Separate headers, normalized to acme:user_123",
    from: "document",
    original: MUXI.separate,
    originalLang: "http",
    note: "`/v1/me` says which user a request acts as.",
    command: `curl $ENGRAM/v1/me \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-Tenant-Id: acme" \\
  -H "X-Muxi-User-Id: user_123"`,
    checks: [status(200), eq("kind", "client"), eq("user_id", "acme:user_123")],
  },
  {
    id: "M17",
    title: "A compound id in X-Muxi-User-Id is the user id as it is",
    from: "document",
    original: MUXI.compound,
    originalLang: "http",
    command: `curl $ENGRAM/v1/me -H "X-Muxi-Client-Key: $CLIENT_KEY" -H "X-Muxi-User-Id: tenant_acme:user_123"`,
    checks: [status(200), eq("user_id", "tenant_acme:user_123")],
  },
  {
    id: "M18",
    title: 'No X-Muxi-User-Id: the default user "0"',
    from: "added",
    original: 'Default user ID: "0" (single-user mode)',
    command: `curl $ENGRAM/v1/me -H "X-Muxi-Client-Key: $CLIENT_KEY"`,
    checks: [status(200), eq("user_id", "0")],
  },
];
