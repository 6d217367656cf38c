/** Error display: the API's message is shown as sent, under a headline chosen by its code. */
import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import { ErrorMessage } from "../components/error-message";
import { describeError, isMissingRoute } from "./errors";

describe("describeError", () => {
  it.each([
    ["invalid_api_key", "This API key is not valid", true],
    ["key_revoked", "This API key has been revoked", true],
    ["key_expired", "This API key has expired", true],
    ["unauthorized", "No valid key was sent", true],
    ["insufficient_scope", "This key lacks the scope for that", false],
    ["memory_not_found", "Not found", false],
    ["user_exists", "Already exists", false],
    ["rate_limited", "Too many requests", false],
    ["network_error", "Cannot reach the Engram server", false],
  ])("%s: %s (sign out: %s)", (code, headline, signOut) => {
    const d = describeError(new ApiError(401, code, `the API says ${code}`, "req_1"));
    expect(d).toEqual({ headline, detail: `the API says ${code}`, code, requestId: "req_1", signOut });
  });

  it("gives an unknown code a headline by status", () => {
    expect(describeError(new ApiError(503, "not_ready", "db down")).headline).toBe("The server failed");
    expect(describeError(new ApiError(418, "teapot", "no")).headline).toBe("The request was refused");
  });

  it("shows a plain Error's message", () => {
    expect(describeError(new Error("boom"))).toEqual({
      headline: "Something went wrong",
      detail: "boom",
      signOut: false,
    });
  });

  it("tells a missing route apart", () => {
    expect(isMissingRoute(new ApiError(404, "route_not_found", "no route"))).toBe(true);
    expect(isMissingRoute(new ApiError(404, "user_not_found", "no user"))).toBe(false);
  });
});

describe("<ErrorMessage>", () => {
  it("renders an alert with the headline, the API's message, its code and the request id", () => {
    const html = renderToStaticMarkup(
      createElement(ErrorMessage, {
        error: new ApiError(401, "key_revoked", "the API key was revoked", "req_01abc"),
      }),
    );
    expect(html).toContain('role="alert"');
    expect(html).toContain("This API key has been revoked");
    expect(html).toContain("the API key was revoked");
    expect(html).toContain("key_revoked");
    expect(html).toContain("req_01abc");
    expect(html).not.toContain("Try again");
  });

  it("offers a retry button when given one, and escapes what the server sent", () => {
    const html = renderToStaticMarkup(
      createElement(ErrorMessage, { error: new Error("<img src=x onerror=alert(1)>"), onRetry: () => {} }),
    );
    expect(html).toContain("<button");
    expect(html).toContain("Try again");
    expect(html).not.toContain("<img");
  });
});
