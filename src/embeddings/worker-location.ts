// Finds the built-in model's worker script: compiled .js beside this module in dist/, or the .ts source under tsx/vitest.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** What to hand to `new Worker()`. */
export interface WorkerLocation {
  /** The script's URL, or bootstrap source code when `eval` is true. */
  script: URL | string;
  eval: boolean;
  /** The worker's source file, for error messages. */
  file: string;
}

/**
 * Looks for `<name>.js`, then `<name>.ts`, in this module's directory (src/embeddings or dist/embeddings).
 * In dist/ the .js exists and runs under plain node. From src/ (tsx, vitest) only the .ts exists, and Node 20 applies
 * neither vitest's transformer nor `--import tsx` loader hooks inside a worker thread (measured: "Unknown file
 * extension .ts"), so the worker is started from a one-line bootstrap that loads the .ts through tsx's tsImport.
 * tsx is a dev dependency: production runs dist/, where this branch is never taken.
 */
export function locateWorker(name: string): WorkerLocation {
  const js = new URL(`./${name}.js`, import.meta.url);
  if (existsSync(fileURLToPath(js))) return { script: js, eval: false, file: fileURLToPath(js) };
  const ts = new URL(`./${name}.ts`, import.meta.url);
  const file = fileURLToPath(ts);
  if (!existsSync(file))
    throw new Error(`embedding worker not found: neither ${fileURLToPath(js)} nor ${file} exists`);
  let tsxApi: string;
  try {
    // Absolute, so the bootstrap does not depend on the worker's current directory.
    tsxApi = import.meta.resolve("tsx/esm/api");
  } catch (err) {
    throw new Error(
      `embedding worker ${file} is TypeScript and tsx is not installed; run "npm run build" and use dist/`,
      {
        cause: err,
      },
    );
  }
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => tsx.tsImport(${JSON.stringify(ts.href)}, ${JSON.stringify(import.meta.url)}));`;
  return { script: bootstrap, eval: true, file };
}
