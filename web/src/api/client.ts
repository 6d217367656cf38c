/** The transport: one fetch per call with the key in a header, JSON in and out, and every failure as an ApiError. */

/** An error as the API reports it (`{error:{code,message,request_id,field?}}`), or a transport failure. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly requestId?: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Maps a non-2xx answer to an ApiError. The API's own body wins; anything else (a proxy's HTML page, an empty
 * body) becomes a generic code from the status, so the user still sees what happened instead of a blank page.
 */
export function toApiError(status: number, body: unknown, statusText = ""): ApiError {
  const err = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (err && typeof err.code === "string" && typeof err.message === "string") {
    return new ApiError(
      status,
      err.code,
      err.message,
      typeof err.request_id === "string" ? err.request_id : undefined,
      typeof err.field === "string" ? err.field : undefined,
    );
  }
  const code =
    status === 401
      ? "unauthorized"
      : status === 403
        ? "forbidden"
        : status === 404
          ? "not_found"
          : status === 429
            ? "rate_limited"
            : status >= 500
              ? "server_error"
              : "http_error";
  const text = typeof body === "string" && body.trim() && body.length < 200 ? `: ${body.trim()}` : "";
  return new ApiError(status, code, `HTTP ${status}${statusText ? ` ${statusText}` : ""}${text}`);
}

export type Query = Record<string, string | number | boolean | null | undefined>;

/** `?a=1&b=x` from the defined, non-empty values of `query` (empty string means "no filter"). */
export function queryString(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === "") continue;
    params.set(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : "";
}

export interface ActAs {
  userId: string;
  tenant?: string;
}

export interface ApiOptions {
  key: string;
  /** Origin the API lives on; the page's own when empty. */
  baseUrl?: string;
  /** The user a client or admin key acts for (X-User-Id, X-Tenant-Id). */
  actAs?: ActAs;
  fetch?: typeof fetch;
}

export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown, query?: Query): Promise<T>;
  patch<T>(path: string, body: unknown, query?: Query): Promise<T>;
  del<T>(path: string, query?: Query): Promise<T>;
}

export function createApi(opts: ApiOptions): Api {
  const doFetch = opts.fetch ?? ((input, init) => fetch(input, init));
  const base = opts.baseUrl ?? "";

  async function call<T>(method: string, path: string, body: unknown, query: Query | undefined): Promise<T> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${opts.key}`,
      accept: "application/json",
    };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (opts.actAs) {
      headers["x-user-id"] = opts.actAs.userId;
      if (opts.actAs.tenant) headers["x-tenant-id"] = opts.actAs.tenant;
    }
    let res: Response;
    try {
      res = await doFetch(`${base}${path}${queryString(query)}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        // The key travels in a header only; nothing about it belongs in a cache or a referrer.
        cache: "no-store",
        credentials: "omit",
      });
    } catch (e) {
      const why = e instanceof Error && e.message ? ` (${e.message})` : "";
      throw new ApiError(0, "network_error", `The server did not answer${why}.`);
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: toApiError shows the start of the text
    }
    if (!res.ok) throw toApiError(res.status, parsed, res.statusText);
    if (typeof parsed === "string") {
      throw new ApiError(res.status, "bad_response", `Expected JSON from ${path}, got something else.`);
    }
    return parsed as T;
  }

  return {
    get: (path, query) => call("GET", path, undefined, query),
    post: (path, body, query) => call("POST", path, body ?? {}, query),
    patch: (path, body, query) => call("PATCH", path, body, query),
    del: (path, query) => call("DELETE", path, undefined, query),
  };
}
