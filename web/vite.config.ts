/** Builds the dashboard into web/dist, which the server serves at `/`; `vite` in dev proxies the API to a local server. */
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const api = process.env.ENGRAM_DEV_API ?? "http://127.0.0.1:8765";

// biome-ignore lint/style/noDefaultExport: Vite loads its config from the default export.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  plugins: [react()],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    // The page's CSP allows scripts and styles from its own origin only: nothing may be inlined into the HTML.
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  server: {
    proxy: { "/v1": api, "/openapi.json": api },
  },
});
