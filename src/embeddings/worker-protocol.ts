// Messages exchanged between use-lite-embedder.ts (main thread) and use-lite-worker.ts (worker thread).

export interface EmbedRequest {
  type: "embed";
  id: number;
  texts: string[];
}

export type WorkerMessage =
  | { type: "ready" }
  | { type: "init_error"; message: string }
  /** Vectors packed row-major into one transferable buffer: count x dimensions floats. */
  | { type: "result"; id: number; count: number; dimensions: number; data: Float32Array }
  | { type: "error"; id: number; message: string };
