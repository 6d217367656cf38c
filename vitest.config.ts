/** Test runner config: one process pool, generous timeouts for database start-up and the embedding model. */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "web/src/**/*.test.{ts,tsx}"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores: more workers than that only contend for the CPU the embedder and PGlite need.
    maxWorkers: 2,
    globalSetup: ["test/global-setup.ts"],
  },
});
