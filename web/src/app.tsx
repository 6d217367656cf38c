/** The top of the dashboard: restores or asks for a key, then routes the signed-in views. */
import { useCallback, useEffect, useMemo, useState } from "react";
import { type ActAs, ApiError, createApi } from "./api/client";
import { me as fetchMe } from "./api/endpoints";
import type { Me } from "./api/types";
import { clearKey, loadKey, saveKey, sessionKeyStore } from "./auth/key-storage";
import { SessionProvider } from "./auth/session";
import { ErrorMessage } from "./components/error-message";
import { Loading } from "./components/status";
import { describeError } from "./lib/errors";
import { navigate, parseLocation, useLocation } from "./lib/router";
import { homeFor, Routes } from "./routes";
import { Layout } from "./views/layout";
import { Login } from "./views/login";

type Auth = { state: "checking"; key: string } | { state: "out" } | { state: "in"; key: string; me: Me };

export function App() {
  const store = useMemo(sessionKeyStore, []);
  const [auth, setAuth] = useState<Auth>(() => {
    const key = loadKey(store);
    return key ? { state: "checking", key } : { state: "out" };
  });
  const [notice, setNotice] = useState<unknown>();
  const [startError, setStartError] = useState<unknown>();
  const [actAs, setActAs] = useState<ActAs>();
  const loc = useLocation();
  const { segments } = parseLocation(loc);

  const signOut = useCallback(
    (reason?: unknown) => {
      clearKey(store);
      setActAs(undefined);
      setNotice(reason);
      setAuth({ state: "out" });
      navigate("/login");
    },
    [store],
  );

  // A key kept from earlier in this tab: ask who it is again (it may have been revoked meanwhile).
  const checkingKey = auth.state === "checking" ? auth.key : undefined;
  useEffect(() => {
    if (!checkingKey) return;
    fetchMe(createApi({ key: checkingKey })).then(
      (who) => setAuth({ state: "in", key: checkingKey, me: who }),
      (e: unknown) => {
        if (e instanceof ApiError && describeError(e).signOut) signOut(e);
        else setStartError(e);
      },
    );
  }, [checkingKey, signOut]);

  const onSignedIn = useCallback(
    (key: string, who: Me) => {
      saveKey(store, key);
      setNotice(undefined);
      setAuth({ state: "in", key, me: who });
      navigate(homeFor(who.kind), { replace: true });
    },
    [store],
  );

  const signedIn = auth.state === "in";
  const first = segments[0];
  useEffect(() => {
    if (!signedIn && auth.state === "out" && first !== "login") navigate("/login", { replace: true });
    if (signedIn && (first === undefined || first === "login"))
      navigate(homeFor(auth.me.kind), { replace: true });
  }, [signedIn, auth, first]);

  if (auth.state === "checking") {
    return (
      <main id="main">
        {startError ? (
          <ErrorMessage error={startError} onRetry={() => window.location.reload()} />
        ) : (
          <Loading />
        )}
      </main>
    );
  }
  if (auth.state === "out") return <Login onSignedIn={onSignedIn} notice={notice} />;
  // Signed in on / or /login: the effect above is sending the browser to the start page.
  if (first === undefined || first === "login") return <Loading />;
  return (
    <SessionProvider apiKey={auth.key} me={auth.me} actAs={actAs} setActAs={setActAs} signOut={signOut}>
      <Layout>
        <Routes kind={auth.me.kind} segments={segments} />
      </Layout>
    </SessionProvider>
  );
}
