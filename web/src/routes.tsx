/** Which view a path shows, per kind of key. */
import type { KeyKind } from "./api/types";
import { PageTitle } from "./components/status";
import { Link } from "./lib/router";
import { Audit } from "./views/admin/audit";
import { Overview } from "./views/admin/overview";
import { Tenants } from "./views/admin/tenants";
import { Users } from "./views/admin/users";
import { Apps } from "./views/user/apps";
import { MyKeys } from "./views/user/keys";
import { Memories } from "./views/user/memories";
import { SessionView } from "./views/user/session-detail";
import { Sessions } from "./views/user/sessions";

export const homeFor = (kind: KeyKind): string => (kind === "admin" ? "/admin" : "/memories");

export function Routes({ kind, segments }: { kind: KeyKind; segments: string[] }) {
  const [a, b, c] = segments;
  if (kind === "admin") {
    if (a === "admin" && !b) return <Overview />;
    if (a === "admin" && b === "users" && !c) return <Users />;
    if (a === "admin" && b === "tenants" && !c) return <Tenants />;
    if (a === "admin" && b === "audit" && !c) return <Audit />;
  } else {
    if (a === "memories" && !b) return <Memories />;
    if (a === "sessions" && !b) return <Sessions />;
    if (a === "sessions" && b && !c) return <SessionView id={b} />;
    if (a === "apps" && !b) return <Apps />;
    if (a === "keys" && !b && kind === "user") return <MyKeys />;
  }
  return <NotFound home={homeFor(kind)} />;
}

function NotFound({ home }: { home: string }) {
  return (
    <section>
      <PageTitle title="Not found">Nothing here</PageTitle>
      <p>This page does not exist, or is not for this kind of key.</p>
      <p>
        <Link to={home}>Go to the start page</Link>
      </p>
    </section>
  );
}
