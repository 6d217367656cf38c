// Builds dist/ when it is missing or older than any file under src/, so `npm start` works on a fresh clone.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
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
