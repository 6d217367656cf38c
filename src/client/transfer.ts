/**
 * Export and import (GET /v1/export, POST /v1/import): the export read line by line as it arrives, the import
 * streamed from the caller's source. Neither holds a whole file in memory.
 */
import { EngramError } from "./errors.js";
import { type OpenResponse, readAll, type Transport, type UploadBody } from "./transport.js";
import type { CallOptions, ExportInput, ExportRecord, ImportSummary } from "./types.js";

const NDJSON = "application/x-ndjson";

/**
 * The export file's lines (without their newline), read as they arrive. The timeout bounds each wait (for the
 * answer, then for each chunk), not the whole download; leaving the loop early stops the download.
 */
export async function* exportLines(
  t: Transport,
  input: ExportInput,
  opts: CallOptions,
): AsyncGenerator<string> {
  const { all, ...query } = input;
  const open = await t.open(
    { ...opts, method: "GET", path: "/v1/export", query: { ...query, ...(all ? { all: "true" } : {}) } },
    NDJSON,
  );
  try {
    yield* lines(open);
  } catch (thrown) {
    throw open.classify(thrown);
  } finally {
    open.done();
  }
}

/** The export's records, each line parsed. */
export async function* exportRecords(
  t: Transport,
  input: ExportInput,
  opts: CallOptions,
): AsyncGenerator<ExportRecord> {
  for await (const line of exportLines(t, input, opts)) yield JSON.parse(line) as ExportRecord;
}

async function* lines(open: OpenResponse): AsyncGenerator<string> {
  const body = open.response.body;
  if (!body) throw new EngramError({ code: "stream_incomplete", status: 0, message: "no response body" });
  const decoder = new TextDecoder();
  let pending = "";
  // readAll cancels the download when the caller leaves the loop early.
  for await (const value of readAll(body)) {
    open.touch();
    pending += decoder.decode(value, { stream: true });
    let nl = pending.indexOf("\n");
    while (nl >= 0) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      if (line !== "") yield line;
      nl = pending.indexOf("\n");
    }
  }
  pending += decoder.decode();
  if (pending !== "") yield pending;
}

/**
 * POST /v1/import (admin key). A string or bytes are sent as they are (and retried after a 429 or 503, as the
 * import is idempotent); an async iterable or a ReadableStream is streamed and sent once. No timeout unless the
 * call gives `timeoutMs`: it then bounds the whole call for a string or bytes, and for a stream each wait without
 * progress, for the server to take the next chunk (it reads nothing while it writes a user's block), then for its
 * answer.
 */
export function importFile(t: Transport, file: UploadBody, opts: CallOptions): Promise<ImportSummary> {
  return t.json({
    ...opts,
    timeoutMs: opts.timeoutMs ?? 0,
    method: "POST",
    path: "/v1/import",
    upload: { contentType: NDJSON, body: file },
  });
}
