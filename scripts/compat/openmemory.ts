/** OpenMemory's multi-user guide: its curl commands, verbatim, and the steps that run them against Engram. */
import { count, each, eq, eqVar, has, lacks, match, neVar, onlyFields, sent, status } from "./checks.js";
import { adapt, type Part } from "./step.js";

export const OPENMEMORY_URL =
  "https://github.com/zinohome/openmemory-multiuser/blob/HEAD/docs/USER_CREATION_GUIDE.md";

/** The guide's "Testing New Users" commands, as written. */
export const OM = {
  login: `curl -X POST http://192.168.66.163:8765/api/v1/auth/login \\
  -H "Content-Type: application/json" \\
  -d '{"api_key": "NEW_API_KEY_HERE"}'`,
  create: `curl -X POST http://192.168.66.163:8765/api/v1/memories/ \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer NEW_API_KEY_HERE" \\
  -d '{"text": "My first memory!"}'`,
  search: `curl -X POST "http://192.168.66.163:8765/api/v1/memories/search?query=memory" \\
  -H "Authorization: Bearer NEW_API_KEY_HERE"`,
  isolation:
    "### 4. Verify User Isolation\n\nSearch with different API keys should return different results, proving isolation works.",
};

const MEM = /^mem_[0-9a-z]{26}$/;

/** A command of the guide with its host as $ENGRAM and its key as `keyVar`; nothing else changes. */
const om = (original: string, keyVar: string) =>
  adapt(original, {
    "http://192.168.66.163:8765": { variable: "ENGRAM" },
    NEW_API_KEY_HERE: { variable: keyVar },
  });

/** Runs on a keys-mode server after the setup steps (CLIENT_KEY, NEW_API_KEY for `newuser`, BOB_KEY for `bob`). */
export const openMemory: Part[] = [
  {
    prose: [
      "## OpenMemory: the multi-user guide",
      "",
      `Source: [openmemory-multiuser, docs/USER_CREATION_GUIDE.md](${OPENMEMORY_URL}), section "Testing New Users". Its host \`192.168.66.163:8765\` becomes \`$ENGRAM\` and \`NEW_API_KEY_HERE\` a user key; nothing else changes.`,
    ],
  },
  {
    id: "O1",
    title: "Test Authentication",
    from: "document",
    original: OM.login,
    command: om(OM.login, "NEW_API_KEY"),
    note: 'The document\'s expected response is `{"success": true, "user_id": "newuser", "name": "New User", "message": "Login successful"}`.',
    checks: [
      sent("Content-Type", "application/json"),
      status(200),
      eq("success", true),
      eq("user_id", "newuser"),
      eq("name", "New User"),
      eq("message", "Login successful"),
      onlyFields(["success", "user_id", "name", "message"]),
    ],
  },
  {
    id: "O2",
    title: "Test Memory Creation",
    from: "document",
    original: OM.create,
    command: om(OM.create, "NEW_API_KEY"),
    checks: [
      status(200),
      match("id", MEM),
      eq("text", "My first memory!"),
      eq("content", "My first memory!", " (OpenMemory's field name)"),
      eq("state", "active"),
      eq("app", "default"),
    ],
    save: { NEW_MEMORY: "id" },
  },
  {
    id: "O3",
    title: "Test Memory Search",
    from: "document",
    original: OM.search,
    command: om(OM.search, "NEW_API_KEY"),
    checks: [
      status(200),
      count("results", 1),
      eqVar("results.0.id", "NEW_MEMORY"),
      eq("results.0.text", "My first memory!"),
    ],
  },
  {
    prose: [
      "#### Verify User Isolation",
      "",
      "```markdown",
      OM.isolation,
      "```",
      "",
      "Bob runs the same three commands with his key: he logs in as himself, stores the same text, and his search finds only his own memory (a different id); newuser's search still finds only hers; with Bob's key, her memory can be neither read nor deleted: 404, as if it did not exist.",
    ],
  },
  {
    id: "O4",
    title: "Test Authentication, with Bob's key",
    from: "document",
    original: OM.login,
    command: om(OM.login, "BOB_KEY"),
    checks: [status(200), eq("success", true), eq("user_id", "bob"), eq("name", "Bob Wilson")],
  },
  {
    id: "O5",
    title: "Test Memory Creation, with Bob's key",
    from: "document",
    original: OM.create,
    command: om(OM.create, "BOB_KEY"),
    checks: [
      status(200),
      match("id", MEM),
      neVar("id", "NEW_MEMORY", " (a new memory)"),
      eq("text", "My first memory!"),
    ],
    save: { BOB_MEMORY: "id" },
  },
  {
    id: "O6",
    title: "Test Memory Search, with Bob's key",
    from: "document",
    original: OM.search,
    command: om(OM.search, "BOB_KEY"),
    checks: [
      status(200),
      count("results", 1, " (only Bob's)"),
      eqVar("results.0.id", "BOB_MEMORY"),
      lacks("NEW_MEMORY"),
    ],
  },
  {
    id: "O7",
    title: "Test Memory Search, with newuser's key again",
    from: "document",
    original: OM.search,
    command: om(OM.search, "NEW_API_KEY"),
    checks: [
      status(200),
      count("results", 1, " (only newuser's)"),
      eqVar("results.0.id", "NEW_MEMORY"),
      lacks("BOB_MEMORY"),
    ],
  },
  {
    id: "O8",
    title: "newuser's memory by id, with Bob's key",
    from: "added",
    original: "GET /api/v1/memories/{id} of another user's memory",
    note: "Another user's memory answers 404, not 403: no existence oracle.",
    command: `curl $ENGRAM/api/v1/memories/$NEW_MEMORY -H "Authorization: Bearer $BOB_KEY"`,
    checks: [status(404), eq("error.code", "memory_not_found")],
  },
  {
    id: "O9",
    title: "Delete newuser's memory, with Bob's key",
    from: "added",
    original: "DELETE /api/v1/memories/{id} of another user's memory",
    command: `curl -X DELETE $ENGRAM/api/v1/memories/$NEW_MEMORY -H "Authorization: Bearer $BOB_KEY"`,
    checks: [status(404), eq("error.code", "memory_not_found")],
  },
  {
    id: "O10",
    title: "…and it is still there for newuser",
    from: "added",
    original: "GET /api/v1/memories/{id} of one's own memory",
    command: `curl $ENGRAM/api/v1/memories/$NEW_MEMORY -H "Authorization: Bearer $NEW_API_KEY"`,
    checks: [status(200), eqVar("id", "NEW_MEMORY"), eq("text", "My first memory!")],
  },
  {
    prose: [
      "#### Per-user apps and memory states",
      "",
      "The guide gives every user a `default` app when it creates them, and counts memories with `state = 'active'`. Engram keeps apps and states per user; these commands are not in the document.",
    ],
  },
  {
    id: "O11",
    title: "A memory written as another app (OpenMemory's `app` field)",
    from: "added",
    original: "POST /api/v1/memories/ {text, app}",
    command: `curl -X POST $ENGRAM/api/v1/memories/ \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $NEW_API_KEY" \\
  -d '{"text": "I prefer morning meetings", "app": "claude"}'`,
    checks: [status(200), eq("app", "claude"), eq("app_name", "claude")],
  },
  {
    id: "O12",
    title: "newuser's apps",
    from: "added",
    original: "each user has its own apps, `default` first",
    command: `curl $ENGRAM/v1/apps -H "Authorization: Bearer $NEW_API_KEY"`,
    checks: [status(200), each("apps", "name", ["claude", "default"]), each("apps", "memory_count", [1, 1])],
  },
  {
    id: "O13",
    title: "Bob's apps",
    from: "added",
    original: "another user's apps are not listed",
    command: `curl $ENGRAM/v1/apps -H "Authorization: Bearer $BOB_KEY"`,
    checks: [status(200), each("apps", "name", ["default"]), each("apps", "memory_count", [1])],
  },
  {
    id: "O14",
    title: "Pause newuser's first memory",
    from: "added",
    original: "memory states: active, paused, archived, deleted",
    command: `curl -X PATCH $ENGRAM/v1/memories/$NEW_MEMORY -H "Authorization: Bearer $NEW_API_KEY" -d '{"state": "paused"}'`,
    checks: [status(200), eqVar("id", "NEW_MEMORY"), eq("state", "paused")],
  },
  {
    id: "O15",
    title: "Test Memory Search, while the memory is paused",
    from: "document",
    original: OM.search,
    command: om(OM.search, "NEW_API_KEY"),
    note: "Searches and lists show active memories only, as the guide's `state = 'active'` count does.",
    checks: [status(200), lacks("NEW_MEMORY", " (paused)")],
  },
  {
    id: "O16",
    title: "Resume it",
    from: "added",
    original: "memory states: active, paused, archived, deleted",
    command: `curl -X PATCH $ENGRAM/v1/memories/$NEW_MEMORY -H "Authorization: Bearer $NEW_API_KEY" -d '{"state": "active"}'`,
    checks: [status(200), eq("state", "active")],
  },
  {
    id: "O17",
    title: "Test Memory Search, once resumed",
    from: "document",
    original: OM.search,
    command: om(OM.search, "NEW_API_KEY"),
    checks: [status(200), has("NEW_MEMORY", " (active again)")],
  },
  {
    id: "O18",
    title: "List newuser's memories (OpenMemory's page shape)",
    from: "added",
    original: "GET /api/v1/memories/",
    command: `curl $ENGRAM/api/v1/memories/ -H "Authorization: Bearer $NEW_API_KEY"`,
    checks: [status(200), eq("total", 2), eq("page", 1), count("items", 2)],
  },
  {
    id: "O19",
    title: "Delete newuser's first memory",
    from: "added",
    original: "DELETE /api/v1/memories/{id}",
    command: `curl -X DELETE $ENGRAM/api/v1/memories/$NEW_MEMORY -H "Authorization: Bearer $NEW_API_KEY"`,
    checks: [status(200), eqVar("id", "NEW_MEMORY")],
  },
  {
    prose: [
      "#### The same bodies without `Content-Type: application/json`",
      "",
      'Without `-H`, `curl -d` sends `Content-Type: application/x-www-form-urlencoded`; with `-H "Content-Type:"` it sends none. Engram reads the body as JSON either way, so a command that drops the header still works.',
    ],
  },
  {
    id: "O20",
    title: "Test Authentication, with curl's default Content-Type",
    from: "added",
    original: "the document's login without its `-H` line",
    command: `curl -X POST $ENGRAM/api/v1/auth/login -d '{"api_key": "'"$NEW_API_KEY"'"}'`,
    checks: [
      sent("Content-Type", "application/x-www-form-urlencoded"),
      status(200),
      eq("user_id", "newuser"),
    ],
  },
  {
    id: "O21",
    title: "Test Authentication, with no Content-Type",
    from: "added",
    original: "the document's login with an empty Content-Type",
    command: `curl -X POST $ENGRAM/api/v1/auth/login -H "Content-Type:" -d '{"api_key": "'"$NEW_API_KEY"'"}'`,
    checks: [sent("Content-Type", null), status(200), eq("user_id", "newuser")],
  },
  {
    id: "O22",
    title: "Test Memory Creation, with curl's default Content-Type",
    from: "added",
    original: "the document's memory creation without its Content-Type line",
    command: `curl -X POST $ENGRAM/api/v1/memories/ \\
  -H "Authorization: Bearer $NEW_API_KEY" \\
  -d '{"text": "Sent as curl -d sends it"}'`,
    checks: [
      sent("Content-Type", "application/x-www-form-urlencoded"),
      status(200),
      eq("text", "Sent as curl -d sends it"),
    ],
  },
  {
    id: "O23",
    title: "Test Memory Creation, with no Content-Type",
    from: "added",
    original: "the document's memory creation with an empty Content-Type",
    command: `curl -X POST $ENGRAM/api/v1/memories/ \\
  -H "Content-Type:" \\
  -H "Authorization: Bearer $NEW_API_KEY" \\
  -d '{"text": "Sent with no Content-Type"}'`,
    checks: [sent("Content-Type", null), status(200), eq("text", "Sent with no Content-Type")],
  },
];
