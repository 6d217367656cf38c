/** One JSON call from the CLI to an Engram server, and the CLI's error for a failed one: shared by its HTTP faces. */
import { OutboundError, requestJson } from "../outbound/http.js";
import { CliError, RemoteError } from "./errors.js";

const TIMEOUT_MS = 30_000;

export type Query = Record<string, string | number | undefined>;

export interface ServerCall {
  /** The server's base URL, without a trailing slash. */
  base: string;
  key: string;
  headers?: Record<string, string> | undefined;
  /** Added to a 401's message: which key was refused (e.g. "the admin key given with --key or ENGRAM_ADMIN_KEY"). */
  keyHint: string;
  /** Added to a 403 `forbidden`'s message, when the route needs a kind of key the caller did not give. */
  forbiddenHint?: string | undefined;
}

export async function callServer<T>(
  s: ServerCall,
  method: string,
  path: string,
  opts: { query?: Query; body?: unknown } = {},
): Promise<T> {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) qs.set(k, String(v));
  const url = `${s.base}${path}${qs.size > 0 ? `?${qs}` : ""}`;
  try {
    return (await requestJson(url, {
      method,
      json: opts.body,
      bearer: s.key,
      timeoutMs: TIMEOUT_MS,
      ...(s.headers ? { headers: s.headers } : {}),
    })) as T;
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    // The user typed this URL: naming it on the CLI's own stderr is what helps.
    if (err.status === undefined) throw new CliError(`the server at ${s.base} ${err.reason}`);
    throw remoteErrorOf(s, err, err.status);
  }
}

function remoteErrorOf(s: ServerCall, err: OutboundError, status: number): RemoteError {
  const error = (err.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === "string" ? error.code : `http_${status}`;
  let message =
    typeof error?.message === "string"
      ? error.message
      : `the server answered ${status}${err.statusText ? ` ${err.statusText}` : ""}`;
  if (status === 401) message += ` (${s.keyHint} was refused by ${s.base})`;
  if (status === 403 && code === "forbidden" && s.forbiddenHint) message += ` (${s.forbiddenHint})`;
  return new RemoteError(code, message, status);
}
