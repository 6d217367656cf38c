/** `client.ownKeys`: a user key lists, creates and revokes its own user's keys (/v1/me/keys; user keys only). */
import type { Transport } from "./transport.js";
import type { ApiKey, CallOptions, CreatedKey, CreateOwnKeyInput, OwnKey } from "./types.js";

export class OwnKeysApi {
  constructor(private readonly t: Transport) {}

  /** The user's keys (never the secrets); the one making the call has `current: true`. */
  async list(opts: CallOptions = {}): Promise<OwnKey[]> {
    return (await this.t.json<{ keys: OwnKey[] }>({ ...opts, method: "GET", path: "/v1/me/keys" })).keys;
  }

  /**
   * Another key for the same user, shown once: at most the calling key's scopes (all of them by default), expiring
   * no later than it, bound to its app.
   */
  create(input: CreateOwnKeyInput = {}, opts: CallOptions = {}): Promise<CreatedKey> {
    return this.t.json({ ...opts, method: "POST", path: "/v1/me/keys", body: input });
  }

  /** Revokes one of the user's keys, the calling one too (it stops working at once). */
  revoke(keyId: string, opts: CallOptions = {}): Promise<ApiKey> {
    return this.t.json({ ...opts, method: "DELETE", path: `/v1/me/keys/${encodeURIComponent(keyId)}` });
  }
}
