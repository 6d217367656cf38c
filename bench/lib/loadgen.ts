// The load generator: a separate Node process (forked by startLoadgen) that drives a server over HTTP/1.1 keep-alive
// on loopback with a fixed number of requests in flight (closed loop), and reports each request's latency. The bench
// process only prepares the request lists and reads the results, so its own work never shares the generator's event
// loop. Run as a child only: `fork()` with tsx's loader, messages over IPC.
import { type ChildProcess, fork } from "node:child_process";
import { Agent, request as httpRequest } from "node:http";
import { fileURLToPath } from "node:url";

/** One request: the index of its Authorization key in `LoadSpec.keys` (-1: none) and its body (none for GET). */
export interface LoadRequest {
  key: number;
  body?: string;
}

export interface LoadSpec {
  /** Base URL, e.g. http://127.0.0.1:1234 */
  url: string;
  method: "GET" | "POST";
  path: string;
  /** Bearer keys the requests refer to by index. */
  keys: string[];
  requests: LoadRequest[];
  /** Requests in flight. */
  concurrency: number;
  /** Measured window, ms; requests keep starting until it ends (or the list runs out, see `cycle`). */
  durationMs: number;
  /** Requests started in this first part of the run are sent but not counted (connections, JIT, caches). */
  warmupMs: number;
  /** Reuse the list from the start when it runs out (warm caches); otherwise the run stops early, `exhausted`. */
  cycle: boolean;
  /** After the window, requests still in flight are awaited this long (their latencies count), then abandoned. */
  drainTimeoutMs: number;
  /**
   * A slow server may not answer one counted request inside the window: the window then stays open until this many
   * counted requests have completed, up to `maxWindowMs` (default: no minimum).
   */
  minSamples?: number;
  maxWindowMs?: number;
}

export interface LoadResult {
  concurrency: number;
  /** Latency (ms) of every counted request that completed: started after the warm-up, including the drain. */
  latencies: number[];
  /** Requests that completed inside the measured window (whenever they started): the throughput numerator. */
  completedInWindow: number;
  /** Length of the measured window actually run, ms (shorter than asked when the list ran out). */
  windowMs: number;
  /** Requests with a non-2xx answer or a transport error (counted requests only). */
  errors: number;
  statuses: Record<string, number>;
  /** The first error body or message seen, for the report. */
  firstError: string | null;
  /** The non-cycling list ran out before the window ended. */
  exhausted: boolean;
  /** Requests started in total, warm-up included. */
  sent: number;
  /** Counted requests still in flight when the drain timed out (their latencies are missing: a lower bound). */
  abandoned: number;
  /** Requests of any kind (warm-up ones too) still in flight when the run ended: the server is still busy. */
  stillInFlight: number;
}

type Message = { type: "run"; id: number; spec: LoadSpec } | { type: "exit" };

/** Runs one load spec in this process (the child's side). */
async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: spec.concurrency,
    maxFreeSockets: spec.concurrency,
  });
  const base = new URL(spec.url);
  const auth = spec.keys.map((k) => `Bearer ${k}`);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let completedInWindow = 0;
  let errors = 0;
  let firstError: string | null = null;
  let next = 0;
  let sent = 0;
  let exhausted = false;
  let inFlightCounted = 0;
  let inFlight = 0;
  const t0 = performance.now();
  const measureFrom = t0 + spec.warmupMs;
  const minSamples = spec.minSamples ?? 0;
  const hardEnd = measureFrom + Math.max(spec.durationMs, spec.maxWindowMs ?? spec.durationMs);
  /** When the window closes: after durationMs, later while fewer than minSamples counted requests completed. */
  let windowEnd = measureFrom + spec.durationMs;
  let windowClosed = false;
  let stoppedAt = Number.POSITIVE_INFINITY;
  const ends: number[] = [];
  const closeWindow = (now: number): boolean => {
    if (windowClosed) return true;
    if (now < windowEnd) return false;
    if (latencies.length < minSamples && now < hardEnd) return false;
    windowClosed = true;
    windowEnd = Math.min(Math.max(windowEnd, now), hardEnd);
    return true;
  };

  const one = (r: LoadRequest): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      if (r.key >= 0) headers.authorization = auth[r.key] ?? "";
      if (r.body !== undefined) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(Buffer.byteLength(r.body));
      }
      const req = httpRequest(
        {
          host: base.hostname,
          port: base.port,
          method: spec.method,
          path: spec.path,
          headers,
          agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      if (r.body !== undefined) req.end(r.body);
      else req.end();
    });

  const worker = async (): Promise<void> => {
    for (;;) {
      const start = performance.now();
      if (closeWindow(start)) {
        stoppedAt = Math.min(stoppedAt, start);
        return;
      }
      if (next >= spec.requests.length) {
        if (!spec.cycle || spec.requests.length === 0) {
          if (!exhausted) {
            exhausted = true;
            stoppedAt = Math.min(stoppedAt, start);
            windowEnd = Math.min(windowEnd, start);
            windowClosed = true;
          }
          return;
        }
        next = 0;
      }
      const r = spec.requests[next++] as LoadRequest;
      sent++;
      const counted = start >= measureFrom;
      if (counted) inFlightCounted++;
      inFlight++;
      let status = 0;
      let failure: string | null = null;
      try {
        const res = await one(r);
        status = res.status;
        if (status < 200 || status >= 300) failure = `${status} ${res.body.slice(0, 300)}`;
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err);
      }
      inFlight--;
      const end = performance.now();
      // Throughput (counted once the window's end is known): everything that completed inside the window, whenever
      // it started (a slow server's first answers may come from requests sent during the warm-up).
      ends.push(end);
      if (!counted) continue;
      inFlightCounted--;
      latencies.push(end - start);
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      if (failure !== null) {
        errors++;
        firstError ??= failure;
      }
    }
  };

  const workers = Promise.all(Array.from({ length: spec.concurrency }, worker));
  let timer: NodeJS.Timeout | undefined;
  const drained = await Promise.race([
    workers.then(() => true),
    new Promise<false>((resolve) => {
      // The drain starts when the window closes (its end may move: see minSamples).
      const check = () => {
        const now = performance.now();
        closeWindow(now);
        if (windowClosed && now >= windowEnd + spec.drainTimeoutMs) resolve(false);
        else timer = setTimeout(check, 50);
      };
      check();
    }),
  ]);
  if (timer) clearTimeout(timer);
  const stillInFlight = inFlight;
  agent.destroy();
  completedInWindow = ends.filter((e) => e >= measureFrom && e <= windowEnd).length;
  const windowMs = Math.max(1, Math.min(stoppedAt, windowEnd) - measureFrom);
  return {
    concurrency: spec.concurrency,
    latencies,
    completedInWindow,
    windowMs,
    errors,
    statuses,
    firstError,
    exhausted,
    sent,
    abandoned: drained ? 0 : inFlightCounted,
    stillInFlight,
  };
}

/** The bench process's handle on a forked load generator. */
export interface Loadgen {
  pid: number;
  run(spec: LoadSpec): Promise<LoadResult>;
  close(): Promise<void>;
}

/** Forks this file as the load generator (tsx's loader, so it runs from source like the benches). */
export async function startLoadgen(): Promise<Loadgen> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ["--child"], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  let seq = 0;
  child.on("message", (m: { id: number; result?: LoadResult; error?: string }) => {
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    if (m.result) p.resolve(m.result);
    else p.reject(new Error(`load generator: ${m.error ?? "no result"}`));
  });
  child.on("exit", (code) => {
    for (const p of pending.values()) p.reject(new Error(`load generator exited (${code})`));
    pending.clear();
  });
  const onExit = () => child.kill("SIGKILL");
  process.on("exit", onExit);
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("error", reject);
  });
  return {
    pid: child.pid ?? -1,
    run(spec) {
      const id = ++seq;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ type: "run", id, spec } satisfies Message);
      });
    },
    async close() {
      process.off("exit", onExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.send({ type: "exit" } satisfies Message);
      await exited;
    },
  };
}

if (process.argv.includes("--child") && process.send) {
  process.on("message", (m: Message) => {
    if (m.type === "exit") {
      process.disconnect();
      return;
    }
    runLoad(m.spec).then(
      (result) => process.send?.({ id: m.id, result }),
      (err: unknown) => process.send?.({ id: m.id, error: err instanceof Error ? err.message : String(err) }),
    );
  });
  process.send({ ready: true });
}
