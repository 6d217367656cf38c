/** A user's own API keys: list, create (shown once), revoke. Revoking the key in use signs out. */
import { createMyKey, listMyKeys, revokeMyKey } from "../../api/endpoints";
import type { OwnKey } from "../../api/types";
import { useSession } from "../../auth/session";
import { ErrorMessage } from "../../components/error-message";
import { CreateKeyForm, KeyTable } from "../../components/keys";
import { Empty, Loading, PageTitle } from "../../components/status";
import { isMissingRoute } from "../../lib/errors";
import { useAsync } from "../../lib/use-async";

export function MyKeys() {
  const { api, me, signOut } = useSession();
  const keys = useAsync(() => listMyKeys(api), [api]);

  async function revoke(k: OwnKey) {
    await revokeMyKey(api, k.id);
    if (k.current || k.id === me.key_id) {
      signOut(new Error("You revoked the key you were signed in with. Sign in with another key."));
      return;
    }
    keys.reload();
  }

  return (
    <section>
      <PageTitle title="API keys">API keys</PageTitle>
      <p className="muted">
        Keys that act as you. Give each agent or device its own, and revoke the ones you no longer use.
      </p>
      {keys.error ? (
        isMissingRoute(keys.error) ? (
          <Empty>This server does not offer self-service keys; ask an admin.</Empty>
        ) : (
          <ErrorMessage error={keys.error} onRetry={keys.reload} />
        )
      ) : null}
      {keys.loading && !keys.data ? <Loading what="Loading keys" /> : null}
      {keys.data && keys.data.length === 0 ? <Empty>No keys.</Empty> : null}
      {keys.data && keys.data.length > 0 ? <KeyTable keys={keys.data} onRevoke={revoke} /> : null}
      <CreateKeyForm
        onCreate={async (body) => {
          const created = await createMyKey(api, body);
          keys.reload();
          return created;
        }}
      />
    </section>
  );
}
