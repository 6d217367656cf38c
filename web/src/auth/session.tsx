/** The signed-in key, who it is (/v1/me), and the API client that uses it, for every view below the login. */
import { createContext, type ReactNode, useContext, useMemo } from "react";
import { type ActAs, type Api, createApi } from "../api/client";
import type { Me } from "../api/types";
import { describeError } from "../lib/errors";

export interface Session {
  me: Me;
  api: Api;
  /** The user a client key acts for (X-User-Id); the key's own user otherwise. */
  actAs: ActAs | undefined;
  setActAs(actAs: ActAs | undefined): void;
  signOut(reason?: unknown): void;
}

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error("useSession outside a signed-in page");
  return s;
}

/** Wraps every call: an answer saying the key no longer works (revoked, expired) signs out with that message. */
function guarded(api: Api, signOut: (reason: unknown) => void): Api {
  const watch = <T,>(p: Promise<T>): Promise<T> =>
    p.catch((e: unknown) => {
      if (describeError(e).signOut) signOut(e);
      throw e;
    });
  return {
    get: (path, query) => watch(api.get(path, query)),
    post: (path, body, query) => watch(api.post(path, body, query)),
    patch: (path, body, query) => watch(api.patch(path, body, query)),
    del: (path, query) => watch(api.del(path, query)),
  };
}

export function SessionProvider({
  apiKey,
  me,
  actAs,
  setActAs,
  signOut,
  children,
}: {
  apiKey: string;
  me: Me;
  actAs: ActAs | undefined;
  setActAs(actAs: ActAs | undefined): void;
  signOut(reason?: unknown): void;
  children: ReactNode;
}) {
  const value = useMemo<Session>(
    () => ({
      me,
      api: guarded(createApi({ key: apiKey, ...(actAs ? { actAs } : {}) }), signOut),
      actAs,
      setActAs,
      signOut,
    }),
    [apiKey, me, actAs, setActAs, signOut],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}
