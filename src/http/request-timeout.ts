/**
 * The request timeout (ENGRAM_REQUEST_TIMEOUT_MS) on the Node HTTP server. Every request must arrive whole, headers
 * and body, within it: Node's own `server.requestTimeout`, which answers 408 and closes the connection, so that a
 * client trickling a body cannot hold a connection (slowloris). One exception: a streamed upload (POST /v1/import,
 * read line by line however large) may take as long as it needs while it keeps coming; for it the same number
 * bounds the time without progress instead, each wait of the importer for the next chunk (src/transfer/routes.ts,
 * `uploadChunks`), and a stall is answered 408 with the connection closed as well.
 *
 * Node has no per-request switch for its timer, so the exemption is made where it fires: Node reports the timeout
 * as a `clientError`, and this module's listener lets it pass for an exempt upload still arriving and otherwise
 * answers exactly as Node does without a listener (lib/_http_server.js, socketOnError).
 */
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from "node:http";
import type { Duplex } from "node:stream";
import { IMPORT_PATH } from "../transfer/routes.js";

/** Requests whose body is streamed to the handler and may legitimately take longer than the request timeout. */
export function isStreamingUpload(req: Pick<IncomingMessage, "method" | "url">): boolean {
  const path = (req.url ?? "").split("?", 1)[0];
  return req.method === "POST" && path === IMPORT_PATH;
}

/** Node's answers to a client error when no listener is set, by the error's code (default: 400). */
const STATUS_FOR: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
  ERR_HTTP_REQUEST_TIMEOUT: 408,
};

function cannedResponse(code: string | undefined): string {
  const status = STATUS_FOR[code ?? ""] ?? 400;
  return `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`;
}

/** Sets `server.requestTimeout` to `requestMs` (0: none) and exempts streamed uploads from it (see above). */
export function applyRequestTimeout(server: Server, requestMs: number): void {
  server.requestTimeout = requestMs;
  // The responses in flight on each connection, and the request of each (to tell an exempt upload still arriving).
  const inFlight = new WeakMap<Duplex, Map<ServerResponse, IncomingMessage>>();
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    let open = inFlight.get(req.socket);
    if (!open) {
      open = new Map();
      inFlight.set(req.socket, open);
    }
    open.set(res, req);
    const done = open;
    res.once("close", () => done.delete(res));
  });
  server.on("clientError", (err: Error & { code?: string }, socket: Duplex) => {
    const open = [...(inFlight.get(socket) ?? new Map<ServerResponse, IncomingMessage>())];
    // The timer fires for the message still being received: an exempt upload's, when it is not complete yet.
    if (
      err.code === "ERR_HTTP_REQUEST_TIMEOUT" &&
      open.some(([, req]) => !req.complete && isStreamingUpload(req))
    ) {
      return;
    }
    // Node's own handling: an error status unless an answer has started on the connection, then close it.
    if (socket.writable && !open.some(([res]) => res.headersSent)) socket.write(cannedResponse(err.code));
    socket.destroy(err);
  });
}
