/** The process logger: pino JSON to stderr, so stdout stays free for CLI output and MCP's stdio protocol. */
import { type Logger, pino } from "pino";

export function createLogger(level: string): Logger {
  return pino(
    {
      level,
      base: { service: "engram" },
      // Belt and braces: whatever a call site passes, these never reach a log line.
      redact: {
        paths: ["*.authorization", "*.api_key", "*.apiKey", "*.key", "*.password", "*.headers"],
        censor: "[redacted]",
      },
    },
    pino.destination(2),
  );
}
