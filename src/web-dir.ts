/** Where the dashboard's build lives: web/dist at the package root, one level above src/ and dist/ alike. */
import { fileURLToPath } from "node:url";

export const WEB_DIST_DIR = fileURLToPath(new URL("../web/dist/", import.meta.url));
