/** MCP on stdin/stdout for one MemoryPort: stdout kept for the protocol, answers flushed before the process exits. */
import { Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import type { Logger } from "pino";
import { createMcpServer, type MemoryPort } from "./tools.js";

export interface StdioOptions {
  version: string;
  log: Logger;
  /** Called once, after the last answer is written and before the process exits (closes the local store). */
  onClose?: () => Promise<void>;
}

/**
 * Keeps stdout for the protocol alone: anything else that writes there (a stray console.log, a worker thread's
 * output piped to process.stdout) goes to stderr instead. Returns the stream the transport writes to. Call it
 * before anything else is set up, so nothing written during start-up reaches the client.
 */
export function reserveStdout(): Writable {
  const stdout = process.stdout;
  const write = stdout.write.bind(stdout);
  const protocol = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      write(chunk, (err) => callback(err ?? null));
    },
  });
  stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write;
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  return protocol;
}

/** Serves `port` over stdio until the client closes stdin or a signal arrives; then answers what is under way and exits 0. */
export async function serveStdio(port: MemoryPort, protocolOut: Writable, opts: StdioOptions): Promise<void> {
  const { log } = opts;
  const calls = trackCalls(port);
  const server = createMcpServer(calls.port, { version: opts.version, log });
  const transport = new StdioServerTransport(process.stdin, protocolOut);
  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    log.debug({ why }, "engram mcp: closing");
    // A client may close stdin right after its last request: answer what is under way first.
    await calls.idle();
    await server
      .close()
      .catch((err: unknown) =>
        log.warn({ err }, "engram mcp: closing the MCP server failed; exiting anyway"),
      );
    // Closing the store flushes it and releases the embedded store's lock.
    await opts
      .onClose?.()
      .catch((err: unknown) => log.error({ err }, "engram mcp: error while closing the store"));
    process.exit(0);
  };
  // The client ends the session by closing our stdin.
  process.stdin.once("end", () => void shutdown("stdin closed"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  await server.connect(transport);
}

/** Counts tool calls under way, so that shutting down can wait for their answers to be written. */
function trackCalls(port: MemoryPort): { port: MemoryPort; idle(): Promise<void> } {
  const running = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    running.add(p);
    p.then(
      () => running.delete(p),
      () => running.delete(p),
    );
    return p;
  };
  return {
    port: {
      add: (input) => track(port.add(input)),
      addBatch: (texts) => track(port.addBatch(texts)),
      search: (input) => track(port.search(input)),
      list: (input) => track(port.list(input)),
      update: (id, text) => track(port.update(id, text)),
      remove: (id) => track(port.remove(id)),
      removeAll: () => track(port.removeAll()),
      sessionHistory: (id) => track(port.sessionHistory(id)),
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
      // The answer is sent in the promise callbacks that follow; a macrotask runs only after all of them.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
