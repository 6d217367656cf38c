// Main-thread handle on one use-lite worker thread: start-up handshake, one call at a time, timeouts and crash reporting.
import { Worker } from "node:worker_threads";
import { AppError } from "../errors.js";
import type { WorkerLocation } from "./worker-location.js";
import type { EmbedRequest, WorkerMessage } from "./worker-protocol.js";

type Result = Extract<WorkerMessage, { type: "result" }>;

interface Waiter {
  /** 0 is the start-up handshake; calls count up from 1. */
  id: number;
  resolve(message: WorkerMessage): void;
  reject(err: unknown): void;
  timer: NodeJS.Timeout;
}

export class ModelWorker {
  /** True once the thread has exited or been given up on; the owner then starts a new one. */
  dead = false;
  /** Resolves when the model is loaded; rejects with embeddings_unavailable if loading fails or times out. */
  readonly ready: Promise<void>;
  private readonly worker: Worker;
  private waiter: Waiter | undefined;
  private nextId = 1;
  private lastError: unknown;
  private closing = false;

  constructor(
    location: WorkerLocation,
    private readonly timeoutMs: number,
  ) {
    // No inherited node flags: the worker needs none, and some break it (--input-type=module makes it fail to start).
    this.worker = new Worker(location.script, { eval: location.eval, execArgv: [] });
    this.ready = new Promise<void>((resolve, reject) => {
      this.wait(0, () => resolve(), reject, "loading the model");
    });
    // Whoever awaits ready sees the rejection; this only stops an unobserved one from being "unhandled".
    this.ready.catch(() => {});
    this.worker.on("message", (message: WorkerMessage) => this.onMessage(message));
    // Without an "error" listener an uncaught exception in the worker would be re-thrown in the main thread.
    this.worker.on("error", (err) => {
      this.lastError = err;
    });
    this.worker.on("messageerror", (err) => {
      this.lastError = err;
    });
    this.worker.on("exit", (code) => this.onExit(code));
  }

  /** Embeds one batch; the result holds `texts.length` raw (not yet normalised) vectors. */
  embed(texts: string[]): Promise<Result> {
    if (this.dead) return Promise.reject(this.failure("the worker has exited"));
    if (this.waiter) return Promise.reject(new Error("ModelWorker.embed called while a call is running"));
    const id = this.nextId++;
    return new Promise<Result>((resolve, reject) => {
      this.wait(id, (m) => resolve(m as Result), reject, `embedding ${texts.length} text(s)`);
      const request: EmbedRequest = { type: "embed", id, texts };
      this.worker.postMessage(request);
    });
  }

  /** Stops the thread; a running call is rejected with "closed". */
  async terminate(): Promise<void> {
    this.closing = true;
    this.dead = true;
    await this.worker.terminate();
  }

  private wait(
    id: number,
    resolve: (m: WorkerMessage) => void,
    reject: (err: unknown) => void,
    what: string,
  ): void {
    const timer = setTimeout(() => {
      // A hung worker must not hang its callers: give up on it, reject, and let the owner start a fresh one.
      this.settle(undefined, this.failure(`${what} timed out after ${this.timeoutMs} ms`));
      this.dead = true;
      void this.worker.terminate();
    }, this.timeoutMs);
    timer.unref();
    this.waiter = { id, resolve, reject, timer };
    // Keep the process alive only while work is outstanding; an idle worker must not block exit.
    this.worker.ref();
  }

  private settle(message: WorkerMessage | undefined, err?: unknown): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    clearTimeout(waiter.timer);
    this.worker.unref();
    if (message) waiter.resolve(message);
    else waiter.reject(err);
  }

  private onMessage(message: WorkerMessage): void {
    switch (message.type) {
      case "ready":
        if (this.waiter?.id === 0) this.settle(message);
        return;
      case "init_error":
        this.dead = true;
        this.settle(undefined, this.failure(message.message));
        return;
      case "result":
        if (this.waiter?.id === message.id) this.settle(message);
        return;
      case "error":
        if (this.waiter?.id === message.id) this.settle(undefined, this.failure(message.message));
        return;
    }
  }

  private onExit(code: number): void {
    this.dead = true;
    if (this.closing) {
      this.settle(undefined, new AppError("embeddings_unavailable", "the embedder was closed"));
    } else {
      const why = this.lastError instanceof Error ? `: ${this.lastError.message}` : "";
      this.settle(undefined, this.failure(`the worker exited unexpectedly (exit code ${code})${why}`));
    }
  }

  private failure(what: string): AppError {
    return new AppError("embeddings_unavailable", `built-in embedding model: ${what}`, {
      ...(this.lastError === undefined ? {} : { cause: this.lastError }),
    });
  }
}
