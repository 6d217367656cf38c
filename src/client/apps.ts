/** `client.apps`: the acting user's apps (the name a memory records as its writer), paused or resumed. */
import type { Transport } from "./transport.js";
import type { App, CallOptions, CreateAppInput, UpdateAppInput } from "./types.js";

export class AppsApi {
  constructor(private readonly t: Transport) {}

  async list(opts: CallOptions = {}): Promise<App[]> {
    return (await this.t.json<{ apps: App[] }>({ ...opts, method: "GET", path: "/v1/apps" })).apps;
  }

  create(input: CreateAppInput, opts: CallOptions = {}): Promise<App> {
    return this.t.json({ ...opts, method: "POST", path: "/v1/apps", body: input });
  }

  /** `idOrName`: the app's id or its name. */
  update(idOrName: string, input: UpdateAppInput, opts: CallOptions = {}): Promise<App> {
    return this.t.json({
      ...opts,
      method: "PATCH",
      path: `/v1/apps/${encodeURIComponent(idOrName)}`,
      body: input,
    });
  }
}
