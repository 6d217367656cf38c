// Builds dist/ (the server) and web/dist/ (the dashboard) when missing or older than their sources, so
// `npm start` and `npm test` work on a fresh clone.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let latest = 0;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

const stamp = "dist/.build-stamp";
const stale = !existsSync(stamp) || newest("src") > statSync(stamp).mtimeMs;
if (stale) {
  process.stderr.write("engram: building (tsc)...\n");
  execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], {
    stdio: "inherit",
  });
  execFileSync(process.execPath, [
    "-e",
    `require("fs").writeFileSync(${JSON.stringify(stamp)}, new Date().toISOString())`,
  ]);
}

// The dashboard: every vite build writes web/dist/index.html, so its time is the last build's.
const webSources = ["web/src", "web/public", "web/index.html", "web/vite.config.ts"];
const webIndex = "web/dist/index.html";
const vite = "node_modules/vite/bin/vite.js";
if (existsSync("web/index.html")) {
  const webStale = !existsSync(webIndex) || Math.max(...webSources.map(newest)) > statSync(webIndex).mtimeMs;
  if (webStale && !existsSync(vite)) {
    // An install without devDependencies: the API works, the dashboard at / is missing until it is built.
    process.stderr.write(
      "engram: web/dist is missing or stale and vite is not installed: dashboard not built\n",
    );
  } else if (webStale) {
    process.stderr.write("engram: building the dashboard (vite)...\n");
    // NODE_ENV pinned: run from vitest it is "test", and React would be bundled in its development build.
    execFileSync(process.execPath, [vite, "build", "web", "--logLevel", "warn"], {
      stdio: "inherit",
      env: { ...process.env, NODE_ENV: "production" },
    });
  }
}
