/** The frame around every signed-in page: skip link, the navigation for this key's kind, who is signed in, logout. */
import { type FormEvent, type ReactNode, useState } from "react";
import { useSession } from "../auth/session";
import { Link } from "../lib/router";

export function navFor(kind: string): Array<{ to: string; label: string }> {
  if (kind === "admin") {
    return [
      { to: "/admin", label: "Overview" },
      { to: "/admin/users", label: "Users" },
      { to: "/admin/tenants", label: "Tenants & keys" },
      { to: "/admin/audit", label: "Audit log" },
    ];
  }
  const items = [
    { to: "/memories", label: "Memories" },
    { to: "/sessions", label: "Sessions" },
    { to: "/apps", label: "Apps" },
  ];
  // Self-service keys are a user key's: a client key acts for many users and is managed by an admin.
  if (kind === "user") items.push({ to: "/keys", label: "API keys" });
  return items;
}

/** For client keys: which of the tenant's users to act for (X-User-Id). */
function ActAsForm() {
  const { me, actAs, setActAs } = useSession();
  const [value, setValue] = useState(actAs?.userId ?? me.user_id ?? "");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const v = value.trim();
    setActAs(v ? { userId: v } : undefined);
  };
  return (
    <form className="act-as" onSubmit={submit}>
      <label htmlFor="act-as">Acting for user</label>
      <input id="act-as" value={value} onChange={(e) => setValue(e.target.value)} placeholder="0" />
      <button type="submit">Switch</button>
    </form>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { me, actAs, signOut } = useSession();
  const who =
    me.kind === "admin"
      ? "admin"
      : `${me.kind} key · user ${actAs?.userId ?? me.user_id ?? "0"}${me.tenant ? ` · tenant ${me.tenant}` : ""}`;
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="brand">
          <Link to={me.kind === "admin" ? "/admin" : "/memories"}>Engram</Link>
        </div>
        <nav aria-label="Main">
          <ul>
            {navFor(me.kind).map((n) => (
              <li key={n.to}>
                <Link to={n.to}>{n.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <span className="muted small" data-testid="who">
            {who}
          </span>
          <button type="button" onClick={() => signOut()}>
            Log out
          </button>
        </div>
      </header>
      {me.kind === "client" || me.kind === "open" ? <ActAsForm /> : null}
      <main id="main">{children}</main>
    </>
  );
}
