/**
 * The import rules of docs/architecture.md ("Layers"), checked on src/ as it is: no import cycle (type-only imports
 * count too), only the HTTP face imports src/http/, MCP does not import the CLI, and the CLI reaches MCP only from
 * the `engram mcp` command.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const repo = resolve(import.meta.dirname, "..");
const src = join(repo, "src");

/** Every relative import (static, type-only, re-export, dynamic) of every .ts file under src/, as repo paths. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const files = readdirSync(src, { recursive: true, encoding: "utf8" }).filter(
    (f) => f.endsWith(".ts") && !f.endsWith(".d.ts"),
  );
  const specifier = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm;
  for (const f of files) {
    const file = join(src, f);
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(specifier)].map((m) =>
      relative(repo, resolve(dirname(file), (m[1] as string).replace(/\.js$/, ".ts"))),
    );
    graph.set(relative(repo, file), [...new Set(targets)]);
  }
  return graph;
}

/** Strongly connected components with more than one file (or a file importing itself): Tarjan's algorithm. */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || graph.get(v)?.includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

/** "a.ts -> b.ts" for every import from a file matching `from` into a file matching `to`, unless `allowed(from)`. */
function arrows(
  graph: Map<string, string[]>,
  from: (file: string) => boolean,
  to: (file: string) => boolean,
  allowed: (file: string) => boolean = () => false,
): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    if (!from(file) || allowed(file)) continue;
    for (const t of targets) if (to(t)) out.push(`${file} -> ${t}`);
  }
  return out.sort();
}

const under = (dir: string) => (file: string) => file.startsWith(`src/${dir}/`);

/** The HTTP face: route modules, the OpenMemory adapter, MCP over HTTP, and the server assembly. */
function isHttpFace(file: string): boolean {
  return (
    file.startsWith("src/http/") ||
    file.startsWith("src/compat/") ||
    file === "src/server.ts" ||
    file === "src/mcp/http.ts" ||
    /\/(?:[\w-]+-)?routes\.ts$/.test(file)
  );
}

describe("import rules (docs/architecture.md, Layers)", () => {
  const graph = importGraph();

  it("reads the real graph (so the rules below cannot pass on an empty one)", () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get("src/server.ts")).toContain("src/http/app.ts");
    // A type-only import is an edge too.
    expect(graph.get("src/http/app.ts")).toContain("src/services.ts");
    // Every edge lands on a file that exists: a wrong resolution would hide arrows.
    const missing = [...graph.values()].flat().filter((t) => !graph.has(t) && !t.endsWith(".json"));
    expect(missing).toEqual([]);
  });

  it("has no import cycle, type-only imports included", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("the cycle check finds a cycle when there is one", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    expect(cycles(g)).toEqual([["a", "b", "c"]]);
  });

  it("only the HTTP face imports src/http/: no service, MCP tool or CLI file does", () => {
    expect(arrows(graph, () => true, under("http"), isHttpFace)).toEqual([]);
  });

  it("src/mcp/ does not import src/cli/", () => {
    expect(arrows(graph, under("mcp"), under("cli"))).toEqual([]);
  });

  it("src/cli/ imports src/mcp/ only from mcp-command.ts, to start it", () => {
    expect(arrows(graph, under("cli"), under("mcp"), (f) => f === "src/cli/mcp-command.ts")).toEqual([]);
  });

  it("services do not import a face (REST routes, MCP, CLI)", () => {
    const face = (f: string) => isHttpFace(f) || under("mcp")(f) || under("cli")(f);
    expect(arrows(graph, (f) => !face(f), face)).toEqual([]);
  });
});
