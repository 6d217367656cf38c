/** A new API key, shown this once: a read-only field, a copy button, and a plain warning that it will not return. */
import { useState } from "react";

async function copyText(text: string, field: HTMLInputElement | null): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    // No clipboard API (plain HTTP on another host, or permission refused): select it for Ctrl+C instead.
    field?.select();
    return false;
  }
}

export function SecretReveal({
  secret,
  label,
  onDone,
}: {
  secret: string;
  label: string;
  onDone?: () => void;
}) {
  const [copied, setCopied] = useState<"no" | "yes" | "select">("no");
  const id = `secret-${label.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <section className="secret" aria-label={label}>
      <label htmlFor={id}>{label}</label>
      <p className="warning">Copy it now: it is shown only once and cannot be retrieved later.</p>
      <div className="secret-row">
        <input id={id} className="mono" readOnly value={secret} onFocus={(e) => e.currentTarget.select()} />
        <button
          type="button"
          onClick={async (e) => {
            const field = e.currentTarget.parentElement?.querySelector("input") ?? null;
            setCopied((await copyText(secret, field)) ? "yes" : "select");
          }}
        >
          Copy
        </button>
      </div>
      <output className="small copy-status" aria-live="polite">
        {copied === "yes"
          ? "Copied to the clipboard."
          : copied === "select"
            ? "Selected: press Ctrl+C to copy."
            : ""}
      </output>
      {onDone ? (
        <button type="button" onClick={onDone}>
          Done, hide it
        </button>
      ) : null}
    </section>
  );
}
