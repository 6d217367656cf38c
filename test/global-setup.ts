/** Decides, once per run, whether the PostgreSQL suite runs: required under CI, skipped loudly elsewhere. */
export function setup(): void {
  const url = process.env.ENGRAM_TEST_DATABASE_URL;
  const ci = process.env.CI === "true" || process.env.CI === "1";
  if (!url && ci) {
    throw new Error(
      "CI=true but ENGRAM_TEST_DATABASE_URL is not set: the PostgreSQL suite is required in CI (see .ci/run)",
    );
  }
  if (!url) {
    process.stderr.write(
      "\n*** PostgreSQL suite SKIPPED: ENGRAM_TEST_DATABASE_URL is not set. Only the PGlite suite runs.\n" +
        '*** To run it: eval "$(bash scripts/ci/pg-cluster.sh start)" && npm test\n\n',
    );
  }
}
