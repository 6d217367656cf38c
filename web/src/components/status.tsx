/** The loading, empty and page-title pieces every view shares. */
import { type ReactNode, useEffect, useRef } from "react";

export function Loading({ what = "Loading" }: { what?: string }) {
  return (
    <output className="loading" aria-live="polite">
      {what}…
    </output>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

/** The page's <h1>; it takes focus when the page opens, so keyboard and screen-reader users start there. */
export function PageTitle({ children, title }: { children: ReactNode; title: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Engram`;
    ref.current?.focus({ preventScroll: true });
  }, [title]);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}
