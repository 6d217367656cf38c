/** A small History-API router: the path is state, links are real <a href> elements, and Back works. */
import { type AnchorHTMLAttributes, type MouseEvent, useSyncExternalStore } from "react";

const EVENT = "engram:navigate";

function subscribe(onChange: () => void): () => void {
  window.addEventListener("popstate", onChange);
  window.addEventListener(EVENT, onChange);
  return () => {
    window.removeEventListener("popstate", onChange);
    window.removeEventListener(EVENT, onChange);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

/** The current path with its query string, re-rendering on navigation. */
export function useLocation(): string {
  return useSyncExternalStore(subscribe, snapshot);
}

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (opts.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  window.dispatchEvent(new Event(EVENT));
}

/** Splits `/a/b?x=1` into its segments and query. */
export function parseLocation(loc: string): { segments: string[]; query: URLSearchParams } {
  const [path = "", search = ""] = loc.split("?", 2);
  return {
    segments: path.split("/").filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(search),
  };
}

type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & { to: string };

/** An <a> that navigates in-page on a plain click and behaves as a link otherwise (new tab, copy address). */
export function Link({ to, onClick, ...rest }: LinkProps) {
  const current = useLocation().split("?")[0];
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} onClick={handle} aria-current={current === to ? "page" : undefined} {...rest} />;
}
