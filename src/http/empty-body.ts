/** Middleware for POST routes whose JSON body is optional: no body at all reads as `{}`, not as malformed JSON. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";

/**
 * `curl -X POST …` with no body gets a JSON Content-Type from app.ts's jsonByDefault, and an empty JSON body is a
 * parse error; for a route whose every field is optional, nothing sent means "the defaults".
 */
export const emptyBodyIsEmptyObject: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method === "POST") {
    const raw = c.req.raw;
    // A clone, so the original body stays unread for the validator when it is not empty.
    if ((await raw.clone().text()).trim() === "") {
      c.req.raw = new Request(raw.url, {
        method: raw.method,
        headers: raw.headers,
        body: "{}",
        signal: raw.signal,
      });
    }
  }
  await next();
};
